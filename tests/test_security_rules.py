"""Rule safety: rule, settings and scorecard files are plain data; a runaway pattern cannot hang a scan;
a 10,000-term lexicon loads and matches.

(How long a 10,000-term pack takes to load is measured by benchmarks/large_rule_pack.py, not asserted here.)
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qa_linter import Linter
from qa_linter.config import load_config
from qa_linter.errors import ConfigError, RuleLoadError
from qa_linter.loader import MAX_YAML_VALUES, load_rule_pack

EVIL_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!Custom {{id: x}}",
]


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_errors(*paths: Path) -> list[str]:
    with pytest.raises(RuleLoadError) as info:
        load_rule_pack(list(paths), builtin=False)
    return [e.describe() for e in info.value.errors]


@pytest.mark.parametrize("tag", EVIL_TAGS)
def test_a_construction_tag_in_a_rule_file_is_a_clear_error_and_constructs_nothing(tmp_path, tag):
    marker = tmp_path / "constructed"
    rules = write(tmp_path / "evil.yaml", f"""\
        rules:
          - id: evil
            type: phrases
            category: slang
            message: {tag.format(marker=marker)}
            terms: [亲]
        """)
    errors = load_errors(rules)
    assert len(errors) == 1
    assert errors[0].startswith(f"{rules}:5: the tag ") and "is not allowed" in errors[0]
    assert not marker.exists()


def test_a_construction_tag_in_the_settings_and_the_scorecard(tmp_path):
    marker = tmp_path / "constructed"
    config = write(tmp_path / "qa-linter.yaml", f"fail_on: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match=r"qa-linter.yaml:1: the tag '!!python/object/apply:os.system' is not allowed"):
        load_config(config)
    from qa_linter.scoring import ScorecardError, load_scoring_model

    card = write(tmp_path / "scorecard.yaml", f"sections: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ScorecardError) as info:
        load_scoring_model(card)
    assert "is not allowed" in info.value.errors[0].describe()
    assert not marker.exists()


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("laughs.yaml", BILLION_LAUGHS + "rules:\n  - {id: x, type: phrases, category: slang, message: x, terms: *i}\n"),
        ("itself.yaml", "loop: &loop [*loop]\nrules: *loop\n"),
    ],
)
def test_aliases_that_expand_without_end_are_refused_at_once(tmp_path, name, text):
    """The installed command, so that a regression shows as a failure after two minutes, not a hung suite."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "qa_linter.cli", "rules", "validate", str(path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"expands to more than {MAX_YAML_VALUES:,} values" in proc.stderr


def test_ordinary_anchors_and_aliases_still_work(tmp_path):
    rules = write(tmp_path / "shared.yaml", """\
        rules:
          - {id: a, type: phrases, category: slang, message: x, terms: &terms [亲, 亲亲]}
          - {id: b, type: phrases, category: slang, message: y, terms: *terms, severity: info}
        """)
    pack = load_rule_pack([rules], builtin=False)
    assert [r.id for r in pack.rules] == ["a", "b"]


# -- a large lexicon -----------------------------------------------------------------------------------------
def make_terms(count: int, seed: int = 9) -> list[str]:
    """`count` distinct made-up terms: 2-4 common CJK characters, and one in ten a Latin code word."""
    rng = random.Random(seed)
    terms: dict[str, None] = {}
    while len(terms) < count:
        if len(terms) % 10 == 9:
            terms["zq" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(5))] = None
        else:
            terms["".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 4)))] = None
    return list(terms)


@pytest.fixture(scope="module")
def big_pack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bigpack")
    terms = make_terms(10_000)
    (folder / "lexicons").mkdir()
    (folder / "lexicons" / "big.txt").write_text(
        "# 10,000 generated terms\n" + "".join(f"{t}\t建议{i}\n" for i, t in enumerate(terms)), encoding="utf-8"
    )
    write(folder / "big.yaml", """\
        rules:
          - {id: big-list, type: phrases, category: banned-phrase, message: "「{match}」", lexicon: big}
        """)
    return Linter.from_config(rules=[folder / "big.yaml"], builtin=False), terms


def test_a_ten_thousand_term_lexicon_loads_whole(big_pack):
    linter, terms = big_pack
    (rule,) = linter.rules
    assert [t.text for t in rule.match.terms.terms] == terms
    assert rule.match.terms.terms[9].suggestion == "建议9"


def test_every_sampled_term_of_the_big_lexicon_is_found_where_it_was_written(big_pack):
    linter, terms = big_pack
    sample = random.Random(3).sample(terms, 300)
    for term in sample:
        text = f"您好，{term}。"
        findings = linter.scan({"id": "t", "messages": [{"role": "agent", "text": text}]})
        assert [(f.start, f.end, f.text) for f in findings] == [(3, 3 + len(term), term)], term


def test_the_big_lexicon_stays_word_aware_and_quiet_on_ordinary_text(big_pack, corpus_conversations):
    linter, terms = big_pack
    listed = set(terms)
    for conversation in corpus_conversations[:40]:
        for finding in linter.scan(conversation):
            assert finding.text in listed  # only listed terms, exactly as listed (the list is lower case)


# -- runaway and oversized patterns ------------------------------------------------------------------------------
RUNAWAY = """\
rules:
  - {id: runaway, type: regex, category: pii-exposure, message: x, pattern: '(a|aa)+$'}
  - {id: hi, type: phrases, category: slang, message: "「{match}」", terms: [亲]}
"""


def test_a_catastrophic_pattern_is_stopped_reported_once_with_its_rule_and_the_scan_goes_on(tmp_path):
    linter = Linter.from_config(rules=[write(tmp_path / "runaway.yaml", RUNAWAY)], builtin=False)
    results = [
        linter.scan({"id": f"r{i}", "messages": [{"role": "agent", "text": "a" * 40 + "!亲"}]}) for i in range(3)
    ]
    assert [[f.rule for f in findings] for findings in results] == [["hi"], ["hi"], ["hi"]]
    assert list(linter.rule_problems) == ["runaway"]
    assert linter.rule_problems["runaway"] == "regular expression timed out and was skipped: (a|aa)+$"


def test_a_runaway_exception_pattern_in_a_jargon_rule_is_reported_the_same_way(tmp_path):
    rules = write(tmp_path / "jargon.yaml", """\
        rules:
          - {id: jargon-x, type: jargon, category: jargon-unexplained, message: x, terms: [DNS],
             ignore_inside: ['(a|aa)+$']}
        """)
    linter = Linter.from_config(rules=[rules], builtin=False)
    linter.scan({"id": "j", "messages": [{"role": "agent", "text": "DNS " + "a" * 40 + "!"}]})
    assert linter.rule_problems == {"jargon-x": "regular expression timed out and was skipped: (a|aa)+$"}


def test_a_long_message_is_not_cut_short_by_the_timeout_of_a_linear_pattern(tmp_path):
    """The budget grows with the text: a linear but slowish pattern (a bounded class before an alternation, as
    the built-in remote-consent rule has; about 1.5 µs a character, so 0.7 s here) over 450,000 characters finds
    every match instead of timing out after the 0.25 s an ordinary message gets."""
    rules = write(tmp_path / "slowish.yaml", """\
        rules:
          - {id: slowish, type: regex, category: remote-no-consent, message: x,
             pattern: '[^。!！?？\\n]{0,30}(可以吗|同意吗)'}
        """)
    linter = Linter.from_config(rules=[rules], builtin=False)
    unit = "我这边需要远程连接您的电脑处理一下网络设置，可以吗？" + "好的，我们继续核对一下您账户的其他信息，" * 20
    text = unit * (450_000 // len(unit))
    findings = linter.scan({"id": "long", "messages": [{"role": "agent", "text": text}]})
    assert linter.rule_problems == {}
    assert len(findings) == text.count("可以吗")


def test_an_oversized_repetition_is_refused_when_the_rules_load(tmp_path):
    """regex would spend minutes laying out a{1000000000} before any timeout applies: those rules are left out
    with file:line and reason, the others load."""
    rules = write(tmp_path / "huge.yaml", """\
        rules:
          - {id: huge, type: regex, category: slang, message: x, pattern: 'a{1000000000}'}
          - {id: huge-exception, type: phrases, category: slang, message: x, terms: [亲],
             exception_patterns: ['b{2,50000}']}
          - {id: fine, type: phrases, category: slang, message: x, terms: [亲]}
        """)
    pack = load_rule_pack([rules], builtin=False)
    assert [r.id for r in pack.rules] == ["fine"]
    refused = [e.describe() for e in pack.refused]
    assert len(refused) == 2
    assert refused[0].startswith(f"{rules}:2: [huge] regular expression 'a{{1000000000}}' refused: repetition {{1000000000}} is larger than 10,000")
    assert refused[1].startswith(f"{rules}:4: [huge-exception]") and "{2,50000}" in refused[1]


# -- patterns whose compiling would exhaust memory ---------------------------------------------------------------
MEMORY_BOMB = """\
rules:
  - id: bomb
    type: regex
    category: slang
    message: x
    pattern: '(a{10000}){10000}'
  - {id: bomb-jargon, type: jargon, category: jargon-unexplained, message: x, terms: [DNS],
     ignore_inside: ['(?:(?:b{100}){100}){100}']}
  - {id: bomb-allow, type: regex, category: pii-exposure, message: x, pattern: '\\d{11}', allow: ['(?:c{1000}){1000}']}
  - {id: hi, type: phrases, category: slang, message: "「{match}」", terms: [亲]}
"""


def _capped(megabytes: int):
    """preexec_fn: an address-space cap, so that a regression fails this test instead of the machine."""
    def cap():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
    return cap


def test_nested_repetitions_that_would_exhaust_memory_are_refused_and_the_scan_goes_on(tmp_path):
    """(a{10000}){10000} asks regex for a hundred million copies (one run grew to 24 GB). Under a 2 GB cap the
    command must name each such rule with file:line and reason, and scan with the others."""
    rules = tmp_path / "bomb.yaml"
    rules.write_text(MEMORY_BOMB, encoding="utf-8")
    transcript = tmp_path / "t.jsonl"
    transcript.write_text('{"id": "t1", "messages": [{"role": "agent", "text": "亲，DNS 设置好了"}]}\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "qa_linter.cli", "scan", "--no-builtin", "--rules", str(rules), str(transcript),
         "--format", "jsonl"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, preexec_fn=_capped(2048),
    )
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert [json.loads(line)["rule"] for line in proc.stdout.splitlines()] == ["hi"]
    for rule_id, line in (("bomb", 6), ("bomb-jargon", 8), ("bomb-allow", 9)):
        assert f"Rule {rule_id}: left out ({rules}:{line}): " in proc.stderr, proc.stderr
    assert proc.stderr.count("refused: nested repetitions lay out about") == 3


def test_rules_validate_reports_a_memory_bomb_as_an_error(tmp_path):
    rules = tmp_path / "bomb.yaml"
    rules.write_text(MEMORY_BOMB, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qa_linter.cli", "rules", "validate", str(rules)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, preexec_fn=_capped(2048))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"error: {rules}:6: [bomb] regular expression '(a{{10000}}){{10000}}' refused" in proc.stderr


@pytest.mark.parametrize(
    ("pattern", "layout"),
    [
        ("a{10000}", 10_000),
        ("(a{10000}){10000}", 100_000_000),
        ("(?:(?:a{100}){100}){100}", 1_000_000),
        ("(abc|def){1000}", 6_000),  # alternatives are all laid out: they add up
        ("(?:a{1000})+", 2_000),  # x+ is x followed by x*
        ("(?:a{1000}){0,1000}", 1_000),  # a minimum of 0 lays out one copy
        ("[a{1000}]{1000}", 1_000),  # braces inside a class are characters
        ("\\{1000}", 6),  # an escaped brace is a character
        ("(?#a{1000}){3}x", 1),  # a comment is nothing (its repetition repeats nothing)
        ("(?P<n>a{100}){100}", 10_000),
    ],
)
def test_the_layout_estimate_multiplies_nested_repetitions(pattern, layout):
    from qa_linter.text.pattern_safety import layout_estimate

    assert layout_estimate(pattern) == layout


def test_a_large_estimate_that_compiles_small_is_accepted_after_a_trial(tmp_path):
    """The estimate is an upper bound: regex shares 2,000 alternative words, so 50 copies compile in a few MB.
    Such a pattern is tried in a child process first and then used."""
    from qa_linter.text.pattern_safety import MAX_LAYOUT, layout_estimate

    words = "|".join(f"w{i:05d}" for i in range(2000))
    pattern = f"(?:{words}){{50}}"
    assert layout_estimate(pattern) > MAX_LAYOUT
    rules = write(tmp_path / "wide.yaml", f"""\
        rules:
          - {{id: wide, type: regex, category: slang, message: x, pattern: '{pattern}'}}
        """)
    pack = load_rule_pack([rules], builtin=False)
    assert [r.id for r in pack.rules] == ["wide"] and pack.refused == []


def test_the_built_in_patterns_compile_without_a_trial():
    """Start-up must not spawn a process per pattern: every built-in pattern is far below the trial threshold."""
    import yaml

    from qa_linter.resources import builtin_rules
    from qa_linter.text.pattern_safety import MAX_LAYOUT, layout_estimate

    fields = {"pattern", "patterns", "exception_patterns", "ignore_inside", "explained_inside", "allow"}

    def patterns(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in fields:
                    yield from ([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)])
                yield from patterns(value)
        elif isinstance(node, list):
            for item in node:
                yield from patterns(item)

    found = [p for f in sorted(builtin_rules().glob("*.yaml")) for p in patterns(yaml.safe_load(f.read_text(encoding="utf-8")))]
    assert len(found) > 10
    assert max(map(layout_estimate, found)) < MAX_LAYOUT // 100


RUNS = ["1" * 20_000, "1." * 10_000, "1 " * 10_000, "a" * 20_000, "a-" * 10_000, "a_" * 10_000, "a." * 10_000,
        "ab/" * 7_000, "我" * 20_000, "我 " * 10_000, "，" * 20_000, "@a" * 10_000, "1a" * 10_000, "１" * 20_000,
        "1-" * 10_000, "1:" * 10_000, "1/" * 10_000, "1.1." * 5_000, "a@b." * 5_000, "http://a" * 2_500]


@pytest.mark.parametrize("run", RUNS, ids=lambda run: repr(run[:3]))
def test_no_built_in_pattern_times_out_on_a_long_run_of_one_kind_of_character(builtin_linter, run):
    """A customer or agent pasting a long number, a dump or a row of characters: every built-in pattern searches it
    within its time (a pattern that starts again from every character of a run, as jargon's units pattern did
    on a run of digits, took 65 s for 20,000 digits and was skipped as timed out)."""
    builtin_linter.rule_problems.clear()
    conv = {"id": "runs", "messages": [
        {"role": "customer", "text": f"你好 {run} 怎么办"},
        {"role": "agent", "text": f"您好，请检查一下DNS和路由器设置。{run}"},
        {"role": "customer", "text": run},
    ]}
    builtin_linter.scan(conv)
    builtin_linter.check_reply("您好，请在路由器后台修改DNS。", [{"role": "customer", "text": run}])
    assert builtin_linter.rule_problems == {}


# A run right before the words a pattern needs after it: the pattern's gate is open and its window (text/windows.py)
# holds the run, so a pattern that starts again from every character of the run is quadratic there.
RUNS_BEFORE_WORDS = [("1" * 8_000, "天没动过更新"), ("一" * 8_000, "天没动过更新"), ("1" * 8_000, "我们的那个专线")]


@pytest.mark.parametrize(("run", "words"), RUNS_BEFORE_WORDS, ids=lambda value: repr(value[:3]))
def test_no_built_in_pattern_times_out_on_a_long_run_before_the_words_it_needs(builtin_linter, run, words):
    """8,000 digits and 天没动过更新 took the empathy rule's counted-days pattern seconds, and 8,000 digits and
    我们的那个专线 the jargon rule's hotline pattern too (skipped as timed out): each starts only where a run starts."""
    builtin_linter.rule_problems.clear()
    conv = {"id": "runs", "messages": [
        {"role": "customer", "text": f"你好 {run}{words}"},
        {"role": "agent", "text": f"您好，请检查一下DNS和路由器设置。{run}{words}"},
    ]}
    builtin_linter.scan(conv)
    assert builtin_linter.rule_problems == {}


def test_a_large_estimate_is_tried_again_in_every_process_whatever_the_compile_cache(tmp_path, monkeypatch):
    """A pattern known to the compile cache skips its layout estimate, so one above the trial threshold must never
    be kept there: every process tries it in a child first."""
    from qa_linter.text import pattern_safety

    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(tmp_path / "cache"))
    words = "|".join(f"w{i:05d}" for i in range(2000))
    pattern = f"(?:{words}){{50}}"
    rules = write(tmp_path / "wide.yaml", f"""\
        rules:
          - {{id: wide, type: regex, category: slang, message: x, pattern: '{pattern}'}}
          - {{id: small, type: regex, category: slang, message: x, pattern: '有一说一'}}
        """)
    tried = []
    real_trial = pattern_safety._trial_compile
    monkeypatch.setattr(pattern_safety, "_trial_compile", lambda *args: tried.append(args[0]) or real_trial(*args))
    for _ in range(2):  # the second time as a new process, with the cache file the first one wrote
        monkeypatch.setattr(pattern_safety, "_COMPILE_CACHE", None)
        pack = load_rule_pack([rules], builtin=False)
        assert [r.id for r in pack.rules] == ["wide", "small"]
        pattern_safety.save_compile_cache()
    assert len(tried) == 2
    small = [r for r in pack.rules if r.id == "small"][0]
    assert isinstance(small.match.patterns.compiled[0], pattern_safety.LazyPattern)  # the small one came from the cache

"""The fast path finds exactly what the plain path finds.

The plain path (`Toolkit.reference`) folds every message character by character, segments every message
whole before any question about word boundaries, runs every regular expression on every message and asks
the `emoji` package about every non-ASCII message. The fast path skips work it can prove useless; these
tests hold it to the same findings on the labelled sample corpus and on a generated benchmark corpus.
"""
from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from packs import benchmark
from qa_linter import Linter
from qa_linter.canonical import conversation_from_dict
from qa_linter.model import Message
from qa_linter.text.matching import PATTERN_FLAGS, PatternMatcher
from qa_linter.text.normalize import normalize, normalize_reference
from qa_linter.vocabulary import pattern_flags
from qa_linter.text.prefilter import (NUMERALS, min_decimal_digits, min_number_characters, required_literal_sets,
                                      required_literals)



def _generator():
    module = benchmark("generate_corpus")
    return module


@pytest.fixture(scope="module")
def generated_conversations():
    """400 conversations of the benchmark generator (seeded, so every run checks the same ones)."""
    stream = _generator().conversations(seed=8)
    return [conversation_from_dict(next(stream)) for _ in range(400)]


@pytest.fixture(scope="module")
def sample_conversations(corpus_conversations):
    return [conversation_from_dict(c) for c in corpus_conversations]


@pytest.fixture(scope="module")
def reference_linter():
    linter = Linter.from_config()
    linter.pack.toolkit.reference = True
    return linter


@pytest.fixture(scope="module")
def fast_linter():
    return Linter.from_config()


def _findings(linter, conversations):
    return [[f.to_dict() for f in linter.scan(conv)] for conv in conversations]


@pytest.mark.parametrize("corpus", ["sample_conversations", "generated_conversations"])
def test_fast_and_reference_paths_give_identical_findings(corpus, request, fast_linter, reference_linter):
    conversations = request.getfixturevalue(corpus)
    fast = _findings(fast_linter, conversations)
    reference = _findings(reference_linter, conversations)
    assert sum(map(len, reference)) > 0
    for conv, got, expected in zip(conversations, fast, reference):
        assert got == expected, conv.id
    assert not fast_linter.rule_problems and not reference_linter.rule_problems


def test_the_generated_corpus_exercises_every_category(generated_conversations, fast_linter):
    """A benchmark corpus without findings would prove nothing about the fast path."""
    categories = {f.category for conv in generated_conversations for f in fast_linter.scan(conv)}
    expected = {r.category for r in fast_linter.rules}
    assert expected - categories <= {"credential-request", "remote-no-consent"}  # rare on purpose
    assert len(categories) >= 10


def test_the_generator_is_deterministic():
    first = _generator().conversations(seed=3)
    second = _generator().conversations(seed=3)
    assert [next(first) for _ in range(20)] == [next(second) for _ in range(20)]


# -- the normaliser's three paths equal the per-character fold ------------------------------------------------
ALPHABET = (
    list("我不知道亲您好这归管") + list("親這個問題歸說們沈藉瞭") + list("ＡＢａｂ１２ABab12") + list("ΣσςİıſK")
    + [" ", "\u3000", "\u200b", "\u200d", "\ufeff", "\t", "\n", "\r", "\x1c", "\xa0", "\u2028", "\u0301"]
    + list(".-_*/\\|~^+='\"`·•、，。！？") + ["ﬁ", "①", "é", "😊", "\ufe0f", "𠀀"]
    # Characters that fold to one or several others (the sparse path), one whose piece is Chinese (㍿), one whose
    # piece is a mark (´), and the sparse path's own stand-ins typed into a text.
    + ["℃", "…", "²", "㎡", "｡", "･", "Ω", "㍿", "⑴", "´", "\U000f0000", "\U000f0001", "\U000f0002", "\ue000"]
)


def _offsets(n):
    return [n.to_original(i, i + 1) for i in range(len(n.text))], n.to_original(len(n.text), len(n.text))


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=30).map("".join))
def test_normalize_equals_the_per_character_fold(text):
    fast, plain = normalize(text), normalize_reference(text)
    assert fast.text == plain.text
    assert _offsets(fast) == _offsets(plain)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(ALPHABET + ["\x00", "好的"]), max_size=12).map("".join), max_size=6))
def test_a_conversation_folded_at_once_equals_each_message_folded_alone(texts):
    from qa_linter.text.normalize import normalize_many

    together = normalize_many(texts)
    assert [(n.text, _offsets(n)) for n in together] == [
        (n.text, _offsets(n)) for n in map(normalize_reference, texts)]


def test_normalize_equals_the_per_character_fold_on_both_corpora(sample_conversations, generated_conversations):
    from qa_linter.text.normalize import normalize_many

    for conv in sample_conversations + generated_conversations:
        texts = [m.text for m in conv.messages]
        plain = [normalize_reference(t) for t in texts]
        for text, fast, expected in zip(texts, [normalize(t) for t in texts], plain):
            assert (fast.text, _offsets(fast)) == (expected.text, _offsets(expected)), text
        together = normalize_many(texts)
        assert [(n.text, _offsets(n)) for n in together] == [(n.text, _offsets(n)) for n in plain], conv.id


# -- pattern gates ---------------------------------------------------------------------------------------------
def _required(pattern, **lists):
    return required_literals(regex.compile(pattern, PATTERN_FLAGS, **lists))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("您自己(看|查)", {"您自己看", "您自己查"}),
        ("(你|您)(就|还是)?自己", {"你自己", "您自己", "你就自己", "您就自己", "你还是自己", "您还是自己"}),
        ("(把|将)[^。]{0,6}(验证码|密码)", {"验证码", "密码"}),  # the longer alternatives win
        ("(?<![\\d*])1[3-9]\\d{9}", {f"1{d}" for d in "3456789"}),
        ("[a-z0-9.]+@[a-z0-9-]+", {"@"}),
        ("[?？]{3,}", {a + b + c for a in "?？" for b in "?？" for c in "?？"}),
        ("TeamViewer|ToDesk", {"teamviewer", "todesk"}),  # IGNORECASE: the lower-case form of the text
        ("^(hi|hello)\\b", {"hi", "hello"}),
        ("x{2}", {"xx"}),
        ("(?i:ab)cd", {"cd"}),  # scoped flags: that group requires nothing
        ("\\N{DIGIT ONE}23", {"123"}),
        ("订单号(是)?\\d+", {"订单号"}),
    ],
)
def test_required_literals(pattern, expected):
    assert _required(pattern) == expected


def test_verbose_patterns_are_read_as_verbose():
    assert required_literals(regex.compile("您 自己  # a comment", regex.IGNORECASE | regex.VERBOSE)) == {"您自己"}
    assert _required("(?x) 您 自己") == {"您自己"}


def test_named_lists_are_expanded():
    assert _required("(\\L<tools>)(码|号)", tools=["向日葵", "todesk"]) == {
        "向日葵码", "向日葵号", "todesk码", "todesk号"}


@pytest.mark.parametrize(
    "pattern",
    [
        "a?", "(abc)*", "a|b|", ".+", "[^a]+", "\\d+", "\\p{Han}+",  # may match empty, or only unknown classes
        "(?:abc){e<=1}", "[[:alpha:]]x",  # fuzzy matching and POSIX classes: not read at all
        "(?r)abc", "(?V1)abc",  # reverse and version-1 patterns
        "(.)\\1",  # a back-reference contributes nothing
    ],
)
def test_patterns_without_a_provable_requirement_always_run(pattern):
    assert required_literals(regex.compile(pattern, regex.IGNORECASE)) is None


_ATOMS = st.sampled_from(["a", "b", "A", "你", "好", "1", ".", "[ab]", "[^a]", "\\d", "\\s", "[你好]", "\\p{Han}"])


def _patterns(children):
    return st.one_of(
        st.tuples(children, children).map("".join),
        st.tuples(children, children).map(lambda p: f"(?:{p[0]}|{p[1]})"),
        st.tuples(children, st.sampled_from(["?", "*", "+", "{2}", "{1,3}", "{0,2}", "*?", "++"])).map(
            lambda p: f"(?:{p[0]}){p[1]}"),
        children.map(lambda p: f"({p})"),
        children.map(lambda p: f"(?>{p})"),
        st.tuples(st.sampled_from(["(?=a)", "(?!b)", "(?<=a)", "(?<!你)", "^", "$", "\\b"]), children).map("".join),
    )


@settings(max_examples=600, deadline=None)
@given(st.recursive(_ATOMS, _patterns, max_leaves=8), st.lists(st.sampled_from(list("ab你好1 ")), max_size=12).map("".join))
def test_every_required_literal_set_holds_wherever_the_pattern_matches(source, text):
    """Soundness of the analysis on random patterns: a non-empty match means every chosen set is present."""
    pattern = regex.compile(source, PATTERN_FLAGS)
    if any(m.end() > m.start() for m in pattern.finditer(text)):
        for literals in required_literal_sets(pattern):
            assert any(lit in text for lit in literals), (source, text, literals)


@pytest.mark.parametrize(
    "pattern, digits",
    [
        (r"(?<![\d*])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\d*])", 11),  # the built-in mobile pattern
        (r"(?<![0-9a-z*])\d{17}[0-9x](?![0-9a-z*])", 17),  # [0-9x] may be a letter: not counted
        (r"[3-6]\d{15,18}|[3-6]\d{3}(?:[ -]\d{4}){2,3}", 12),  # the fewer of two alternatives
        (r"订单号\d+", 1), (r"\d*", 0), (r"[^0-9]{3}", 0), (r"\p{Nd}{5}", 0), (r"(\d)\1", 1), (r"(?=\d{3})", 0),
    ],
)
def test_minimum_decimal_digits(pattern, digits):
    assert min_decimal_digits(regex.compile(pattern, PATTERN_FLAGS)) == digits


@settings(max_examples=600, deadline=None)
@given(st.recursive(_ATOMS, _patterns, max_leaves=8), st.lists(st.sampled_from(list("ab你好1 ٣")), max_size=12).map("".join))
def test_every_match_holds_the_minimum_number_of_digits(source, text):
    """Soundness on random patterns: every match holds at least that many digits (Arabic-Indic ٣ among them)."""
    pattern = regex.compile(source, PATTERN_FLAGS)
    needed = min_decimal_digits(pattern)
    for m in pattern.finditer(text):
        assert len(regex.findall(r"\d", m.group())) >= needed, (source, text)


@pytest.mark.parametrize(
    "pattern, numbers",
    [
        (r"[1一幺壹][3-9三四五六七八九](?:[ .\-]?[0-9一二三四五六七八九〇零]){9}", 11),  # a mobile number in numerals
        (r"\d{11}|[一二三]{11}", 11), (r"(?:86|八六)?1\d{10}", 11), (r"[0-9x]{5}", 0), (r"第[一二三]", 1),
        (r"[一-九]{3}", 0),  # the range holds every character between 一 and 九, not only numerals
        (r"[^0-9]{3}", 0), (r"\p{Nd}{5}", 0),
    ],
)
def test_minimum_number_characters(pattern, numbers):
    assert min_number_characters(regex.compile(pattern, PATTERN_FLAGS)) == numbers


_NUMBER_ATOMS = st.sampled_from(["a", "一", "三", "九", "1", "5", ".", "[一三]", "[1三]", "[^一]", "\\d", "[0-9]",
                                 "\\p{Han}", "(?:86|八六)", "[一-三]"])


@settings(max_examples=600, deadline=None)
@given(st.recursive(_NUMBER_ATOMS, _patterns, max_leaves=8),
       st.lists(st.sampled_from(list("a一二三九15 ٣")), max_size=12).map("".join))
def test_every_match_holds_the_minimum_number_of_number_characters(source, text):
    """Soundness on random patterns: every match holds at least that many digits and Chinese numerals."""
    pattern = regex.compile(source, PATTERN_FLAGS)
    needed = min_number_characters(pattern)
    for m in pattern.finditer(text):
        held = len(regex.findall(r"\d", m.group())) + sum(ch in NUMERALS for ch in m.group())
        assert held >= needed, (source, text)


def test_a_cased_letter_beyond_ascii_is_never_a_literal():
    assert _required("Σ") is None  # σ and ς both match it case-insensitively
    assert _required("abΣ") == {"ab"}


def test_folded_text_holds_no_other_character_that_matches_an_ascii_letter():
    """The gates look for lower-case ASCII in the folded text; no other character there may stand in for one.

    Only cased characters have case-insensitive partners, so folding each of them covers every case.
    """
    letter = regex.compile("[a-z]", regex.IGNORECASE)
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if ch.lower() == ch.upper() or 0xD800 <= cp <= 0xDFFF:
            continue
        for out in normalize(ch).text:
            assert not letter.fullmatch(out) or "a" <= out <= "z", (hex(cp), out)


def _loaded_patterns():
    """Every compiled pattern of every rule pack loaded in this process (the built-in pack among them)."""
    found = {id(p): p for m in gc.get_objects() if isinstance(m, PatternMatcher) for p in m.compiled}
    return list(found.values())


def test_every_gated_pattern_matches_only_where_one_of_its_literals_is(
    fast_linter, sample_conversations, generated_conversations
):
    texts = {normalize(m.text).text for conv in sample_conversations + generated_conversations for m in conv.messages}
    gated = [(p, lits) for p in _loaded_patterns() if (lits := required_literals(p))]
    assert len(gated) > 30
    matched = 0
    for pattern, literals in gated:
        for text in texts:
            if any(m.end() > m.start() for m in pattern.finditer(text)):
                matched += 1
                assert any(lit in text for lit in literals), (pattern.pattern, text)
    assert matched > 100


def _gates_of(linter) -> list:
    """Every PatternMatcher's patterns with their gates (list ids, digits, number characters), in pack order."""
    return [(rule.id, source, gate, digits, numbers) for rule in linter.rules for matcher in rule.matchers()
            for patterns in (matcher.patterns, getattr(matcher.exceptions, "patterns", None)) if patterns is not None
            for source, gate, digits, numbers in zip(patterns.sources, patterns._gates, patterns._digits, patterns._numbers)]


@pytest.fixture()
def fresh_gate_cache(tmp_path, monkeypatch):
    """An empty cache folder and no pattern analyses read yet in this process."""
    from qa_linter.text import prefilter

    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(prefilter, "_GATE_CACHE", None)
    return tmp_path / "cache"


def test_pattern_analyses_read_from_the_cache_equal_the_analyses_themselves(fresh_gate_cache, monkeypatch):
    from qa_linter.text import prefilter

    computed = Linter.from_config()
    assert [p.name.split("-")[0] for p in fresh_gate_cache.glob("prefilter-*")] == ["prefilter"]
    analysed = []
    real = prefilter.required_literal_sets
    monkeypatch.setattr(prefilter, "required_literal_sets", lambda *a, **k: analysed.append(a) or real(*a, **k))
    monkeypatch.setattr(prefilter, "_GATE_CACHE", None)  # as a new process: the file is read
    cached = Linter.from_config()
    # Every matcher pattern's gates came from the file: only jargon's span patterns (ignore_inside, explained_inside)
    # ask for their one set, uncached.
    spans = sum(len(rule.ignore) + len(rule.explanations) for rule in cached.pack.rules if rule.TYPE == "jargon")
    assert [args for args in analysed if len(args) == 1] == [] and len(analysed) == spans
    gates = _gates_of(cached)
    assert len(gates) > 150 and gates == _gates_of(computed)
    for pattern in _loaded_patterns():
        assert prefilter.pattern_gates(pattern) == (
            required_literal_sets(pattern), min_decimal_digits(pattern), min_number_characters(pattern))


def test_a_damaged_or_foreign_gate_cache_is_analysed_again(fresh_gate_cache, monkeypatch):
    from qa_linter.text import prefilter

    expected = _gates_of(Linter.from_config())
    (path,) = fresh_gate_cache.glob("prefilter-*")
    stored = path.read_text(encoding="utf-8")
    wrong = json.loads(stored)
    wrong["gates"] = {key: 1 for key in wrong["gates"]}  # an entry that is not what the module writes
    for damaged in ("{not json", '{"version": "another", "gates": {}}', json.dumps(wrong), stored[: len(stored) // 2]):
        path.write_text(damaged, encoding="utf-8")
        monkeypatch.setattr(prefilter, "_GATE_CACHE", None)
        assert _gates_of(Linter.from_config()) == expected


def test_without_the_module_source_patterns_are_analysed_every_time(fresh_gate_cache, monkeypatch):
    from qa_linter.text import prefilter

    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: (_ for _ in ()).throw(OSError("no source"))
                        if self.name == "prefilter.py" else real(self))
    pattern = regex.compile(r"验证码\d{6}", PATTERN_FLAGS)
    assert prefilter.pattern_gates(pattern) == ([frozenset({"验证码"})], 6, 6)
    prefilter.save_gate_cache()
    assert not fresh_gate_cache.exists() or not list(fresh_gate_cache.glob("prefilter-*"))


def test_without_a_writable_cache_folder_patterns_are_analysed_every_time(tmp_path, monkeypatch):
    from qa_linter.text import prefilter, tokenize

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(tokenize.tempfile, "gettempdir", lambda: str(blocker))
    monkeypatch.setattr(prefilter, "_GATE_CACHE", None)
    pattern = regex.compile(r"(提供|告诉)\s*(密码|验证码)\d{6}", PATTERN_FLAGS)
    assert prefilter.pattern_gates(pattern) == ([frozenset({"密码", "验证码"}), frozenset({"提供", "告诉"})], 6, 6)
    prefilter.save_gate_cache()  # nothing can be written: no error
    assert prefilter._GATE_CACHE.dirty


def test_a_matcher_judges_a_text_seen_before_as_it_judges_it_anew(fast_linter, sample_conversations, monkeypatch):
    from qa_linter.analysis import MessageView
    from qa_linter.text import matching

    toolkit = fast_linter.pack.toolkit
    matchers = list({id(m): m for rule in fast_linter.rules for m in rule.matchers()
                     if isinstance(m, matching.TextMatcher)}.values())
    texts = [m.text for conv in sample_conversations for m in conv.messages]
    texts += texts[:200]  # seen before
    fresh = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching, "MEMO_CHARACTERS", -1)  # nothing remembered
        for k, matcher in enumerate(matchers):
            for text in texts:
                view = MessageView(Message(0, "agent", text), toolkit)
                fresh[k, text] = (matcher.find(view), matcher.search(view))
    remembered = 0
    for k, matcher in enumerate(matchers):
        for text in texts:
            if text in matcher._memo:
                remembered += 1
            view = MessageView(Message(0, "agent", text), toolkit)
            assert (matcher.find(view), matcher.search(view)) == fresh[k, text], (matcher.owner, text)
    assert remembered > 500
    # A text longer than MEMO_CHARACTERS is never kept; the memory is bounded by MEMO_TEXTS.
    matcher = matchers[0]
    long_text = "您好" * matching.MEMO_CHARACTERS
    matcher.find(MessageView(Message(0, "agent", long_text), toolkit))
    assert long_text not in matcher._memo
    monkeypatch.setattr(matching, "MEMO_TEXTS", 3)
    matcher._memo.clear()
    kept = 0
    for text in dict.fromkeys(texts):
        matcher.find(MessageView(Message(0, "agent", text), toolkit))
        kept = max(kept, len(matcher._memo))
        assert len(matcher._memo) <= 3
    assert kept == 3


def test_a_matchers_first_hit_is_the_first_it_finds(fast_linter, sample_conversations, generated_conversations):
    """TextMatcher.first weighs the conditions only until a hit passes them (what a sequence rule's trigger and a
    conditioned `search` ask): it must give find's first hit, for every matcher of the pack, as the message's own
    role and as the other."""
    from qa_linter.analysis import MessageView
    from qa_linter.text import matching

    toolkit = fast_linter.pack.toolkit
    matchers = list({id(m): m for rule in fast_linter.rules for m in rule.matchers()
                     if isinstance(m, matching.TextMatcher)}.values())
    assert any(m.conditions is not None for m in matchers)
    texts = list(dict.fromkeys(m.text for conv in sample_conversations + generated_conversations for m in conv.messages))
    several = 0  # messages where a conditioned matcher finds more than one hit: where stopping early matters
    for matcher in matchers:
        for text in texts:
            for role in ("agent", "customer"):
                hits = matcher.find(MessageView(Message(0, role, text), toolkit))
                first = matcher.first(MessageView(Message(0, role, text), toolkit))
                assert first == (hits[0] if hits else None), (matcher.owner, text)
                # …and `search`, which with conditions asks for the first hit, answers as find does.
                assert matcher.search(MessageView(Message(0, role, text), toolkit)) == bool(hits), (matcher.owner, text)
                several += matcher.conditions is not None and len(hits) > 1
    assert several > 10


def _matcher_patterns(linter) -> list:
    return [pattern for rule in linter.rules for matcher in rule.matchers()
            for patterns in (matcher.patterns, getattr(matcher.exceptions, "patterns", None)) if patterns is not None
            for pattern in patterns.compiled]


@pytest.fixture()
def fresh_compile_cache(tmp_path, monkeypatch):
    """An empty cache folder and no compiled patterns read yet in this process; every pack is compiled (none is
    taken whole from a pack snapshot, which would not read the compile cache at all)."""
    from qa_linter.pack_snapshot import PackSnapshot
    from qa_linter.text import pattern_safety

    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pattern_safety, "_COMPILE_CACHE", None)
    monkeypatch.setattr(PackSnapshot, "load", lambda self: None)
    return tmp_path / "cache"


def test_patterns_compiled_on_first_use_equal_the_patterns_compiled_at_once(
    fresh_compile_cache, monkeypatch, sample_conversations
):
    from qa_linter.text import pattern_safety
    from qa_linter.text.pattern_safety import LazyPattern

    Linter.from_config()
    assert [p.name for p in fresh_compile_cache.glob("compiled-patterns-*")]
    monkeypatch.setattr(pattern_safety, "_COMPILE_CACHE", None)  # as a new process: the file is read
    # All but the vocabulary's shared patterns (compiled when it is imported), none of them compiled yet.
    lazy = [p for p in _matcher_patterns(Linter.from_config()) if isinstance(p, LazyPattern)]
    assert len(lazy) > 150 and not any("_compiled" in p.__dict__ for p in lazy)
    texts = [normalize(m.text).text for conv in sample_conversations for m in conv.messages]
    for pattern in lazy:
        # Compiled as the loader compiles a rule pattern: case-insensitive only where case can matter.
        compiled = regex.compile(pattern.pattern, pattern_flags(pattern.pattern, pattern.named_lists),
                                 **pattern.named_lists)
        assert (pattern.flags, pattern.named_lists) == (compiled.flags, compiled.named_lists)
        for text in texts:
            assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert all("_compiled" in p.__dict__ for p in lazy)


def test_a_damaged_or_foreign_compile_cache_is_not_trusted(fresh_compile_cache, monkeypatch):
    from qa_linter.text import pattern_safety

    Linter.from_config()
    (path,) = fresh_compile_cache.glob("compiled-patterns-*")
    stored = path.read_text(encoding="utf-8")
    wrong = json.loads(stored)
    wrong["compiled"] = {key: "x" for key in wrong["compiled"]}  # an entry that is not what the module writes
    for damaged in ("{not json", '{"version": "another", "flags": {}}', json.dumps(wrong), stored[: len(stored) // 2]):
        path.write_text(damaged, encoding="utf-8")
        monkeypatch.setattr(pattern_safety, "_COMPILE_CACHE", None)
        Linter.from_config()  # every pattern compiled again, and the file written anew
        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(stored)


def test_a_pattern_that_does_not_compile_is_reported_whatever_the_compile_cache(fresh_compile_cache, monkeypatch):
    from qa_linter.checks import CompileContext, compile_pattern
    from qa_linter.text import pattern_safety
    from qa_linter.text.pattern_safety import LazyPattern

    toolkit = Linter.from_config().pack.toolkit
    for first_time in (True, False):  # the second time as a new process, with the file the first one wrote
        monkeypatch.setattr(pattern_safety, "_COMPILE_CACHE", None)
        ctx = CompileContext(toolkit, lambda name: None, lambda: [])
        valid = compile_pattern("(请提供|告诉我)验证码", ctx, 1, "regular expression")
        assert compile_pattern("(未闭合", ctx, 2, "regular expression") is None
        assert [error.line for error in ctx.errors] == [2]
        assert isinstance(valid, LazyPattern) is not first_time and valid.search("请提供验证码").span() == (0, 6)
        pattern_safety.save_compile_cache()


# -- jieba's dictionary read by first character equals jieba's whole dictionary ------------------------------------
def _plain_tokenizer(user_words):
    """What the segmenter did before the dictionary was read lazily: the whole dictionary, words added eagerly."""
    import jieba

    from qa_linter.text.tokenize import _base_tokenizer, _unknown_word

    base = _base_tokenizer()
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(base.FREQ), base.total, True
    for word in [w for w in user_words if _unknown_word(tokenizer, w)]:
        if tokenizer.FREQ.get(word, 0) == 0:
            tokenizer.add_word(word, freq=max(10, tokenizer.suggest_freq(word, tune=False)))
    return tokenizer


@pytest.fixture()
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder and no prefix store loaded yet in this process."""
    from qa_linter.text import tokenize

    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(tokenize, "_STORE", None)
    return tmp_path / "cache"


def test_lazily_read_dictionary_segments_every_block_as_jieba_does(
    fresh_cache, fast_linter, sample_conversations, generated_conversations
):
    from qa_linter.text.tokenize import BLOCK, Segmenter

    segmenter = Segmenter(fast_linter.pack.toolkit._user_words)
    plain = _plain_tokenizer(segmenter._candidates)
    blocks = sorted({b for conv in sample_conversations + generated_conversations for m in conv.messages
                     for b in BLOCK.findall(normalize(m.text).text)})
    blocks += sorted(segmenter._candidates)  # the lexicon terms themselves
    assert len(blocks) > 3000
    for block in blocks:
        assert segmenter._ready(block).lcut(block, HMM=False) == plain.lcut(block, HMM=False), block
    assert sorted(p.name.split("-")[1] for p in fresh_cache.iterdir()) == ["pairs", "words"]


def test_the_cache_file_is_read_back_and_a_damaged_one_is_rebuilt(fresh_cache):
    from qa_linter.text import tokenize

    first = tokenize.PrefixStore.load()
    cached = tokenize.PrefixStore.load()
    assert isinstance(cached._index, tuple)  # offsets into the file's bytes
    assert cached.total == first.total and cached.part("不一") == first.part("不一") and "不一会儿" in cached.part("不一")
    assert cached.singles() == first.singles() and cached.singles()["不"] > 0
    assert cached.part("\U0010ffff\U0010ffff") == {}  # past the last pair
    # Every entry of jieba's dictionary is in the part of its first two characters (or among the singles).
    base = tokenize._base_tokenizer().FREQ
    for entry in list(base)[::97]:
        assert (cached.singles() if len(entry) == 1 else cached.part(entry[:2]))[entry] == base[entry], entry
    for path in fresh_cache.glob("jieba-pairs-*"):
        path.write_bytes(b"damaged")
    rebuilt = tokenize.PrefixStore.load()
    assert rebuilt.part("不一") == first.part("不一") and rebuilt.singles() == first.singles()


def test_without_a_writable_cache_folder_the_dictionary_stays_in_memory(tmp_path, monkeypatch):
    from qa_linter.text import tokenize

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(tokenize.tempfile, "gettempdir", lambda: str(blocker))
    store = tokenize.PrefixStore.load()
    assert isinstance(store.part("不一"), dict) and "不一会儿" in store.part("不一") and "不" in store.singles()
    segmenter = tokenize.Segmenter(["回滚"])
    monkeypatch.setattr(tokenize, "_STORE", store)
    assert segmenter.boundaries("请回滚版本").covers(1, 3)


# -- OpenCC is skipped only for texts it cannot change ---------------------------------------------------------
def _opencc_share():
    import opencc

    return Path(opencc.OpenCC("t2s").config).parent


def test_the_list_of_convertible_characters_fits_the_installed_opencc():
    """Otherwise every text is converted (still correct, only slower): regenerate t2s_data.py after an upgrade."""
    from qa_linter.text import t2s_data

    assert t2s_data.characters_for(_opencc_share()) is not None, "python -m qa_linter.text.t2s_data"


def test_the_list_of_convertible_characters_is_what_opencc_says():
    from qa_linter.text import t2s_data

    tool = _opencc_share().parent.parent / "bin" / "opencc_dict"
    if not tool.exists():
        pytest.skip("this opencc build ships no opencc_dict tool")
    assert t2s_data.derive(_opencc_share(), tool) == t2s_data.CHARACTERS


def test_unknown_dictionaries_turn_the_shortcut_off(tmp_path):
    from qa_linter.text import t2s_data

    for name in t2s_data.SOURCES:
        (tmp_path / name).write_bytes((_opencc_share() / name).read_bytes())
    assert t2s_data.characters_for(tmp_path) is not None
    (tmp_path / "TSPhrases.ocd2").write_bytes(b"changed")
    assert t2s_data.characters_for(tmp_path) is None


@pytest.mark.parametrize("text", ["回覆", "我沈思了一下", "瞭解", "土坏", "這個", "请您回复", "没有繁体字"])
def test_phrases_whose_characters_do_not_change_alone_are_still_converted(text):
    from qa_linter.text.normalize import _convert_traditional, _to_simplified

    assert _to_simplified(text) == _convert_traditional(text)


def test_writing_a_store_keeps_only_the_most_recently_used_ones(fresh_cache):
    """Every jieba installation has its own store (13 MB); the stores of environments gone for good must not pile up:
    writing a new one leaves the PAIR_STORES_KEPT most recently used, and removes stale temporary files."""
    import os
    import time

    from qa_linter.text import tokenize

    fresh_cache.mkdir(parents=True)
    now = time.time()
    for age_days, name in [(1, "a"), (2, "b"), (30, "c"), (60, "d")]:
        path = fresh_cache / f"jieba-pairs-{name}.bin"
        path.write_bytes(b"another environment's store")
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    leftover, fresh = fresh_cache / ".tmp-killed", fresh_cache / ".tmp-writing-now"
    leftover.write_bytes(b"half")
    os.utime(leftover, (now - 3 * 86400, now - 3 * 86400))
    fresh.write_bytes(b"in progress")
    store = tokenize.PrefixStore.load()
    assert "不一会儿" in store.part("不一")
    kept = sorted(p.name for p in fresh_cache.glob("jieba-pairs-*.bin"))
    assert len(kept) == tokenize.PAIR_STORES_KEPT
    assert "jieba-pairs-a.bin" in kept and "jieba-pairs-b.bin" in kept  # the two most recently used others
    assert not leftover.exists() and fresh.exists()


def test_opening_a_store_marks_it_used(fresh_cache):
    import os
    import time

    from qa_linter.text import tokenize

    tokenize.PrefixStore.load()
    (path,) = fresh_cache.glob("jieba-pairs-*.bin")
    old = time.time() - 10 * 86400
    os.utime(path, (old, old))
    tokenize.PrefixStore.load()
    assert path.stat().st_mtime > old + 9 * 86400


def test_writing_a_packs_word_list_keeps_only_the_most_recently_used_ones(fresh_cache):
    """Every edit of a pack's lexicons writes a new list of the words jieba must learn; old lists must not pile up."""
    import os
    import time

    from qa_linter.text import tokenize

    fresh_cache.mkdir(parents=True)
    now = time.time()
    for n in range(tokenize.WORD_LISTS_KEPT + 5):
        path = fresh_cache / f"jieba-words-old{n:02d}.json"
        path.write_text("{}", encoding="utf-8")
        os.utime(path, (now - (n + 1) * 86400, now - (n + 1) * 86400))
    segmenter = tokenize.Segmenter(["回滚", "灰度发布"])
    assert segmenter.boundaries("请回滚版本").covers(1, 3)
    lists = sorted(p.name for p in fresh_cache.glob("jieba-words-*.json"))
    assert len(lists) == tokenize.WORD_LISTS_KEPT
    assert "jieba-words-old00.json" in lists and "jieba-words-old24.json" not in lists  # the newest others stay


def test_a_pattern_made_from_kept_code_is_the_pattern_compiled_from_its_source():
    """pattern_safety keeps what `regex` compiled a pattern to, and makes it again from that: the same constructor
    arguments, or (a damaged or foreign entry) the source compiled as before."""
    from qa_linter.text.pattern_safety import LazyPattern, compiled_code, from_code

    sources = [(r"(想|要)(\p{Han}{1,2})就\2吧", {}), (r"(?P<term>[a-z]{2,5})-\d", {}),
               (r"(远程|\L<tools>)[^。]{0,4}(?<!不)连接", {"tools": ["向日葵", "todesk"]}), (r"^您好|谢谢$", {})]
    for source, lists in sources:
        compiled = regex.compile(source, PATTERN_FLAGS, **lists)
        code = compiled_code(compiled)
        assert code is not None
        again = from_code(code, source)
        assert again is not None and again._pickled_data == compiled._pickled_data
        digest, text = code
        for bad in ((digest, text + " "), ("0" * 40, text), (digest, 5), None):
            assert from_code(bad, source) is None
        assert from_code(code, source + "x") is None  # kept for another pattern
        lazy = LazyPattern(source, PATTERN_FLAGS, lists, compiled.flags, ("0" * 40, text))  # damaged: compiled anew
        for text_ in ("我想走就走吧", "ab-1", "远程向日葵连接", "您好", "谢谢"):
            assert [m.span() for m in lazy.finditer(text_)] == [m.span() for m in compiled.finditer(text_)]


def test_without_code_that_can_be_kept_a_known_pattern_is_still_compiled_when_first_used(fresh_compile_cache,
                                                                                          monkeypatch):
    """Another `regex` whose compiled patterns carry no constructor arguments of the known shape: the cache keeps
    that the pattern compiles (its flags), and the next process compiles it from its source when first used."""
    from qa_linter.text import pattern_safety
    from qa_linter.text.pattern_safety import LazyPattern, safe_compile

    monkeypatch.setattr(pattern_safety, "compiled_code", lambda pattern: None)
    first = safe_compile("请(提供|告诉我)验证码", PATTERN_FLAGS)
    pattern_safety.save_compile_cache()
    monkeypatch.setattr(pattern_safety, "_COMPILE_CACHE", None)  # as a new process: the file is read
    again = safe_compile("请(提供|告诉我)验证码", PATTERN_FLAGS)
    assert isinstance(again, LazyPattern) and "_compiled" not in again.__dict__
    assert again.search("您好，请提供验证码").span() == first.search("您好，请提供验证码").span() == (3, 9)

"""`qa-lint scan` through click's test runner: formats, exit codes, options, configuration, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from packs import CLI_CONVERSATIONS as CONVERSATIONS
from packs import jsonl
from qa_linter.cli import main

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
ONLY_TEST_RULES = ["--no-builtin", "--rules", str(RULES)]


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


@pytest.fixture
def transcripts(tmp_path) -> Path:
    path = tmp_path / "transcripts.jsonl"
    path.write_text(jsonl(CONVERSATIONS), encoding="utf-8")
    return path


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env, catch_exceptions=False)


def scan(*args, **kwargs):
    return run("scan", *ONLY_TEST_RULES, *args, **kwargs)


# -- formats --------------------------------------------------------------------------------------------------
def test_text_output_groups_findings_by_conversation_and_marks_the_words(transcripts):
    result = scan(transcripts)
    out = result.stdout
    assert out.index("c-1") < out.index("c-2") and "c-3" not in out
    assert "#1 客服  warning  t-slang" in out
    assert "网络用语「亲」" in out and "«亲»，您好" in out and "建议：您" in out
    assert "«不 知 道»" in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_the_summary_goes_to_stderr_with_counts_by_category(transcripts):
    result = scan(transcripts)
    assert "3 conversations, 8 messages, 4 findings (1 error, 3 warnings)" in result.stderr
    assert "banned-phrase 1" in result.stderr and "closing-missing 1" in result.stderr
    assert "conversations" not in result.stdout


def test_json_output_carries_every_finding_field_with_exact_offsets(transcripts):
    result = scan(transcripts, "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["tool"] == "qa-linter" and doc["rule_pack"]
    assert doc["summary"]["findings"] == 4 and doc["summary"]["conversations"] == 3
    assert [c["id"] for c in doc["conversations"]] == ["c-1", "c-2", "c-3"]
    fields = {"conversation_id", "message_index", "role", "rule", "category", "severity", "message",
              "start", "end", "text", "suggestion"}
    originals = {c["id"]: c["messages"] for c in CONVERSATIONS}
    for f in doc["findings"]:
        assert fields <= set(f)
        if f["start"] is None:
            assert f["end"] is None and f["text"] is None
        else:
            assert originals[f["conversation_id"]][f["message_index"]]["text"][f["start"] : f["end"]] == f["text"]
    taboo = next(f for f in doc["findings"] if f["rule"] == "t-taboo")
    assert taboo == {**taboo, "conversation_id": "c-2", "message_index": 1, "role": "agent", "category": "banned-phrase",
                     "severity": "error", "start": 4, "end": 9, "text": "不 知 道", "suggestion": "我帮您核实一下",
                     "message": "服务忌语「不 知 道」"}
    closing = next(f for f in doc["findings"] if f["rule"] == "t-closing")
    assert (closing["conversation_id"], closing["message_index"], closing["start"]) == ("c-1", 3, None)


def test_jsonl_output_is_one_finding_a_line(transcripts):
    lines = scan(transcripts, "--format", "jsonl").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 4
    assert [(r["conversation_id"], r["message_index"], r["rule"]) for r in records] == [
        ("c-1", 1, "t-slang"), ("c-1", 3, "t-closing"), ("c-2", 1, "t-greeting"), ("c-2", 1, "t-taboo"),
    ]


def test_output_is_deterministic(transcripts):
    assert scan(transcripts, "--format", "jsonl").stdout == scan(transcripts, "--format", "jsonl").stdout
    assert scan(transcripts).stdout == scan(transcripts).stdout


def test_output_to_a_file(tmp_path, transcripts):
    target = tmp_path / "out.json"
    result = scan(transcripts, "--format", "json", "-o", target)
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["findings"] == 4
    text_target = tmp_path / "out.txt"
    scan(transcripts, "--output", text_target, "--color", "always")
    assert "«亲»" in text_target.read_text(encoding="utf-8")  # files never get colour codes
    assert "\x1b[" not in text_target.read_text(encoding="utf-8")


# -- exit codes -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "code"),
    [
        ((), 1),  # an error finding; the default threshold is error
        (("--fail-on", "never"), 0),
        (("--exit-zero",), 0),
        (("--select", "t-slang"), 0),  # a warning only: below the default threshold
        (("--select", "t-slang", "--fail-on", "warning"), 1),
        (("--select", "t-slang", "--fail-on", "info"), 1),
        (("--select", "t-slang", "--severity", "t-slang=info", "--fail-on", "warning"), 0),
        (("--select", "t-slang", "--severity", "slang=error"), 1),
        (("--select", "nothing-matches"), 2),  # a typo selects nothing: a usage error, not a clean scan
    ],
)
def test_exit_codes(transcripts, options, code):
    assert scan(transcripts, *options).exit_code == code


def test_quiet_drops_the_summary(transcripts):
    result = scan(transcripts, "--quiet")
    assert result.stderr == "" and "t-slang" in result.stdout


def test_statistics_count_findings_per_rule(transcripts):
    result = scan(transcripts, "--statistics")
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["1", "t-taboo", "banned-phrase"] in rows and len(rows) == 4
    as_json = json.loads(scan(transcripts, "--statistics", "--format", "json").stdout)
    assert {"rule": "t-slang", "category": "slang", "count": 1} in as_json


# -- selecting rules ----------------------------------------------------------------------------------------
def rules_seen(result) -> set[str]:
    return {json.loads(line)["rule"] for line in result.stdout.splitlines()}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--select", "t-slang"), {"t-slang"}),
        (("--select", "banned-phrase,slang"), {"t-slang", "t-taboo"}),  # categories, comma-separated
        (("--select", "t-g*"), {"t-greeting"}),  # a prefix
        (("--ignore", "t-closing", "--ignore", "greeting-missing"), {"t-slang", "t-taboo"}),
    ],
)
def test_select_and_ignore(transcripts, options, expected):
    assert rules_seen(scan(transcripts, "--format", "jsonl", *options)) == expected


def test_severity_override_shows_in_the_findings(transcripts):
    result = scan(transcripts, "--format", "jsonl", "--select", "t-taboo", "--severity", "t-taboo=info")
    assert [json.loads(line)["severity"] for line in result.stdout.splitlines()] == ["info"]


def test_a_malformed_severity_option_is_a_usage_error(transcripts):
    result = scan(transcripts, "--severity", "t-taboo")
    assert result.exit_code == 2 and "RULE_OR_CATEGORY=error|warning|info" in result.stderr


# -- configuration files --------------------------------------------------------------------------------------
def test_qa_linter_yaml_in_the_current_folder(tmp_path, transcripts, monkeypatch):
    (tmp_path / "qa-linter.yaml").write_text(
        f"rules: [{RULES}]\nbuiltin: false\nselect: [t-slang, t-taboo]\nseverity: {{t-taboo: warning}}\nfail_on: warning\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = run("scan", "--format", "jsonl", transcripts)
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert {(f["rule"], f["severity"]) for f in found} == {("t-slang", "warning"), ("t-taboo", "warning")}
    assert result.exit_code == 1  # fail_on: warning from the file
    assert run("scan", "--fail-on", "error", transcripts).exit_code == 0  # the command line wins


def test_tool_section_of_pyproject_toml(tmp_path, transcripts, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.qa-linter]\nrules = ["{RULES}"]\nbuiltin = false\nignore = ["slang", "t-g*"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert rules_seen(run("scan", "--format", "jsonl", transcripts)) == {"t-closing", "t-taboo"}


def test_a_mistake_in_the_config_file_is_exit_2_with_the_fix(tmp_path, transcripts, monkeypatch):
    (tmp_path / "qa-linter.yaml").write_text("selct: [slang]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("scan", transcripts)
    assert result.exit_code == 2
    assert "unknown setting 'selct'; did you mean 'select'?" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("setting, expected", [
    # Numbers where names go were tracebacks (YAML reads 1 as a number): now names, judged as any other.
    ("severity: {1: error, closing-missing: info}", "qa-linter.yaml:1: severity: '1' is no rule id or category"),
    ("options: {1: {x: 1}}", "qa-linter.yaml:1: options for unknown rule '1'"),
    # A category is what a QA lead thinks in; options change one rule, so they are told which.
    ("options: {slang: {terms+: [老铁666]}}",
     "qa-linter.yaml:1: options for unknown rule 'slang'; 'slang' is a category: options name a rule of it (slang-internet)"),
    ("rules: [1]", "1: no such rule file or folder"),
    ("lexicons: [1]", "1: no such lexicon folder"),
    ("lexicons: [our-lists]", "our-lists: no such lexicon folder"),  # a typo used to leave the lists unread
    ("audience_segments: {~: developer}", "qa-linter.yaml:1: audience_segments: null is not a name"),
    ("audiences: {true: developer}", "qa-linter.yaml:1: audiences: true is not a name"),
    ("options:\n  slow-response: 5",
     "qa-linter.yaml:2: options for slow-response must be a mapping of the rule's fields, e.g. slow-response: "
     "{severity: info}, not the number 5"),
    # A mistake the options make is reported where they are written, not in the built-in rule's file.
    ("options:\n  slow-response: {thresholds: {chat: {first: -5}}}",
     "qa-linter.yaml:2: [slow-response] options: thresholds.chat values must be positive numbers of seconds"),
    ("options:\n  slow-response: {thresholds: {chat: {later: abc}}}",
     "qa-linter.yaml:2: [slow-response] options: thresholds.chat values must be numbers of seconds"),
    ("options:\n  empathy-missing: {trigger+: {lexicon+: [no-such-list]}}",
     "qa-linter.yaml:2: [empathy-missing] options: unknown lexicon 'no-such-list'"),
])
def test_a_setting_of_the_wrong_kind_is_exit_2_with_its_line(tmp_path, transcripts, setting, expected):
    (tmp_path / "qa-linter.yaml").write_text(setting + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(transcripts)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_numbers_in_the_configuration_are_the_names_they_stand_for(tmp_path, transcripts):
    # A rule folder named 2024 and a team named 101 work as written, with no quotes.
    (tmp_path / "2024").mkdir()
    (tmp_path / "2024" / "r.yaml").write_text(
        "rules:\n  - {id: t-2024, type: phrases, category: slang, message: x, terms: [亲]}\n", encoding="utf-8")
    (tmp_path / "qa-linter.yaml").write_text("rules: [2024]\naudiences: {101: developer}\n", encoding="utf-8")
    result = run("scan", "--format", "jsonl", "--select", "t-2024", transcripts)
    assert result.exit_code in (0, 1) and "t-2024" in rules_seen(result)


def test_rule_errors_stop_the_scan_with_exit_2(tmp_path, transcripts):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {id: r, type: phrase, category: slang, message: x, terms: [亲]}\n", encoding="utf-8")
    result = run("scan", "--no-builtin", "--rules", bad, transcripts)
    assert result.exit_code == 2
    assert f"error: {bad}:2: [r] unknown rule type 'phrase'; did you mean 'phrases'?" in result.stderr
    assert result.stdout == ""


# -- colour ---------------------------------------------------------------------------------------------------
def test_colour_only_when_asked_and_never_with_no_color(transcripts):
    assert "\x1b[" in scan(transcripts, "--color", "always").stdout
    # NO_COLOR turns off the automatic choice; an explicit --color always is the user's later word.
    assert "\x1b[" in scan(transcripts, "--color", "always", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in scan(transcripts, "--color", "never").stdout


def test_no_color_environment_variable(monkeypatch):
    from qa_linter.outputs.text import make_console

    class FakeTerminal:
        def isatty(self):
            return True

        def write(self, text):
            pass

        def flush(self):
            pass

    monkeypatch.setenv("NO_COLOR", "1")
    assert make_console(FakeTerminal()).no_color
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert not make_console(FakeTerminal()).no_color
    monkeypatch.delenv("NO_COLOR")
    assert not make_console(FakeTerminal()).no_color


# -- inputs ---------------------------------------------------------------------------------------------------
def test_stdin(transcripts):
    result = scan("-", "--format", "jsonl", input=transcripts.read_text(encoding="utf-8"))
    assert len(result.stdout.splitlines()) == 4


def test_folders_recursively(tmp_path):
    (tmp_path / "in" / "deeper").mkdir(parents=True)
    (tmp_path / "in" / "a.jsonl").write_text(jsonl(CONVERSATIONS[:1]), encoding="utf-8")
    (tmp_path / "in" / "deeper" / "b.jsonl").write_text(jsonl(CONVERSATIONS[1:]), encoding="utf-8")
    result = scan(tmp_path / "in", "--format", "json")
    assert [c["id"] for c in json.loads(result.stdout)["conversations"]] == ["c-1", "c-2", "c-3"]


def test_a_malformed_line_is_reported_with_its_place_and_the_scan_goes_on(tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = jsonl(CONVERSATIONS).splitlines()
    path.write_text("\n".join([lines[0], '{"id": "broken", "messages": [', lines[1]]) + "\n", encoding="utf-8")
    result = scan(path, "--format", "json")
    assert result.exit_code == 2
    assert f"{path}:2: invalid JSON" in result.stderr and "Skipped 1 input record" in result.stderr
    doc = json.loads(result.stdout)
    assert [c["id"] for c in doc["conversations"]] == ["c-1", "c-2"]
    assert doc["summary"]["skipped"] == 1 and doc["summary"]["skipped_inputs"][0]["line"] == 2


def test_a_missing_input_path_is_exit_2(tmp_path, transcripts):
    result = scan(transcripts, tmp_path / "nope.jsonl")
    assert result.exit_code == 2 and "nope.jsonl: no such file or folder" in result.stderr


def test_no_input_is_a_usage_error():
    result = scan()
    assert result.exit_code == 2 and "give transcript files or folders" in result.stderr


def test_a_runaway_regex_is_reported_once_and_the_scan_goes_on(tmp_path, transcripts):
    rules = tmp_path / "runaway.yaml"
    rules.write_text(
        "rules:\n"
        "  - {id: runaway, type: regex, category: pii-exposure, message: x, pattern: '(a|aa)+$'}\n"
        "  - {id: hi, type: phrases, category: slang, message: x, terms: [亲]}\n",
        encoding="utf-8",
    )
    convs = [{"id": f"r-{i}", "messages": [{"role": "agent", "text": "a" * 60 + "!亲"}]} for i in range(2)]
    path = tmp_path / "runaway.jsonl"
    path.write_text(jsonl(convs), encoding="utf-8")
    result = run("scan", "--no-builtin", "--rules", rules, "--format", "jsonl", path)
    assert result.exit_code == 2
    assert [json.loads(line)["rule"] for line in result.stdout.splitlines()] == ["hi", "hi"]
    assert result.stderr.count("Rule runaway: regular expression timed out") == 1


def test_an_output_file_that_cannot_be_written_is_exit_2(tmp_path, transcripts):
    result = scan(transcripts, "-o", tmp_path / "no-such-folder" / "out.json")
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_scores_are_computed_only_for_outputs_that_report_them(tmp_path, monkeypatch):
    """JSON Lines carries no score, so a scan to it never scores; JSON carries one per conversation."""
    from qa_linter.scoring import ScoringModel

    scored = []
    real_score = ScoringModel.score
    monkeypatch.setattr(ScoringModel, "score", lambda self, conv, findings: scored.append(conv.id) or real_score(self, conv, findings))
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CONVERSATIONS), encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(source), "--format", "jsonl", "--exit-zero", "-q"])
    assert result.exit_code == 0 and result.stdout.strip()
    assert scored == []
    result = CliRunner().invoke(main, ["scan", str(source), "--format", "json", "--exit-zero", "-q"])
    doc = json.loads(result.stdout)
    assert scored == ["c-1", "c-2", "c-3"]
    assert all(isinstance(c["score"], (int, float)) and "scorecard" in c for c in doc["conversations"])


def test_text_to_a_file_is_what_rich_would_write(tmp_path):
    """A file or pipe gets the plain text without rich's rendering pipeline: the same bytes, far faster."""
    import io

    from qa_linter import Linter
    from qa_linter.canonical import conversation_from_dict
    from qa_linter.outputs.text import TextWriter, make_console

    tricky = {"id": "t\tab", "agent": "a\u200bb", "messages": [
        {"role": "customer", "text": "在吗\t" + "很长的一句话" * 40},
        {"role": "agent", "text": "亲，这个我不知道，😀 您自己看一下说明书吧\u202e \x1b[31m"},
    ]}
    linter = Linter.from_config()
    outputs = []
    for unstyled in (True, False):
        out = io.StringIO()
        writer = TextWriter(make_console(out))
        assert writer.unstyled  # a StringIO is not a terminal
        writer.unstyled = unstyled
        for raw in [tricky, *CONVERSATIONS]:
            conv = conversation_from_dict(raw)
            writer.conversation(conv, linter.scan(conv), {"score": 55.0})
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1] and "t␉ab" in outputs[0] and "得分 55.0" in outputs[0]


def test_json_document_is_the_same_when_its_parts_wait_on_disk(tmp_path, monkeypatch):
    """--format json keeps conversations and findings in temporary files, not lists: the document is the same."""
    from qa_linter.outputs import json_output

    source = tmp_path / "in.jsonl"
    many = [{**c, "id": f"{c['id']}-{i}"} for i in range(40) for c in CONVERSATIONS]
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in many), encoding="utf-8")
    documents = []
    for in_memory in (10**9, 100):
        monkeypatch.setattr(json_output.JsonWriter, "SPOOL_IN_MEMORY", in_memory)
        result = CliRunner().invoke(main, ["scan", str(source), "--format", "json", "--exit-zero", "-q", "--jobs", "1"])
        doc = json.loads(result.stdout)
        doc["summary"].pop("elapsed_seconds")
        documents.append(doc)
    assert documents[0] == documents[1]
    assert len(documents[0]["conversations"]) == 120 and len(documents[0]["findings"]) == documents[0]["summary"]["findings"] > 0
    assert list(documents[0])[:2] == ["tool", "version"] and list(documents[0])[-2:] == ["conversations", "findings"]


# -- a process's command line ends it without the collector's final walks (cli._Program) -------------------------
def test_a_command_run_from_python_leaves_the_collector_as_it_was(transcripts):
    import atexit
    import gc

    frozen, handlers = gc.get_freeze_count(), atexit._ncallbacks()
    result = CliRunner().invoke(main, ["scan", str(transcripts), "--format", "jsonl", "--exit-zero"])
    assert result.exit_code == 0 and result.output.count("\n") > 3
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    assert atexit._ncallbacks() == handlers  # nothing left to run at this (test) process's exit


def test_a_scan_as_its_own_process_writes_what_the_test_runner_sees(transcripts, tmp_path):
    import subprocess
    import sys

    expected = CliRunner().invoke(main, ["scan", str(transcripts), "--format", "jsonl"])
    out = tmp_path / "out.jsonl"
    process = subprocess.run([sys.executable, "-m", "qa_linter.cli", "scan", str(transcripts), "--format", "jsonl",
                              "-o", str(out)], capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert process.returncode == expected.exit_code == 1, process.stderr
    assert out.read_text(encoding="utf-8") == expected.stdout and "Traceback" not in process.stderr

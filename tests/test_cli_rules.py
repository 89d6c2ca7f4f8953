"""`qa-lint rules list | show | test | validate` through click's test runner."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
TEST_PACK = ["--no-builtin", "--rules", str(RULES)]


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- list -----------------------------------------------------------------------------------------------------
def test_list_shows_every_rule_in_columns():
    result = run("rules", "list", *TEST_PACK)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["rule", "type", "category", "severity", "manual"]
    assert "t-taboo     phrases   banned-phrase       error     2.3" in lines
    assert lines[-1] == "11 rules" and result.exit_code == 0


def test_list_as_json_and_markdown():
    rows = json.loads(run("rules", "list", "--format", "json", *TEST_PACK).stdout)
    taboo = next(r for r in rows if r["id"] == "t-taboo")
    assert taboo == {"id": "t-taboo", "type": "phrases", "category": "banned-phrase", "severity": "error",
                     "manual": "2.3", "message": "服务忌语「{match}」"}
    markdown = run("rules", "list", "--format", "markdown", *TEST_PACK).stdout
    assert "| `t-taboo` | phrases | `banned-phrase` | error | 2.3 | 服务忌语「{match}」 |" in markdown


def test_list_honours_select_and_severity():
    rows = json.loads(run("rules", "list", "--format", "json", "--select", "slang", "--severity", "slang=info", *TEST_PACK).stdout)
    assert [(r["id"], r["severity"]) for r in rows] == [("t-slang", "info")]


# -- show -----------------------------------------------------------------------------------------------------
def test_show_says_what_a_rule_checks_and_gives_its_examples():
    out = run("rules", "show", "t-taboo", *TEST_PACK).stdout
    assert out.startswith("t-taboo  (phrases, banned-phrase, error)")
    assert "manual:   2.3" in out and "message:  服务忌语「{match}」" in out
    assert "terms: [不知道 → 我帮您核实一下, 不归我管, 你自己看, 早干嘛去了]" in out
    assert "exceptions: [如果您不知道]" in out
    assert f"defined in {RULES}:3" in out
    flags = out.split("Flags (must be reported):")[1].split("Passes (must not be reported):")
    assert "  - 我不知道" in flags[0] and "  - 如果您不知道订单号也没关系" in flags[1]


def test_show_gives_conversation_and_timing_examples_with_their_context():
    out = run("rules", "show", "t-slow", *TEST_PACK).stdout
    assert "(chat) customer 2026-11-20T10:00:00+08:00: 在吗 / agent 2026-11-20T10:01:01+08:00: 您好" in out
    assert "thresholds: {chat: {first: 60, later: 180}, email: {first: 86400}}" in out


def test_show_an_unknown_rule_suggests_close_ids():
    result = run("rules", "show", "t-slo", *TEST_PACK)
    assert result.exit_code == 2 and "no rule 't-slo'; did you mean t-slow" in result.stderr


# -- test -----------------------------------------------------------------------------------------------------
def test_test_runs_every_example_of_the_given_files():
    result = run("rules", "test", RULES)
    assert result.exit_code == 0
    assert result.stdout.strip() == "44 passed, 0 failed (11 rules)"


def test_test_names_each_failing_example_and_rules_without_examples(tmp_path):
    path = write(
        tmp_path,
        """\
        rules:
          - id: wrong
            type: phrases
            category: slang
            message: x
            terms: [亲]
            examples:
              flag: [亲，您好, 您好]
              pass: [我亲自处理, 亲爱的亲]
          - {id: bare, type: phrases, category: slang, message: x, terms: [老铁]}
        """,
    )
    result = run("rules", "test", path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "FAIL  wrong  flag #2: expected a finding, got none" in lines
    assert "FAIL  wrong  pass #2: unexpected finding: '亲'" in lines
    assert "NO EXAMPLES  bare  (add examples: flag: and pass:)" in lines
    assert lines[-1] == "2 passed, 3 failed (2 rules)"
    verbose = run("rules", "test", "-v", path).stdout.splitlines()
    assert "ok    wrong  flag #1" in verbose and "ok    wrong  pass #1" in verbose


def test_a_malformed_example_is_a_failure_not_a_crash(tmp_path):
    path = write(
        tmp_path,
        """\
        rules:
          - id: r
            type: phrases
            category: slang
            message: x
            terms: [亲]
            examples: {flag: [[{robot: 亲}]], pass: [您好]}
        """,
    )
    result = run("rules", "test", path)
    assert result.exit_code == 1
    assert "FAIL  r  flag #1: bad example: " in result.stdout


# -- validate -------------------------------------------------------------------------------------------------
def test_validate_a_good_file():
    result = run("rules", "validate", RULES)
    assert result.exit_code == 0 and result.stdout.strip() == "ok: 11 rules in 1 file"


def test_validate_prints_every_error_with_file_and_line_and_exits_2(tmp_path):
    path = write(
        tmp_path,
        """\
        rules:
          - {id: a, type: phrases, category: slang, message: x, terms: [亲], sugest: 您}
          - {id: b, type: phrase, category: slang, message: x, terms: [亲]}
          - {id: c, type: regex, category: slang, message: x, pattern: '(abc'}
        """,
    )
    result = run("rules", "validate", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}:2: [a] unknown field 'sugest'; did you mean 'suggest'?",
        f"error: {path}:3: [b] unknown rule type 'phrase'; did you mean 'phrases'? "
        "(types: " + ", ".join(_rule_types()) + ")",
        f"error: {path}:4: [c] bad regular expression '(abc': missing ) at position 4",
        "3 errors",
    ]
    assert result.stdout == "" and "Traceback" not in result.output


def test_validate_a_yaml_syntax_error_and_a_missing_file(tmp_path):
    broken = write(tmp_path, "rules:\n  - id: a\n\ttype: phrases\n")
    result = run("rules", "validate", broken, tmp_path / "missing.yaml")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {broken}:3: YAML syntax:")
    assert lines[1] == f"error: {tmp_path / 'missing.yaml'}: no such rule file or folder"


def test_validate_a_folder(tmp_path):
    write(tmp_path, "rules:\n  - {id: a, type: phrases, category: slang, message: x, terms: [亲]}\n", "a.yaml")
    (tmp_path / "more").mkdir()
    write(tmp_path / "more", "rules:\n  - {id: b, type: phrases, category: slang, message: x, terms: [滚]}\n", "b.yml")
    assert run("rules", "validate", tmp_path).stdout.strip() == "ok: 2 rules in 2 files"


def _rule_types():
    from qa_linter.checks import RULE_TYPES

    return list(RULE_TYPES)


def test_unquoted_numbers_in_examples_are_texts(tmp_path):
    path = write(
        tmp_path,
        """\
        rules:
          - id: r
            type: phrases
            category: slang
            message: x
            terms: ["666"]
            examples: {flag: [666, [{agent: 666}]], pass: [20261123666012]}
        """,
    )
    assert run("rules", "test", path).stdout.strip() == "3 passed, 0 failed (1 rules)"

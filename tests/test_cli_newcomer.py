"""What a new user meets in the first hour (issue 19): typos in the selection, empty input, where a finding is,
the same conversation twice, one spelling of the chat-log format, counts in English, versions, `config show`."""
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


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def scan(*args, **kwargs):
    return run("scan", *ONLY_TEST_RULES, *args, **kwargs)


# -- 1: a selection that names nothing is a usage error -------------------------------------------------------
@pytest.mark.parametrize("option, value, wanted", [
    ("--select", "slnag", "did you mean 'slang'"),
    ("--ignore", "t-slagn", "did you mean 't-slang'"),
    ("--severity", "slangg=error", "did you mean 'slang'"),
    ("--select", "x-*", "is the prefix of no rule id"),
])
def test_an_unknown_selection_on_the_command_line_is_exit_2_with_a_suggestion(transcripts, option, value, wanted):
    result = scan(transcripts, option, value)
    assert result.exit_code == 2, result.output
    assert f"error: {option}: " in result.stderr and wanted in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_known_ids_categories_and_prefixes_are_accepted(transcripts):
    result = scan(transcripts, "--select", "t-slang,banned-phrase,t-c*", "--ignore", "t-card", "--severity", "slang=error")
    assert result.exit_code == 1, result.output  # t-slang is an error now
    assert "t-slang" in result.stdout and "t-greeting" not in result.stdout


def test_a_prefix_without_its_star_suggests_the_star(transcripts):
    result = scan(transcripts, "--select", "t-p")
    assert result.exit_code == 2 and "'t-p' is no rule id or category of the rule pack; did you mean 't-p*'" in result.stderr


def test_an_unknown_selection_in_the_config_names_the_file_and_line(tmp_path, transcripts):
    (tmp_path / "qa-linter.yaml").write_text(
        "builtin: false\nrules: [%s]\nselect:\n  - slang\n  - emojii\nseverity:\n  slagn: error\noptions:\n  t-slwo: {}\n"
        % json.dumps(str(RULES)), encoding="utf-8")
    result = run("scan", transcripts)
    config = tmp_path / "qa-linter.yaml"
    assert result.exit_code == 2
    assert f"{config}:5: select: 'emojii' is no rule id or category" in result.stderr
    assert f"{config}:7: severity: 'slagn' is no rule id or category of the rule pack; did you mean 'slang'" in result.stderr
    assert f"{config}:9: options for unknown rule 't-slwo'; did you mean 't-slow'" in result.stderr
    assert "3 errors in the rules or their settings; nothing was scanned" in result.stderr


def test_an_unknown_setting_in_the_config_names_its_line(tmp_path, transcripts):
    (tmp_path / "qa-linter.yaml").write_text("builtin: false\nselct: [slang]\n", encoding="utf-8")
    result = run("scan", transcripts)
    assert result.exit_code == 2 and f"{tmp_path / 'qa-linter.yaml'}:2: unknown setting 'selct'; did you mean 'select'?" in result.stderr


def test_the_python_api_rejects_an_unknown_selection_too():
    from qa_linter import Linter
    from qa_linter.errors import RuleLoadError

    with pytest.raises(RuleLoadError, match="select argument: 'slnag' is no rule id or category"):
        Linter.from_config(rules=[RULES], builtin=False, select=["slnag"])


# -- 11: counts in English say 1 finding, 2 findings ----------------------------------------------------------
def test_the_summary_says_one_finding_and_one_conversation(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(jsonl([CONVERSATIONS[0]]), encoding="utf-8")
    result = scan(path, "--select", "t-slang")
    assert "1 conversation, 4 messages, 1 finding (1 warning)" in result.stderr, result.stderr


def test_plural():
    from qa_linter.vocabulary import plural

    assert [plural(n, "finding") for n in (0, 1, 2)] == ["0 findings", "1 finding", "2 findings"]
    assert plural(1, "miss") == "1 miss" and plural(3, "miss") == "3 misses" and plural(1200, "error") == "1,200 errors"


# -- 8: one spelling of the chat-log format ---------------------------------------------------------------------
CHAT_LOG = "2026-11-20 10:02:11 客户-张三：在吗\n2026-11-20 10:02:30 客服-小王：亲，您好\n"


def test_the_chat_log_format_is_spelled_like_its_setting(tmp_path):
    from qa_linter.vocabulary import INPUT_FORMATS

    assert "chat_log" in INPUT_FORMATS and "chatlog" not in INPUT_FORMATS
    path = tmp_path / "day.export"
    path.write_text(CHAT_LOG, encoding="utf-8")
    result = run("convert", path, "--input-format", "chat_log")
    assert result.exit_code == 0 and json.loads(result.stdout)["agent"] == "小王" and "warning" not in result.stderr
    assert "chat_log" in run("scan", "--help").stdout


@pytest.mark.parametrize("where", ["flag", "config"])
def test_the_old_spelling_still_works_with_a_warning(tmp_path, where):
    path = tmp_path / "day.export"
    path.write_text(CHAT_LOG, encoding="utf-8")
    if where == "config":
        (tmp_path / "qa-linter.yaml").write_text("builtin: false\ninput_format: chatlog\n", encoding="utf-8")
        result = run("convert", path)
        place = f"{tmp_path / 'qa-linter.yaml'}:2"
    else:
        result = run("convert", path, "--input-format", "chatlog")
        place = "--input-format"
    assert result.exit_code == 0 and json.loads(result.stdout)["agent"] == "小王"
    assert f"warning: {place}: input format 'chatlog' is now spelled 'chat_log'" in result.stderr


def test_an_unknown_input_format_in_the_config_says_where_and_what_was_meant(tmp_path):
    (tmp_path / "qa-linter.yaml").write_text("builtin: false\ninput_format: chat-log\n", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(jsonl(CONVERSATIONS), encoding="utf-8")
    result = run("convert", tmp_path / "a.jsonl")
    assert result.exit_code == 2
    assert f"{tmp_path / 'qa-linter.yaml'}:2: input_format 'chat-log' must be one of" in result.stderr
    assert "did you mean 'chat_log'?" in result.stderr


@pytest.mark.parametrize("text, problem", [
    ("severity: [a]", ":1: severity must be a mapping"),
    ("builtin: false\nselect: {a: 1}", ":2: select must be a list of texts"),
    ("builtin: 'no'", ":1: builtin must be true or false"),
    ("fail_on: [error]", ":1: fail_on must be a text"),
])
def test_a_setting_of_the_wrong_shape_is_reported_at_its_line(tmp_path, transcripts, text, problem):
    (tmp_path / "qa-linter.yaml").write_text(text + "\n", encoding="utf-8")
    result = run("scan", transcripts)
    assert result.exit_code == 2 and f"{tmp_path / 'qa-linter.yaml'}{problem}" in result.stderr
    assert "Traceback" not in result.output


# -- 11: the version names the rule pack and the scorecard ------------------------------------------------------
def test_version_names_the_rule_pack_and_the_scorecard():
    from qa_linter import __version__
    from qa_linter.scoring import load_scoring_model

    result = run("--version")
    card = load_scoring_model()
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and lines[0] == f"qa-lint {__version__}"
    assert lines[1] == "rule pack  qa-linter-builtin 1.4 (built-in)"
    assert lines[2].startswith(f"scorecard  {card.name} {card.version} (bundled; fingerprint {card.fingerprint})")


# -- 12: config show ----------------------------------------------------------------------------------------------
def write_config(tmp_path) -> Path:
    path = tmp_path / "qa-linter.yaml"
    path.write_text(f"builtin: false\nrules: [{json.dumps(str(RULES))}]\nselect: [slang, t-taboo]\n"
                    "ignore: [t-card]\nseverity:\n  slang: error\nfail_on: warning\njobs: 3\n", encoding="utf-8")
    return path


def test_config_show_gives_each_value_and_where_it_came_from(tmp_path):
    config = write_config(tmp_path)
    result = run("config", "show", "--format", "json", "--ignore", "t-slow", "--severity", "banned-phrase=warning",
                 "--fail-on", "info", "--input-format", "csv")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    settings = shown["settings"]
    assert shown["config_file"] == str(config)
    assert settings["builtin"] == {"value": False, "source": f"{config}:1"}
    assert settings["rules"] == {"value": [str(RULES)], "source": f"{config}:2"}
    assert settings["select"] == {"value": ["slang", "t-taboo"], "source": f"{config}:3"}
    assert settings["ignore"] == {"value": ["t-card", "t-slow"], "source": f"{config}:4 + --ignore"}
    assert settings["severity"] == {"value": {"slang": "error", "banned-phrase": "warning"},
                                    "source": f"{config}:5 + --severity"}
    assert settings["fail_on"] == {"value": "info", "source": "--fail-on"}  # the option wins over the file's warning
    assert settings["input_format"] == {"value": "csv", "source": "--input-format"}
    assert settings["jobs"] == {"value": 3, "source": f"{config}:8"}
    assert settings["timezone"]["source"].startswith("default")
    assert shown["rule_pack"]["rules"] == 2  # t-slang and t-taboo


def test_config_show_lists_every_setting_the_file_may_hold(tmp_path):
    from qa_linter.config import KEYS

    write_config(tmp_path)
    settings = json.loads(run("config", "show", "--format", "json").stdout)["settings"]
    assert list(settings) == list(KEYS)
    assert all(s["source"] != "default: not set" for s in settings.values())  # each has a line of its own


def test_config_show_text_fits_a_terminal_and_reads_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.qa-linter]\nbuiltin = false\nrules = ["%s"]\nfail_on = "info"\n'
                                             % str(RULES).replace("\\", "/"), encoding="utf-8")
    result = run("config", "show")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"from {tmp_path / 'pyproject.toml'} [tool.qa-linter]" in lines[lines.index("fail_on: info") + 1]
    assert "    default: every rule" in lines
    assert "rule pack: qa-linter 0, 11 rules selected from 1 file" in lines


def test_config_show_reports_a_mistake_after_the_settings(tmp_path):
    (tmp_path / "qa-linter.yaml").write_text("select: [slnag]\n", encoding="utf-8")
    result = run("config", "show")
    assert result.exit_code == 2 and 'select: ["slnag"]' in result.stdout
    assert "'slnag' is no rule id or category of the rule pack; did you mean 'slang'" in result.stderr


# -- 2: empty input is said, and nothing to check at all is a mistake -------------------------------------------
@pytest.mark.parametrize("make, why", [
    (lambda d: (d / "empty.jsonl").write_bytes(b"") and None or d / "empty.jsonl", "empty file"),
    (lambda d: (d / "blank.jsonl").write_text("\n\n", encoding="utf-8") and d / "blank.jsonl", "no conversations in it"),
    (lambda d: ((d / "f").mkdir(), (d / "f" / "notes.md").write_text("x", encoding="utf-8")) and d / "f",
     "no transcript files in this folder (.jsonl .csv"),
])
def test_a_single_input_with_nothing_in_it_is_nothing_to_check(tmp_path, make, why):
    path = make(tmp_path)
    result = scan(path)
    assert result.exit_code == 2, result.output
    assert f"Error: nothing to check: {path}: {why}" in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_input_beside_others_is_a_warning(tmp_path, transcripts):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    result = scan(transcripts, tmp_path / "empty.jsonl", "--exit-zero")
    assert result.exit_code == 0
    assert f"warning: {tmp_path / 'empty.jsonl'}: empty file; nothing to check there" in result.stderr


def test_several_empty_inputs_are_each_named_then_nothing_to_check(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(b"")
    (tmp_path / "d").mkdir()
    result = scan(tmp_path / "a.jsonl", tmp_path / "d")
    assert result.exit_code == 2
    assert f"warning: {tmp_path / 'a.jsonl'}: empty file" in result.stderr
    assert f"warning: {tmp_path / 'd'}: no transcript files in this folder" in result.stderr
    assert "nothing to check: no conversation in" in result.stderr


def test_an_empty_name_is_a_usage_error_not_the_current_folder(tmp_path, transcripts):
    result = scan("")
    assert result.exit_code == 2 and "an empty name is not a file or folder" in result.stderr
    assert "c-1" not in result.stdout  # transcripts.jsonl in the current folder was not scanned


def test_empty_stdin_is_a_warning_in_a_pipeline():
    result = scan("-", input=b"")
    assert result.exit_code == 0 and "warning: <stdin>: empty; nothing to check there" in result.stderr


def test_an_empty_draft_is_nothing_to_check():
    for draft, stdin in (("", None), ("   ", None), ("-", "\n")):
        result = run("check", draft, *ONLY_TEST_RULES, input=stdin)
        assert result.exit_code == 2 and "nothing to check" in result.stderr, (draft, result.output)


def test_convert_of_nothing_is_exit_2(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(b"")
    result = run("convert", tmp_path / "a.jsonl")
    assert result.exit_code == 2 and "empty file; nothing to convert there" in result.stderr
    assert run("convert", "-", input=b"").exit_code == 0


# -- 3: where a conversation is, as path:line -----------------------------------------------------------------
def test_text_output_starts_each_conversation_with_path_line_and_id(tmp_path, transcripts):
    result = scan(transcripts)
    heads = [line for line in result.stdout.splitlines() if line and not line.startswith(" ")]
    # the file is in the current folder, so it is shown as typed relative to it
    assert [h.split("  ")[0] for h in heads] == ["transcripts.jsonl:1: c-1", "transcripts.jsonl:2: c-2"]


def test_a_file_outside_the_current_folder_keeps_its_path(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "data.jsonl"
    path.write_text(jsonl(CONVERSATIONS[1:2]), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "sub")
    assert scan(path).stdout.startswith(f"{path}:1: c-2  ")


def test_multi_line_formats_give_the_line_the_conversation_starts_at(tmp_path):
    log = tmp_path / "day.log"
    log.write_text("==== 会话 s-1 ====\n2026-11-20 10:02:11 客户-张三：在吗\n2026-11-20 10:02:30 客服-小王：亲\n"
                   "==== 会话 s-2 ====\n2026-11-20 11:00:00 客户-李四：在吗\n2026-11-20 11:00:09 客服-小王：亲\n",
                   encoding="utf-8")
    heads = [line.split("  ")[0] for line in scan(log, "--select", "t-slang").stdout.splitlines()
             if line and not line.startswith(" ")]
    assert heads == ["day.log:1: s-1", "day.log:4: s-2"]
    csv = tmp_path / "day.csv"
    csv.write_text("conversation_id,role,text\na,customer,在吗\na,agent,亲\nb,customer,在吗\nb,agent,亲\n", encoding="utf-8")
    heads = [line.split("  ")[0] for line in scan(csv, "--select", "t-slang").stdout.splitlines()
             if line and not line.startswith(" ")]
    assert heads == ["day.csv:2: a", "day.csv:4: b"]

    # and each finding of a format with a line per message points at the message's own line
    out = scan(log, "--select", "t-slang").stdout
    assert "  #1 客服  warning  t-slang  day.log:3" in out and "  #1 客服  warning  t-slang  day.log:6" in out
    assert "  #1 客服  warning  t-slang  day.csv:3" in scan(csv, "--select", "t-slang").stdout


def test_a_json_lines_finding_line_has_no_second_location(transcripts):
    out = scan(transcripts, "--select", "t-slang").stdout
    assert "  #1 客服  warning  t-slang\n" in out  # the record's line is the conversation's, already shown


def test_json_output_adds_path_and_line_beside_source(transcripts):
    document = json.loads(scan(transcripts, "--format", "json").stdout)
    first = document["conversations"][0]
    assert first["source"] == f"{transcripts}:1" and first["path"] == str(transcripts) and first["line"] == 1


def test_split_location():
    from qa_linter.model import split_location

    assert split_location("a/b.jsonl:12") == ("a/b.jsonl", 12)
    assert split_location("C:\\x\\b.jsonl:3") == ("C:\\x\\b.jsonl", 3)
    assert split_location("<stdin>:4") == ("<stdin>", 4) and split_location("a.json:1[2]") == ("a.json", 1)
    assert split_location("mail.eml") == ("mail.eml", None) and split_location(None) == (None, None)


# -- 4: the same conversation id twice --------------------------------------------------------------------------
@pytest.fixture
def overlapping(tmp_path):
    """c-1 in both files and twice in the first; c-2 once."""
    first, second = tmp_path / "mon.jsonl", tmp_path / "tue.jsonl"
    first.write_text(jsonl([CONVERSATIONS[0], CONVERSATIONS[1], CONVERSATIONS[0]]), encoding="utf-8")
    changed = {**CONVERSATIONS[0], "messages": [{"role": "agent", "text": "您好，祝您生活愉快"}]}  # clean this time
    second.write_text(jsonl([changed]), encoding="utf-8")
    return first, second


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_id_read_twice_is_a_warning_with_every_location(overlapping, jobs, monkeypatch):
    from qa_linter import batch

    monkeypatch.setattr(batch, "POOL_THRESHOLD", 2)  # so that --jobs 2 really uses a worker
    first, second = overlapping
    result = scan(first, second, "--format", "jsonl", "--jobs", jobs, "--exit-zero")
    assert result.exit_code == 0
    assert "Warning: 1 conversation id read more than once; the last one is stored:" in result.stderr
    assert f"  c-1: {first}:1, {first}:3, {second}:1" in result.stderr
    assert "4 conversations" in result.stderr  # every record is checked and counted


def test_the_json_summary_lists_the_duplicates(overlapping):
    first, second = overlapping
    summary = json.loads(scan(first, second, "--format", "json").stdout)["summary"]
    assert summary["duplicate_ids"] == [{"id": "c-1", "sources": [f"{first}:1", f"{first}:3", f"{second}:1"]}]
    assert summary["duplicate_id_count"] == 1


@pytest.mark.parametrize("mask", [[], ["--no-mask"]])
def test_the_store_and_the_html_index_both_keep_the_last_record(tmp_path, overlapping, mask):
    from qa_linter.store import open_store

    first, second = overlapping
    result = scan(first, second, "--html", tmp_path / "out", "--store", tmp_path / "qa.db", *mask)
    assert result.exit_code in (0, 1), result.output
    with open_store(str(tmp_path / "qa.db"), create=False) as store:
        stored = dict(store.db.execute("SELECT id, source FROM conversations").fetchall())
    assert stored == {"c-1": f"{second}:1", "c-2": f"{first}:2"}
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    rows = json.loads(index.split('<script type="application/json" id="index-data">', 1)[1].split("</script>", 1)[0])["rows"]
    assert sorted(r[0] for r in rows) == ["c-1", "c-2"]  # as many rows as stored results
    c1 = next(r for r in rows if r[0] == "c-1")
    assert c1[9] == 0  # the last record of c-1 (tue.jsonl) is the clean one
    pages = sorted(p.name for p in (tmp_path / "out").glob("*.html") if p.name != "index.html")
    assert len(pages) == 2


def test_the_tracker_confirms_hash_matches_on_the_ids(monkeypatch):
    from qa_linter import duplicates

    tracker = duplicates.IdTracker()
    monkeypatch.setattr(duplicates, "hash", lambda text: 7, raising=False)  # every id collides
    for n, conversation_id in enumerate(["a", "b", "a", "c"], 1):
        tracker.add(conversation_id, f"f.jsonl:{n}")
    assert [d.to_dict() for d in tracker.duplicates()] == [{"id": "a", "sources": ["f.jsonl:1", "f.jsonl:3"]}]


# -- 5: the README says why the examples exit 1 and that pages need a CJK font; the pages declare one ------------
def test_scorecard_pages_declare_a_cjk_font_stack(tmp_path, transcripts):
    scan(transcripts, "--html", tmp_path / "out")
    pages = sorted((tmp_path / "out").glob("*.html"))
    assert len(pages) == 4  # the index and a page per conversation
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in html
        stack = html.split("--font-cjk:", 1)[1].split(";", 1)[0]
        # one font of each system, then the page falls back to the browser's own for zh-CN
        for family in ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei"):
            assert f'"{family}"' in stack
        assert "var(--font-cjk), system-ui, sans-serif" in html


def test_the_readme_explains_the_first_run():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    setup = readme.split("qa-lint scan --examples\n```", 1)[1][:600]
    assert "exits with code 1" in setup and "on purpose" in setup and "--exit-zero" in setup
    assert "fonts-noto-cjk" in readme and "qa-lint config show" in readme and "chat_log" in readme


@pytest.mark.parametrize("text, wanted", [
    ("timezone: Mars/Base\n", ":1: timezone: unknown time zone 'Mars/Base'"),
    ("builtin: false\ncsv_columns:\n  idd: x\n", ":2: csv_columns: unknown field 'idd'; did you mean 'id'?"),
    ("fail_on: never-ever\n", ":1: fail_on 'never-ever' must be one of"),
])
def test_reader_and_run_settings_are_reported_at_their_line(tmp_path, transcripts, text, wanted):
    (tmp_path / "qa-linter.yaml").write_text(text, encoding="utf-8")
    result = run("scan", transcripts, *ONLY_TEST_RULES)
    assert result.exit_code == 2 and f"{tmp_path / 'qa-linter.yaml'}{wanted}" in result.stderr, result.stderr


def test_nothing_to_check_is_the_whole_message(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = run("scan", str(empty))
    assert result.exit_code == 2
    assert "nothing to check" in result.output and "0 conversations" not in result.output

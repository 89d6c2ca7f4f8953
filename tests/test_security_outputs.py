"""Output safety: customer PII masked where it must be, reports written whole or not at all, and transcript
text unable to drive the terminal.

HTML escaping of hostile text is tested in test_html_xss.py (transcript fields) and test_security_html.py
(rule packs, scorecards, file names, the weekly report and the agent page).
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.validators import luhn

MOBILE = "13812345678"
RESIDENT_ID = "11010519491231002X"
EMAIL = "li.ming@example.com"


def luhn_card(prefix: str = "622202020011223") -> str:
    return next(prefix + str(d) for d in range(10) if luhn(prefix + str(d)))


CARD = luhn_card()
RAW_PII = [MOBILE, RESIDENT_ID, EMAIL, CARD, "li.ming"]
CONVERSATION = {
    "id": "pii-1",
    "agent": "小王",
    "meta": {"subject": f"客户 {MOBILE} 的工单"},
    "messages": [
        {"role": "customer", "text": f"我的手机{MOBILE}，邮箱{EMAIL}"},
        {"role": "agent", "text": f"您好，您的身份证{RESIDENT_ID}和手机{MOBILE}已登记，卡号{CARD}也收到了，邮件发到{EMAIL}。"},
    ],
}


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


@pytest.fixture
def transcript(tmp_path) -> Path:
    path = tmp_path / "pii.jsonl"
    path.write_text(json.dumps(CONVERSATION, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def findings_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


# -- PII -------------------------------------------------------------------------------------------------------
def test_without_mask_pii_the_data_output_is_the_data(transcript):
    """The default keeps JSON faithful (it feeds other tools); masking there is a choice, --mask-pii."""
    out = run("scan", transcript, "--format", "jsonl").stdout
    assert MOBILE in out and RESIDENT_ID in out


def test_mask_pii_hides_pii_in_json_lines_and_keeps_the_offsets(transcript):
    plain = {(f["rule"], f["start"]): f for f in findings_of(run("scan", transcript, "--format", "jsonl").stdout)}
    result = run("scan", transcript, "--format", "jsonl", "--mask-pii")
    masked = findings_of(result.stdout)
    assert not any(raw in result.stdout for raw in RAW_PII)
    assert {(f["rule"], f["start"]) for f in masked} == set(plain)  # the same findings at the same places
    pii = [f for f in masked if f["category"] == "pii-exposure"]
    assert {f["rule"] for f in pii} >= {"pii-mobile", "pii-resident-id"}
    for f in pii:
        original = plain[(f["rule"], f["start"])]
        assert (f["start"], f["end"]) == (original["start"], original["end"])
        assert len(f["text"]) == f["end"] - f["start"] and "*" in f["text"]  # masked length for length
        assert f["text"] in f["message"]  # the message quotes the masked words
    texts = {f["text"] for f in pii}
    assert "138****5678" in texts and "1101**********002X" in texts


def test_mask_pii_in_the_json_document_and_its_header(transcript):
    result = run("scan", transcript, "--format", "json", "--mask-pii")
    doc = json.loads(result.stdout)
    assert doc["pii_masked"] is True
    assert not any(raw in result.stdout for raw in RAW_PII)


def test_mask_pii_in_the_terminal_output(transcript):
    result = run("scan", transcript, "--mask-pii", "--color", "never")
    assert "138****5678" in result.stdout and "l******@example.com" in result.stdout
    assert not any(raw in result.stdout for raw in RAW_PII)


def test_mask_pii_and_no_mask_contradict(transcript):
    result = run("scan", transcript, "--mask-pii", "--no-mask")
    assert result.exit_code == 2 and "contradict" in result.stderr


def test_html_pages_and_the_store_hold_no_raw_pii_by_default(transcript, tmp_path):
    store = tmp_path / "results.sqlite"
    run("scan", transcript, "--html", tmp_path / "site", "--store", store, "-q")
    for page in (tmp_path / "site").iterdir():
        text = page.read_text(encoding="utf-8")
        assert not any(raw in text for raw in RAW_PII), page.name
    with sqlite3.connect(store) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        stored = " ".join(str(v) for t in tables for row in db.execute(f'SELECT * FROM "{t}"') for v in row)
    assert "138****5678" in stored
    assert not any(raw in stored for raw in RAW_PII)


# -- whole reports or none ---------------------------------------------------------------------------------------
def test_a_failure_while_writing_the_json_report_leaves_no_half_report(transcript, tmp_path, monkeypatch):
    from qa_linter.outputs import json_output

    def crash(self, summary, header):
        self.out.write('{"tool": "qa-linter", "summary": ')  # half a document, then the run dies
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json_output.JsonWriter, "close", crash)
    report = tmp_path / "report.json"
    result = run("scan", transcript, "--format", "json", "-o", report)
    assert result.exit_code != 0
    assert not report.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []  # no temporary left


def test_an_interrupted_run_keeps_the_previous_report(transcript, tmp_path, monkeypatch):
    from qa_linter.outputs import json_output

    report = tmp_path / "report.jsonl"
    run("scan", transcript, "--format", "jsonl", "-o", report)
    previous = report.read_text(encoding="utf-8")
    assert previous.count("\n") >= 3

    def interrupted(self, conv, findings, extra=None):
        self.out.write(json.dumps(findings[0].to_dict()) + "\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(json_output.JsonLinesWriter, "conversation", interrupted)
    CliRunner().invoke(main, ["scan", str(transcript), "--format", "jsonl", "-o", str(report)])
    assert report.read_text(encoding="utf-8") == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pii.jsonl", "report.jsonl"]


def test_the_report_keeps_the_mode_of_the_file_it_replaces(transcript, tmp_path):
    report = tmp_path / "report.json"
    report.write_text("old", encoding="utf-8")
    report.chmod(0o640)
    run("scan", transcript, "--format", "json", "-o", report)
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["conversations"] == 1
    assert report.stat().st_mode & 0o777 == 0o640


def test_writing_to_a_device_is_not_replaced_by_a_file(transcript):
    result = run("scan", transcript, "--format", "json", "-o", os.devnull)
    assert result.exit_code == 1 and Path(os.devnull).is_char_device()


def test_convert_output_is_whole_or_absent(tmp_path, monkeypatch):
    from qa_linter.readers import convert

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(CONVERSATION, ensure_ascii=False) + "\n", encoding="utf-8")

    def crash(items, out):
        out.write('{"id": "half')
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(convert, "write_canonical", crash)
    target = tmp_path / "canonical.jsonl"
    CliRunner().invoke(main, ["convert", str(source), "-o", str(target)])
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_a_failed_page_write_leaves_the_old_page_and_no_temporary_file(transcript, tmp_path, monkeypatch):
    from qa_linter.outputs import html_common

    site = tmp_path / "site"
    run("scan", transcript, "--html", site, "-q")
    old_index = (site / "index.html").read_text(encoding="utf-8")
    real_replace = os.replace

    def disk_full(src, dst):
        if str(dst).endswith("index.html"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(html_common.os, "replace", disk_full)
    result = run("scan", transcript, "--html", site, "-q")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert (site / "index.html").read_text(encoding="utf-8") == old_index
    assert not [p for p in site.iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_killed_scan_never_leaves_a_half_report_under_the_reports_name(tmp_path):
    """The real thing: the process is killed while it is writing; the report's name holds the old report."""
    source = tmp_path / "many.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(20_000):
            out.write(json.dumps({"id": f"k{i}", "messages": [{"role": "agent", "text": f"亲，{i}号"}]}, ensure_ascii=False) + "\n")
    report = tmp_path / "report.jsonl"
    report.write_text("previous report\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_linter.cli", "scan", "--jobs", "1", "--format", "jsonl", "-o", str(report), str(source)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            partial = [p for p in tmp_path.iterdir() if p.name.startswith(".report.jsonl.")]
            if partial and partial[0].stat().st_size > 10_000:
                break  # findings are being written
            time.sleep(0.02)
        assert proc.poll() is None, "the scan ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert report.read_text(encoding="utf-8") == "previous report\n"


# -- the terminal --------------------------------------------------------------------------------------------------
ESCAPES = ["\x1b[2J", "\x1b]0;owned\x07", "\x1b]52;c;cHduZWQ=\x07", "\x9b31m", "\r"]


def test_escape_sequences_in_transcripts_never_reach_the_terminal(tmp_path):
    payload = "".join(ESCAPES)
    conv = {"id": f"esc{payload}", "agent": payload, "team": payload, "messages": [
        {"role": "agent", "text": f"亲{payload}你好{payload}"},
    ]}
    path = tmp_path / f"file{ESCAPES[0]}.jsonl"
    path.write_text(json.dumps(conv, ensure_ascii=False) + "\n{broken" + payload + "\n", encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"rules:\n  - {{id: esc, type: phrases, category: {json.dumps('cat' + payload)}, "
                     f"message: {json.dumps('msg' + payload + '{match}')}, suggest: {json.dumps(payload)}, terms: [亲]}}\n",
                     encoding="utf-8")
    for args in (["--color", "always"], ["--color", "never"], ["--statistics"]):
        result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(rules), str(path), *args])
        shown = result.stdout + result.stderr
        for escape in ESCAPES:
            assert escape not in shown, (args, escape)
        assert "\x1b]" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "␛[2J" in shown  # visible as a control picture instead


def test_escape_sequences_in_the_draft_of_a_presend_check(tmp_path):
    result = CliRunner().invoke(main, ["check", "--color", "always", f"亲{''.join(ESCAPES)}您好"])
    assert "\x1b]" not in result.stdout and "\x1b[2J" not in result.stdout
    assert "亲" in result.stdout


def test_escape_sequences_in_the_weekly_text_summary(tmp_path):
    payload = "".join(ESCAPES)
    conv = {"id": f"w{payload}", "agent": payload, "team": payload, "started_at": "2026-11-24T10:00:00+08:00",
            "messages": [{"role": "customer", "text": "太慢了"}, {"role": "agent", "text": f"亲{payload}"}]}
    path = tmp_path / "week.jsonl"
    path.write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "weekly", str(path), "--week", "2026-W48", "--format", "text", "--color", "always"])
    assert result.exit_code == 0, result.output
    assert "\x1b]" not in result.stdout and "\x1b[2J" not in result.stdout and "\x9b" not in result.stdout
    assert "␛[2J" in result.stdout


def test_rich_markup_in_names_is_shown_as_typed(tmp_path):
    """Names go into rich tables as Text: "[/bold]" in an agent's name is text, not markup that fails to parse."""
    conv = {"id": "[bold]x[/]", "agent": "[/bold][link=http://x]王[/link]", "team": "[red]组[/]",
            "started_at": "2026-11-24T10:00:00+08:00",
            "messages": [{"role": "customer", "text": "太慢了"}, {"role": "agent", "text": "亲"}]}
    path = tmp_path / "week.jsonl"
    path.write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    for args in (["report", "weekly", str(path), "--week", "2026-W48", "--format", "text"], ["scan", str(path)]):
        result = CliRunner().invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "[/bold][link=http://x]王[/link]" in result.stdout


# Bidi controls reorder the rest of a terminal line (U+202E shows "亲ecnatsissa" for "亲assistance"), and C1 controls
# act like ESC sequences (U+009B is CSI, U+009D OSC, U+0085 a line break): neither may reach a terminal as itself.
BIDI = ["\u202e", "\u202d", "\u202a", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]
C1 = ["\x85", "\x9b", "\x9d", "\x90", "\x9c", "\x80", "\x9f"]
INVISIBLE_CONTROLS = BIDI + C1


def _no_invisible_controls(shown: str, where) -> None:
    found = sorted({f"U+{ord(ch):04X}" for ch in shown if ch in INVISIBLE_CONTROLS})
    assert not found, (where, found)


def test_bidi_and_c1_controls_never_reach_the_terminal(tmp_path):
    payload = "".join(INVISIBLE_CONTROLS)
    conv = {"id": f"bidi{payload}", "agent": f"王{payload}", "team": f"组{payload}", "started_at": "2026-11-24T10:00:00+08:00",
            "meta": {"subject": payload}, "messages": [
                {"role": "customer", "text": f"太慢了{payload}"},
                {"role": "agent", "text": f"亲{payload}，我不知道{payload}"}]}
    path = tmp_path / f"bidi{BIDI[0]}.jsonl"
    path.write_text(json.dumps(conv, ensure_ascii=False) + "\n{broken" + payload + "\n", encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"rules:\n  - {{id: bidi, type: phrases, category: slang, message: {json.dumps('msg' + payload + '{match}')}, "
                     f"suggest: {json.dumps(payload)}, terms: [亲], examples: {{flag: [亲], pass: [您]}}}}\n", encoding="utf-8")
    runs = {
        "scan text": ["scan", "--no-builtin", "--rules", str(rules), str(path), "--show-clean", "--color", "always"],
        "scan plain": ["scan", "--no-builtin", "--rules", str(rules), str(path), "--color", "never"],
        "scan json": ["scan", "--no-builtin", "--rules", str(rules), str(path), "--format", "json"],
        "scan jsonl": ["scan", "--no-builtin", "--rules", str(rules), str(path), "--format", "jsonl"],
        "statistics": ["scan", "--no-builtin", "--rules", str(rules), str(path), "--statistics", "--format", "json"],
        "check": ["check", "--no-builtin", "--rules", str(rules), f"亲{payload}您好"],
        "check json": ["check", "--no-builtin", "--rules", str(rules), "--format", "json", f"亲{payload}您好"],
        "weekly": ["report", "weekly", str(path), "--no-builtin", "--rules", str(rules), "--week", "2026-W48", "--format", "text"],
        "convert": ["convert", str(path)],
        "rules show": ["rules", "show", "bidi", "--no-builtin", "--rules", str(rules)],
    }
    for name, args in runs.items():
        result = CliRunner().invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, repr(result.exception))
        _no_invisible_controls(result.stdout + result.stderr, name)
        if name in ("scan jsonl", "convert"):  # escaped, not lost: the JSON decodes to the data as read
            records = [json.loads(line) for line in result.stdout.splitlines()]
            assert any(payload in json.dumps(r, ensure_ascii=False) for r in records), name
    shown = CliRunner().invoke(main, runs["scan plain"]).stdout
    assert "«亲»\ufffd" in shown  # shown as U+FFFD, one character for one, so the excerpt keeps its place

"""qa-linter-suppressions.yaml: written by `review suppress`, applied by `scan` (counts, exit code, scores, the
store), ignored with --no-suppress, checked with file:line errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_linter.canonical import conversation_from_dict
from qa_linter.model import Finding, Severity
from qa_linter.review.suppressions import Suppression, SuppressionError, Suppressions, load, write
from qa_linter.scoring import load_scoring_model
from qa_linter.store import open_store
from review_helpers import CORPUS, filled, read_csv_sheet, run, scan_into, write_csv_sheet

FILE = "qa-linter-suppressions.yaml"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A store of the corpus in a fresh folder (the suppressions file is looked for in the current folder)."""
    monkeypatch.chdir(tmp_path)
    scanned = scan_into(Path("store.db"), output=Path("before.json"))
    return scanned


def judged_wrong(conv_id: str, rule: str, note="客户昵称，不是网络用语"):
    """Sample everything, mark one finding wrong (two reviewers agree), import; returns the sheet row."""
    run("review", "sample", "--store", "store.db", "--per-agent", "10", "--seed", "1", "-o", "sheet.csv")
    rows = read_csv_sheet(Path("sheet.csv"))
    row = next(r for r in rows if r["conversation_id"] == conv_id and r["rule"] == rule)
    for reviewer in ("li.na", "wang.fang"):
        write_csv_sheet(Path(f"{reviewer}.csv"), filled(rows, reviewer, {row["finding_id"]: "wrong"}, {row["finding_id"]: note}))
    run("review", "import", "li.na.csv", "wang.fang.csv", "--store", "store.db")
    return row


def test_a_suppressed_finding_leaves_the_scan_and_its_score(project):
    before = {c["id"]: c for c in project["conversations"]}
    # A slang finding in the conversation with the fewest findings: no cap hides its deduction.
    slang = [f for f in project["findings"] if f["rule"] == "slang-internet"]
    target = min(slang, key=lambda f: (before[f["conversation_id"]]["findings"], f["conversation_id"]))
    row = judged_wrong(target["conversation_id"], "slang-internet")
    result = run("review", "suppress", "--store", "store.db")
    assert "1 finding suppressed" in result.output
    [entry] = load(Path(FILE)).entries
    assert (entry.conversation, entry.rule, entry.message_index, entry.who, entry.why) == (
        target["conversation_id"], "slang-internet", target["message_index"], "li.na, wang.fang", "客户昵称，不是网络用语")
    assert entry.text == target["text"] and entry.when[:2] == "20" and entry.fingerprint == row["finding_id"]

    result = run("scan", CORPUS, "--store", "store.db", "--format", "json", "-o", "after.json", expect=None)
    assert "1 suppressed" in result.output
    after = json.loads(Path("after.json").read_text(encoding="utf-8"))
    assert len(after["findings"]) == len(project["findings"]) - 1 and after["summary"]["suppressed"] == 1
    assert target not in after["findings"] and all(f in project["findings"] for f in after["findings"])
    # The score is that of the conversation without the finding, as the scoring model computes it.
    conv = conversation_from_dict(next(json.loads(l) for l in CORPUS.read_text(encoding="utf-8").splitlines()
                                       if json.loads(l)["id"] == target["conversation_id"]))
    kept = [Finding(f["conversation_id"], f["message_index"], f["role"], f["rule"], f["category"], Severity.parse(f["severity"]),
                    f["message"], f["start"], f["end"], f["text"]) for f in after["findings"] if f["conversation_id"] == conv.id]
    expected = load_scoring_model().score(conv, kept)
    scored = {c["id"]: c for c in after["conversations"]}[conv.id]
    assert scored["score"] == expected.total and scored["score"] > before[conv.id]["score"]
    # The store records the suppressed view, so the weekly report and the next sample see it too.
    with open_store("store.db") as store:
        stored = next(c for c in store.all_conversations() if c.id == conv.id)
    assert row["finding_id"] not in [f.finding_id for f in stored.findings] and stored.score == expected.total
    # --no-suppress shows everything again.
    run("scan", CORPUS, "--no-suppress", "--format", "json", "-o", "all.json", expect=None)
    assert json.loads(Path("all.json").read_text(encoding="utf-8"))["findings"] == project["findings"]


def test_a_hand_written_entry_with_masked_pii_works(project):
    target = next(f for f in project["findings"] if f["rule"] == "pii-mobile")
    masked = target["text"][:3] + "****" + target["text"][7:]
    Path(FILE).write_text(
        "suppressions:\n"
        f"  - conversation: {target['conversation_id']}\n    rule: pii-mobile\n    message_index: {target['message_index']}\n"
        f"    text: '{masked}'\n    who: qa.lead\n    why: 这是公司热线\n    when: 2026-11-30\n", encoding="utf-8")
    result = run("scan", CORPUS, "--format", "json", "-o", "after.json", expect=None)
    after = json.loads(Path("after.json").read_text(encoding="utf-8"))
    assert "1 suppressed" in result.output and target not in after["findings"]


def test_the_file_is_checked_with_lines(tmp_path):
    path = tmp_path / FILE
    path.write_text(
        "suppressions:\n"
        "  - conversation: s-002\n    rule: slang-internet\n    message_index: 1\n    text: 亲\n    who: li.na\n    why: ok\n    when: 2026-11-30\n"
        "  - conversation: s-002\n    rule: slang-internet\n    message_index: -1\n    who: li.na\n    when: 2026-11-30\n"
        "  - conversation: s-003\n    rule: x\n    message_index: 2\n    text: y\n    who: a\n    why: b\n    when: 2026-11-30\n    colour: red\n"
        "  - just text\n", encoding="utf-8")
    with pytest.raises(SuppressionError) as caught:
        load(path)
    errors = [e.describe() for e in caught.value.errors]
    assert f"{path}:9: why is missing or empty (say why the finding is wrong)" in errors
    assert f"{path}:9: message_index must be a whole number of 0 or more, not -1" in errors
    assert any(e.startswith(f"{path}:14: unknown field 'colour'") for e in errors)
    assert f"{path}:22: an entry must be a mapping with conversation, rule, message_index, text, who, why, when" in errors
    path.write_text("suppressions: [\n", encoding="utf-8")
    with pytest.raises(SuppressionError, match=rf"{path.name}:2"):
        load(path)


def test_a_broken_file_stops_the_scan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path(FILE).write_text("suppressions:\n  - conversation: s-002\n", encoding="utf-8")
    result = run("scan", CORPUS, expect=2)
    assert f"{FILE}:2: rule is missing or empty" in result.output and "errors in the suppressions file; nothing was scanned" in result.output
    assert run("scan", CORPUS, "--no-suppress", "-q", expect=None).exit_code == 1  # the file is not read at all


def test_the_setting_names_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("qa-linter.yaml").write_text("suppressions: review/hidden.yaml\n", encoding="utf-8")
    assert "review/hidden.yaml: suppressions file not found" in run("scan", CORPUS, expect=2).output
    Path("review").mkdir()
    write(Path("review/hidden.yaml"), [Suppression("s-002", "slang-internet", 1, "亲", "li.na", "称呼", "2026-11-30")])
    assert "1 suppressed" in run("scan", CORPUS, expect=None).output


def test_only_findings_judged_wrong_are_suppressed(project):
    target = next(f for f in project["findings"] if f["rule"] == "emoji-unicode")
    row = judged_wrong(target["conversation_id"], "emoji-unicode", note="")
    other = next(r for r in read_csv_sheet(Path("sheet.csv")) if r["finding_id"] and r["finding_id"] != row["finding_id"])
    result = run("review", "suppress", other["finding_id"], row["finding_id"], "--store", "store.db", expect=2)
    assert f"finding {other['finding_id']}: has no verdict in the store" in result.output
    assert f"finding {row['finding_id']}: its wrong verdicts carry no note; say why with --why" in result.output
    assert not Path(FILE).exists()
    run("review", "suppress", row["finding_id"], "--store", "store.db", "--why", "表情是客户发的截图说明", "--who", "qa.lead")
    [entry] = load(Path(FILE)).entries
    assert (entry.who, entry.why) == ("qa.lead", "表情是客户发的截图说明")
    assert "0 findings suppressed, 1 already there" in run("review", "suppress", "--store", "store.db", "--why", "x").output


def test_suppressions_apply_with_worker_processes(tmp_path, monkeypatch, corpus_conversations):
    """The parallel scan (300+ conversations) filters in the parent like the single process does."""
    monkeypatch.chdir(tmp_path)
    lines = []
    for copy in range(8):
        for conv in corpus_conversations:
            lines.append(json.dumps(dict(conv, id=f"{conv['id']}-{copy}"), ensure_ascii=False))
    Path("big.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    entries = [Suppression(f"s-002-{copy}", "slang-internet", 1, "亲", "li.na", "称呼", "2026-11-30") for copy in range(8)]
    write(Path(FILE), entries)
    outputs = {}
    for jobs in ("1", "2"):
        result = run("scan", "big.jsonl", "--jobs", jobs, "--format", "jsonl", "-o", f"out-{jobs}.jsonl", expect=None)
        assert "8 suppressed" in result.output
        outputs[jobs] = Path(f"out-{jobs}.jsonl").read_text(encoding="utf-8")
    assert outputs["1"] == outputs["2"] and '"conversation_id": "s-002-3", "message_index": 1, "role": "agent", "rule": "slang-internet"' not in outputs["1"]


def test_filter_touches_only_listed_conversations():
    entry = Suppression("c-1", "r", 0, "亲", "a", "b", "2026-11-30")
    keep = Finding("c-2", 0, "agent", "r", "slang", Severity.WARNING, "m", 0, 1, "亲")
    drop = Finding("c-1", 0, "agent", "r", "slang", Severity.WARNING, "m", 0, 1, "亲")
    other_text = Finding("c-1", 0, "agent", "r", "slang", Severity.WARNING, "m", 2, 4, "亲亲")
    assert Suppressions([entry]).filter([keep, drop, other_text]) == [keep, other_text]

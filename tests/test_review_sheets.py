"""`qa-lint review sample` and `review import`: the sheet's contents and form, the sample, validation of filled rows."""
from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qa_linter.store import open_store
from review_helpers import CORPUS, filled, read_csv_sheet, run, scan_into, write_csv_sheet

RAW_PII = ["13912345678", "11010519491231002X", "6217001234567890122", "6222 0212 3456 7890 128", "li.ming@example.com",
           "137 0000 1111"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sheets")
    scanned = scan_into(tmp / "store.db", output=tmp / "scan.json")
    corpus = {c["id"]: c for c in map(json.loads, CORPUS.read_text(encoding="utf-8").splitlines())}
    return {"tmp": tmp, "store": tmp / "store.db", "scan": {c["id"]: c for c in scanned["conversations"]},
            "findings": scanned["findings"], "corpus": corpus}


@pytest.fixture
def store_copy(world, tmp_path):
    """A store of its own for tests that write verdicts."""
    target = tmp_path / "store.db"
    with sqlite3.connect(world["store"]) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def sample(world, tmp_path, *args, name="sheet.csv"):
    out = tmp_path / name
    result = run("review", "sample", "--store", world["store"], *args, "-o", out)
    return out, result


def test_the_sample_is_stratified_and_reproducible(world, tmp_path):
    first, result = sample(world, tmp_path, "--per-agent", "2", "--seed", "7", name="a.csv")
    again, _ = sample(world, tmp_path, "--per-agent", "2", "--seed", "7", name="b.csv")
    other, _ = sample(world, tmp_path, "--per-agent", "2", "--seed", "8", name="c.csv")
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert "seed 7 (--seed 7 draws the same sample)" in result.output
    rows = read_csv_sheet(first)
    sampled = {r["conversation_id"] for r in rows}
    per_agent = Counter(world["corpus"][c]["agent"] for c in sampled)
    assert per_agent == {agent: 2 for agent in {c["agent"] for c in world["corpus"].values()}}  # 8 agents, 2 each


def test_every_auto_fail_conversation_and_one_row_per_finding(world, tmp_path):
    sheet, result = sample(world, tmp_path, "--per-agent", "1", "--all-auto-fail", "--seed", "3")
    rows = read_csv_sheet(sheet)
    auto_fail = {i for i, c in world["scan"].items() if c["scorecard"]["auto_fail"]}
    sampled = {r["conversation_id"] for r in rows}
    assert auto_fail and auto_fail <= sampled and len(sampled) == len(auto_fail) + 8
    for conv_id in sampled:
        finding_rows = [r for r in rows if r["conversation_id"] == conv_id and r["finding_id"]]
        expected = [f for f in world["findings"] if f["conversation_id"] == conv_id]
        assert [(int(r["message_index"]), r["rule"], r["category"]) for r in finding_rows] == \
               [(f["message_index"], f["rule"], f["category"]) for f in expected]
        miss_rows = [r for r in rows if r["conversation_id"] == conv_id and not r["finding_id"]]
        assert len(miss_rows) == 1 and miss_rows[0]["verdict"] == "" and "missed" in miss_rows[0]["excerpt"]
        # The conversation's rows stay together: its findings, then its miss row.
        positions = [i for i, r in enumerate(rows) if r["conversation_id"] == conv_id]
        assert positions == list(range(positions[0], positions[0] + len(positions))) and not rows[positions[-1]]["finding_id"]
    assert f"({len(auto_fail)} auto-fail, 8 random)" in result.output


def test_excerpts_mark_the_hit_and_mask_pii(world, tmp_path):
    sheet, _ = sample(world, tmp_path, "--per-agent", "10", "--seed", "1")  # every conversation
    rows = read_csv_sheet(sheet)
    text = sheet.read_text(encoding="utf-8-sig")
    assert not any(raw in text for raw in RAW_PII)
    by_id = {r["finding_id"]: r for r in rows if r["finding_id"]}
    assert len(by_id) == len(world["findings"])  # ids are unique
    for conv_id in {f["conversation_id"] for f in world["findings"]}:
        finding_rows = [r for r in rows if r["conversation_id"] == conv_id and r["finding_id"]]
        expected = [f for f in world["findings"] if f["conversation_id"] == conv_id]
        for row, f in zip(finding_rows, expected, strict=True):
            if f["start"] is None:
                assert "【" not in row["excerpt"]
                continue
            hit = row["excerpt"][row["excerpt"].index("【") + 1:row["excerpt"].index("】")]
            if f["category"] == "pii-exposure":
                assert "*" in hit and hit != f["text"]
            else:
                assert hit == " ".join(f["text"].split())
    assert "【138****5678】" in text or "【139****5678】" in text


def test_the_xlsx_form(world, tmp_path):
    sheet, _ = sample(world, tmp_path, "--per-agent", "2", "--all-auto-fail", "--seed", "7", name="sheet.xlsx")
    book = load_workbook(sheet)
    ws = book["review"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["finding_id", "conversation_id"] and {"message_index", "rule", "category", "excerpt", "verdict",
                                                                 "reviewer", "note"} <= set(header)
    assert ws.freeze_panes == "A2" and all(c.font.bold for c in ws[1])
    letter = {name: chr(ord("A") + i) for i, name in enumerate(header)}
    assert ws.column_dimensions[letter["excerpt"]].width >= 60 and ws.column_dimensions[letter["verdict"]].width >= 8
    validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    verdict = validations[f"{letter['verdict']}2"]
    assert verdict.type == "list" and verdict.formula1 == '"correct,wrong,missed"' and verdict.showErrorMessage
    category = validations[f"{letter['category']}2"]
    assert category.formula1.startswith("lists!") and book["lists"].sheet_state == "hidden"
    assert {"slang", "pii-exposure", "greeting-missing"} <= {c.value for (c,) in book["lists"].iter_rows()}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert sum(1 for r in rows if r[0]) == len(read_csv_sheet(sample(world, tmp_path, "--per-agent", "2", "--all-auto-fail", "--seed", "7")[0])) - \
        sum(1 for r in rows if not r[0])
    transcripts = book["transcripts"]
    sampled = {r[1] for r in rows}
    messages = Counter(r[0] for r in transcripts.iter_rows(min_row=2, values_only=True))
    assert messages == {c: len(world["corpus"][c]["messages"]) for c in sampled}
    assert not any(raw in str(v) for r in transcripts.iter_rows(values_only=True) for v in r for raw in RAW_PII)


def test_hostile_text_stays_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conv = {"id": "=HYPERLINK(\"http://x\")", "agent": "@SUM(1)", "started_at": "2026-11-24T10:00:00+08:00",
            "messages": [{"role": "customer", "text": "=1+1 太慢了"}, {"role": "agent", "text": "=cmd| 亲，我不知道"}]}
    Path("h.jsonl").write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    scan_into(Path("s.db"), inputs=["h.jsonl"])
    run("review", "sample", "--store", "s.db", "--per-agent", "1", "--seed", "1", "-o", "h.csv")
    run("review", "sample", "--store", "s.db", "--per-agent", "1", "--seed", "1", "-o", "h.xlsx")
    raw = Path("h.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"'=HYPERLINK" in raw and b"'@SUM(1)" in raw
    ws = load_workbook("h.xlsx")["review"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert cells and all(c.data_type == "s" for c in cells)
    # Read back, the apostrophe is gone: the verdict reaches the right conversation.
    rows = read_csv_sheet(Path("h.csv"))
    assert rows[0]["conversation_id"] == "'=HYPERLINK(\"http://x\")"
    write_csv_sheet(Path("f.csv"), filled(rows, "li.na", {rows[0]["finding_id"]: "wrong"}))
    run("review", "import", "f.csv", "--store", "s.db")
    with open_store("s.db") as store:
        assert [v.conversation_id for v in store.verdicts()] == ["=HYPERLINK(\"http://x\")"]


def test_import_reports_bad_rows_and_imports_the_rest(world, tmp_path, store_copy):
    sheet, _ = sample(world, tmp_path, "--per-agent", "1", "--seed", "5")
    rows = read_csv_sheet(sheet)
    findings = [r for r in rows if r["finding_id"]]
    misses = [r for r in rows if not r["finding_id"]]
    good = {findings[0]["finding_id"]: "correct", findings[1]["finding_id"]: "wrong"}
    rows = filled(rows, "li.na", good)
    bad_rows = [
        dict(findings[2], finding_id="0123456789abcdef", verdict="correct", reviewer="li.na"),   # unknown id
        dict(findings[3], verdict="maybe", reviewer="li.na"),                                     # bad verdict
        dict(findings[4], verdict="wrong", reviewer=""),                                          # no reviewer
        dict(misses[0], verdict="missed", reviewer="li.na", category="slnag", message_index="1"),  # typo
        dict(misses[1], verdict="missed", reviewer="li.na", category="slang", message_index="99"),  # outside
        dict(findings[5], verdict="missed", reviewer="li.na"),                                    # miss on a finding
        dict(misses[2], verdict="correct", reviewer="li.na"),                                     # verdict on a miss row
        dict(findings[6], conversation_id="s-999", verdict="correct", reviewer="li.na"),          # wrong conversation
    ]
    good_miss = dict(misses[3], verdict="missed", reviewer="li.na", category="greeting-missing", message_index="1", note="没有问候")
    write_csv_sheet(tmp_path / "filled.csv", rows + bad_rows + [good_miss])
    result = run("review", "import", tmp_path / "filled.csv", "--store", store_copy, expect=2)
    first_bad = len(rows) + 2  # header is line 1
    out = result.output
    where = f"{tmp_path / 'filled.csv'}"
    assert f"{where}:{first_bad}: unknown finding id '0123456789abcdef'" in out
    assert f"{where}:{first_bad + 1}: verdict 'maybe' is not correct, wrong or missed" in out
    assert f"{where}:{first_bad + 2}: reviewer is empty" in out
    assert f"{where}:{first_bad + 3}: unknown category 'slnag'; did you mean 'slang'?" in out
    assert f"{where}:{first_bad + 4}: message_index 99 is outside the conversation" in out
    assert f"{where}:{first_bad + 5}: missed goes on the conversation's own row" in out
    assert f"{where}:{first_bad + 6}: correct needs the finding_id of a finding row" in out
    assert f"{where}:{first_bad + 7}: finding {findings[6]['finding_id']} belongs to conversation" in out
    assert "imported 2 verdicts and 1 miss: 3 new" in out and "8 rows with errors" in out
    with open_store(str(store_copy)) as store:
        verdicts = {v.finding_id: v for v in store.verdicts()}
        [miss] = store.misses()
    assert {k: v.verdict for k, v in verdicts.items()} == good
    assert (miss.conversation_id, miss.message_index, miss.category, miss.note) == (misses[3]["conversation_id"], 1, "greeting-missing", "没有问候")
    assert verdicts[findings[0]["finding_id"]].source == f"{where}:{2 + rows.index(next(r for r in rows if r['finding_id'] == findings[0]['finding_id']))}"


def test_reimport_is_idempotent_and_a_later_round_replaces(world, tmp_path, store_copy):
    sheet, _ = sample(world, tmp_path, "--per-agent", "1", "--seed", "5", name="s.xlsx")
    book = load_workbook(sheet)
    ws = book["review"]
    header = [c.value for c in ws[1]]
    col = {name: i for i, name in enumerate(header)}
    ids = []
    for row in ws.iter_rows(min_row=2):
        if row[col["finding_id"]].value and len(ids) < 3:
            ids.append(row[col["finding_id"]].value)
            row[col["verdict"]].value, row[col["reviewer"]].value = "correct", "wang.fang"
    book.save(tmp_path / "round1.xlsx")
    assert "3 new, 0 changed, 0 unchanged" in run("review", "import", tmp_path / "round1.xlsx", "--store", store_copy).output
    with open_store(str(store_copy)) as store:
        before = store.verdicts()
    assert "0 new, 0 changed, 3 unchanged" in run("review", "import", tmp_path / "round1.xlsx", "--store", store_copy).output
    with open_store(str(store_copy)) as store:
        assert store.verdicts() == before  # the same rows, the same times
    for row in ws.iter_rows(min_row=2):
        if row[col["finding_id"]].value == ids[0]:
            row[col["verdict"]].value, row[col["note"]].value = "wrong", "客户自己用的词"
    book.save(tmp_path / "round2.xlsx")
    assert "0 new, 1 changed, 2 unchanged" in run("review", "import", tmp_path / "round2.xlsx", "--store", store_copy).output
    with open_store(str(store_copy)) as store:
        verdicts = {v.finding_id: (v.verdict, v.note) for v in store.verdicts()}
    assert verdicts[ids[0]] == ("wrong", "客户自己用的词") and len(verdicts) == 3


def test_mistakes_are_exit_2_with_a_reason(world, tmp_path):
    assert "no such results store" in run("review", "sample", "--store", tmp_path / "none.db", "--per-agent", "1", "-o",
                                          tmp_path / "x.csv", expect=2).output
    assert "the sheet is .xlsx or .csv" in run("review", "sample", "--store", world["store"], "--per-agent", "1", "-o",
                                               tmp_path / "x.txt", expect=2).output
    assert "use an ISO week" in run("review", "sample", "--store", world["store"], "--week", "48", "--per-agent", "1", "-o",
                                    tmp_path / "x.csv", expect=2).output
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    assert "not an Excel workbook" in run("review", "import", tmp_path / "junk.xlsx", "--store", world["store"], expect=2).output
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert "other.csv:1: the header has no finding_id, conversation_id, verdict column" in \
        run("review", "import", tmp_path / "other.csv", "--store", world["store"], expect=2).output


def test_week_limits_the_sample(world, tmp_path):
    sheet, _ = sample(world, tmp_path, "--per-agent", "10", "--week", "2026-W48", "--seed", "1")
    sampled = {r["conversation_id"] for r in read_csv_sheet(sheet)}
    assert sampled == {i for i, c in world["corpus"].items() if c["started_at"] >= "2026-11-23"}

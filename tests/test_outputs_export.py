"""`scan --format csv|xlsx|sarif|junit`: each file opened with a real reader (csv, openpyxl, an XML parser, json),
one row / result / failure per finding as the JSON output has them, and no cell that a spreadsheet would run."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.outputs.rows import COLUMNS

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
ONLY_TEST_RULES = ["--no-builtin", "--rules", str(RULES)]

# c-1 (agent =cmd|' /C calc'!A0, team +team): t-slang (warning) and a missing closing; c-2 (agent @SUM(1)): a taboo
# phrase (error) and a missing greeting; c-3: clean. Names and texts start like formulas on purpose.
CONVERSATIONS = [
    {"id": "c-1", "agent": "=cmd|' /C calc'!A0", "team": "+team", "messages": [
        {"role": "customer", "text": "在吗"},
        {"role": "agent", "text": "亲，您好，请问有什么问题？"},
        {"role": "customer", "text": "没事了"},
        {"role": "agent", "text": "好的"},
    ]},
    {"id": "c-2", "agent": "@SUM(1)", "team": "-2+3", "messages": [
        {"role": "customer", "text": "订单到哪了"},
        {"role": "agent", "text": "这个我 不 知 道，谢谢"},
    ]},
    {"id": "c-3", "agent": "li.na", "messages": [
        {"role": "customer", "text": "在吗"},
        {"role": "agent", "text": "您好，祝您生活愉快"},
    ]},
]


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


@pytest.fixture
def transcripts(tmp_path) -> Path:
    path = tmp_path / "day.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CONVERSATIONS), encoding="utf-8")
    return path


def scan(*args):
    return CliRunner().invoke(main, ["scan", *ONLY_TEST_RULES, "-q", *map(str, args)])


@pytest.fixture
def expected(transcripts, tmp_path) -> list[dict]:
    """The findings as the JSON output has them: every format must carry the same ones."""
    out = tmp_path / "all.json"
    assert scan(transcripts, "--format", "json", "-o", out).exit_code == 1
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert {f["conversation_id"] for f in findings} == {"c-1", "c-2"}
    return findings


def key(f: dict) -> tuple:
    return (f["conversation_id"], int(f["message_index"]), f["rule"])


def test_csv_one_row_per_finding_opens_with_the_csv_module(transcripts, expected, tmp_path):
    out = tmp_path / "f.csv"
    result = scan(transcripts, "--format", "csv", "-o", out)
    assert result.exit_code == 1, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read UTF-8"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0].keys()) == COLUMNS
    assert sorted(map(key, rows)) == sorted(map(key, expected))
    by_rule = {r["rule"]: r for r in rows}
    slang = by_rule["t-slang"]
    assert (slang["text"], slang["severity"], slang["category"]) == ("亲", "warning", "slang")
    assert "【亲】" in slang["excerpt"]
    assert slang["location"] == f"{transcripts}:1"
    assert by_rule["t-taboo"]["location"] == f"{transcripts}:2"


def test_csv_cells_never_start_like_a_formula(transcripts, tmp_path):
    out = tmp_path / "f.csv"
    scan(transcripts, "--format", "csv", "-o", out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    agents = {row[COLUMNS.index("agent")] for row in rows[1:]}
    teams = {row[COLUMNS.index("team")] for row in rows[1:]}
    assert agents == {"'=cmd|' /C calc'!A0", "'@SUM(1)"}
    assert teams == {"'+team", "'-2+3"}


def test_xlsx_opens_with_openpyxl_and_stores_formula_like_text_as_text(transcripts, expected, tmp_path):
    out = tmp_path / "f.xlsx"
    result = scan(transcripts, "--format", "xlsx", "-o", out)
    assert result.exit_code == 1, result.output
    book = openpyxl.load_workbook(out)
    sheet = book["findings"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    records = [dict(zip(COLUMNS, r)) for r in rows[1:]]
    assert sorted(map(key, records)) == sorted(map(key, expected))
    # The exact text, kept, and every cell a string (type "s"), none a formula (type "f").
    assert {r["agent"] for r in records} == {"=cmd|' /C calc'!A0", "@SUM(1)"}
    assert {r["team"] for r in records} == {"+team", "-2+3"}
    kinds = {cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None}
    assert "f" not in kinds and "s" in kinds
    assert sheet.freeze_panes == "A2"
    summary = dict(book["summary"].iter_rows(values_only=True))
    assert summary["findings"] == len(expected) and summary["conversations"] == 3


def test_xlsx_to_stdout_is_the_same_workbook(transcripts):
    result = CliRunner().invoke(main, ["scan", *ONLY_TEST_RULES, "-q", str(transcripts), "--format", "xlsx"])
    assert result.exit_code == 1
    book = openpyxl.load_workbook(io.BytesIO(result.stdout_bytes))
    assert book["findings"].max_row == 1 + 4


def test_xlsx_with_control_characters_in_a_transcript_still_opens(tmp_path):
    path = tmp_path / "ctl.jsonl"
    conv = {"id": "c\x01x", "agent": "a\x1bb", "messages": [{"role": "customer", "text": "在吗"},
                                                         {"role": "agent", "text": "亲\x07，好的"}]}
    path.write_text(json.dumps(conv) + "\n", encoding="utf-8")
    out = tmp_path / "ctl.xlsx"
    assert scan(path, "--format", "xlsx", "-o", out).exit_code == 0  # warnings only
    rows = list(openpyxl.load_workbook(out)["findings"].iter_rows(values_only=True))
    assert rows[1][0] == "c\u2401x" and rows[1][1] == "a\u241bb"
    junit = tmp_path / "ctl.xml"
    assert scan(path, "--format", "junit", "-o", junit).exit_code == 0
    (case,) = ET.parse(junit).getroot().iter("testcase")  # a raw \x01 would make the file unreadable
    assert case.get("name") == "c\u2401x"


def test_sarif_has_the_required_structure_and_every_finding(transcripts, expected, tmp_path):
    out = tmp_path / "f.sarif"
    result = scan(transcripts, "--format", "sarif", "-o", out)
    assert result.exit_code == 1, result.output
    log = json.loads(out.read_text(encoding="utf-8"))
    # sarif-schema-2.1.0.json: log requires version + runs; run requires tool; tool requires driver; driver
    # requires name; result requires message (with text); a region's startLine is >= 1.
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "qa-linter"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and {"t-slang", "t-taboo"} <= set(rule_ids)
    for rule in driver["rules"]:
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert isinstance(rule["shortDescription"]["text"], str) and rule["shortDescription"]["text"]
    taboo_rule = driver["rules"][rule_ids.index("t-taboo")]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in taboo_rule["shortDescription"]["text"]), "Chinese rule text"
    results = run["results"]
    assert sorted((r["properties"]["conversation_id"], r["properties"]["message_index"], r["ruleId"]) for r in results) \
        == sorted(map(key, expected))
    for r in results:
        assert r["message"]["text"]
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] in ("error", "warning", "note")
        (location,) = r["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"].startswith("file://")
        assert physical["region"]["startLine"] >= 1
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith(r["properties"]["conversation_id"])
        assert r["partialFingerprints"]["qaLinterFinding/v1"]
    taboo = next(r for r in results if r["ruleId"] == "t-taboo")
    assert taboo["level"] == "error"
    assert taboo["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert [a["location"]["uri"] for a in run["artifacts"]] == [transcripts.as_uri()]


def test_sarif_relative_path_is_a_relative_uri(transcripts, tmp_path):
    result = CliRunner().invoke(main, ["scan", *ONLY_TEST_RULES, "-q", transcripts.name, "--format", "sarif"])
    log = json.loads(result.stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"day.jsonl"}


def test_junit_a_testcase_per_conversation_failures_at_fail_on(transcripts, tmp_path):
    out = tmp_path / "f.xml"
    result = scan(transcripts, "--format", "junit", "-o", out)
    assert result.exit_code == 1, result.output
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"c-1", "c-2", "c-3"}
    # default fail-on error: only c-2's taboo phrase fails; c-1's warnings are shown, not failing
    assert cases["c-1"].find("failure") is None and "t-slang" in cases["c-1"].find("system-out").text
    failure = cases["c-2"].find("failure")
    assert "t-taboo" in failure.text and failure.get("type") == "error"
    assert cases["c-3"].find("failure") is None

    out2 = tmp_path / "w.xml"
    assert scan(transcripts, "--format", "junit", "--fail-on", "warning", "-o", out2).exit_code == 1
    root = ET.parse(out2).getroot()
    assert root.get("failures") == "2"
    failed = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed == {"c-1", "c-2"}


def test_statistics_with_a_file_format_is_a_usage_error(transcripts):
    result = scan(transcripts, "--format", "csv", "--statistics")
    assert result.exit_code == 2 and "--statistics" in result.output


def test_every_format_gets_the_same_findings_through_one_type(transcripts, expected, tmp_path):
    """The formats differ in shape only: the findings counted in each are the JSON output's."""
    counts = {}
    for fmt in ("csv", "xlsx", "sarif", "junit"):
        out = tmp_path / f"n.{fmt}"
        scan(transcripts, "--format", fmt, "-o", out)
        if fmt == "csv":
            counts[fmt] = len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))))
        elif fmt == "xlsx":
            counts[fmt] = openpyxl.load_workbook(out)["findings"].max_row - 1
        elif fmt == "sarif":
            counts[fmt] = len(json.loads(out.read_text())["runs"][0]["results"])
        else:
            root = ET.parse(out).getroot()
            counts[fmt] = sum(len([ln for ln in (c.findtext("failure") or "").splitlines() if ln.startswith("#")])
                              + len([ln for ln in (c.findtext("system-out") or "").splitlines() if ln.startswith("#")])
                              for c in root.iter("testcase"))
    assert counts == {fmt: len(expected) for fmt in counts}

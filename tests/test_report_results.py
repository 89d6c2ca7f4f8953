"""The results table (store/parquet.py): what a Spark scan writes to OUT/results/ and `report weekly --results`
reads back with pyarrow alone. Its rows are made here without Spark (tests/test_spark.py runs the real scan and
compares whole reports); the reader must give back what the SQLite store gives for the same scan results."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.masking import Masker
from qa_linter.store import StoreError, open_store
from qa_linter.store.parquet import ParquetResults, arrow_schema, result_row

from test_store import WEEK_47, result

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


def write_table(path, results, order_from: int = 1) -> None:
    rows = [result_row(r, Masker(), {"file": "in.jsonl", "line": order_from + i, "item": None}) for i, r in enumerate(results)]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), path)


def sample_results():
    return [
        result("c-1"),  # a masked phone number, an auto-fail
        result("c-2", text="您好，已为您处理", score=100.0),
        result("c-naive", started="2026-11-17T10:00:00"),  # no offset: placed in the report's zone
        result("c-late", started="2026-11-23T00:30:00+08:00"),  # the next week
        result("c-undated", started=None),
    ]


def test_the_table_reads_back_what_the_sqlite_store_gives(tmp_path):
    results = sample_results()
    write_table(tmp_path / "results" / "part-0.parquet", results)
    with open_store(str(tmp_path / "s.db")) as store:
        store.record_many(results)
        from_sqlite = store.conversations(*WEEK_47)
        undated = store.count(undated=True)
        total = store.count()
    table = ParquetResults([str(tmp_path)])  # the scan's OUT folder: its results/ subfolder is read
    from_table = table.conversations(*WEEK_47)
    assert [c.id for c in from_sqlite] == ["c-1", "c-2", "c-naive"]
    assert from_table == from_sqlite
    assert from_table[0].findings[0].excerpt == "您的号码是139****5678，请核对"  # masked as the store masks
    assert (table.count(undated=True), table.count()) == (undated, total) == (1, 5)


def test_a_conversation_scanned_twice_counts_once_with_its_latest_scan(tmp_path):
    first = result("c-1", score=50.0)
    later = result("c-1", text="您好，已为您处理", score=95.0)
    later = type(later)(later.conversation, later.findings, later.scorecard, later.rule_pack, later.scoring_model,
                        later.scanned_at + timedelta(days=1))
    # Two nights' folders, the later scan given first: the scan time decides, not the order of the arguments.
    write_table(tmp_path / "night-2" / "results" / "part-0.parquet", [later])
    write_table(tmp_path / "night-1" / "results" / "part-0.parquet", [first, result("c-2")])
    table = ParquetResults([str(tmp_path / "night-2"), str(tmp_path / "night-1")])
    convs = {c.id: c for c in table.conversations(*WEEK_47)}
    assert set(convs) == {"c-1", "c-2"} and convs["c-1"].score == 95.0 and not convs["c-1"].findings
    assert table.count() == 2
    # Within one scan, the later record in input order wins, as a local scan --store replaces the earlier one.
    write_table(tmp_path / "one" / "part-0.parquet", [first, result("c-1", score=70.0)])
    [conv] = ParquetResults([str(tmp_path / "one")]).conversations(*WEEK_47)
    assert conv.score == 70.0


def test_report_weekly_reads_results_as_it_reads_a_store(tmp_path):
    results = sample_results()
    write_table(tmp_path / "out" / "results" / "part-0.parquet", results)
    with open_store(str(tmp_path / "s.db")) as store:
        store.record_many(results)
    runner = CliRunner()
    a = runner.invoke(main, ["report", "weekly", "--store", "s.db", "--week", "2026-W47", "--out", "a"])
    b = runner.invoke(main, ["report", "weekly", "--results", "out/results/part-0.parquet", "--week", "2026-W47", "--out", "b"])
    assert a.exit_code == b.exit_code == 0, b.output
    ja = json.loads((tmp_path / "a" / "weekly-2026-W47.json").read_text(encoding="utf-8"))
    jb = json.loads((tmp_path / "b" / "weekly-2026-W47.json").read_text(encoding="utf-8"))
    for data in (ja, jb):
        data.pop("generated_at"), data.pop("source")
    assert ja["figures"]["conversations"] == 3 and ja["undated_conversations"] == 1
    assert jb == ja


@pytest.mark.parametrize("setup, given, message", [
    (None, "nowhere", "nowhere: no such results table"),
    ("empty", "empty", "empty: no Parquet results table in this folder"),
    ("findings", "out/findings", "a scan's findings/ or scores/ folder"),
    ("foreign", "foreign.parquet", "not a qa-linter results table (no column"),
    ("garbage", "garbage.parquet", "garbage.parquet: cannot read the results table"),
])
def test_wrong_results_are_exit_2_with_the_reason(tmp_path, setup, given, message):
    if setup == "empty":
        (tmp_path / "empty").mkdir()
    elif setup == "findings":
        (tmp_path / "out" / "findings").mkdir(parents=True)
    elif setup == "foreign":
        pq.write_table(pa.table({"conversation_id": ["c-1"], "rule": ["x"]}), tmp_path / "foreign.parquet")
    elif setup == "garbage":
        (tmp_path / "garbage.parquet").write_bytes(b"not parquet at all")
    out = CliRunner().invoke(main, ["report", "weekly", "--results", given, "--week", "2026-W47"])
    assert out.exit_code == 2 and message in out.output and "Traceback" not in out.output


def test_results_and_store_together_are_refused(tmp_path):
    out = CliRunner().invoke(main, ["report", "weekly", "--results", "out", "--store", "s.db"])
    assert out.exit_code == 2 and "give either --store or --results, not both" in out.output


def test_the_table_is_read_only(tmp_path):
    write_table(tmp_path / "r.parquet", [result()])
    with pytest.raises(StoreError, match="read-only"):
        ParquetResults([str(tmp_path / "r.parquet")]).record_many([result()])

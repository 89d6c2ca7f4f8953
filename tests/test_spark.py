"""`qa-lint scan --engine spark` and qa_linter.spark against the local scan, on one Spark local[2] session.

One session serves the whole module (starting one costs 10-16 s); every test uses the small sample corpus
or a few hand-made records. The 100,000-conversation equality run is in benchmarks/spark_scale.py.
"""
from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main

HAS_JAVA = bool(shutil.which("java") or os.environ.get("JAVA_HOME"))
pytestmark = [
    pytest.mark.skipif(not HAS_JAVA, reason="Spark needs Java (17 or later) and no `java` is on PATH "
                                            "(.ci/run installs openjdk-17-jre-headless)"),
    pytest.mark.usefixtures("outside_any_project"),  # conftest.py
]

CORPUS = Path(__file__).parent / "data" / "corpus" / "transcripts.jsonl"


@pytest.fixture(scope="session")
def spark():
    from qa_linter.spark.session import get_session

    # As `scan --engine spark` sizes its own session: a flat table is grouped into 8 partitions, not 200.
    session = get_session("local[2]", app_name="qa-linter tests", conf={"spark.sql.shuffle.partitions": "8"})
    yield session
    session.stop()




def _cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _local_json(path: Path) -> dict:
    result = _cli("scan", str(path), "--format", "json", "--jobs", "1", "--exit-zero")
    return json.loads(result.stdout)


def _rows(records) -> list[str]:
    """Records as sorted JSON texts: equality as a set of rows, with repeated rows counted."""
    return sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records)


def _plain(value):
    """Spark's doubles against the local output's ints (points: 15 vs 15.0)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def test_cli_jsonl_on_spark_prints_the_bytes_of_a_local_scan(spark):
    local = _cli("scan", str(CORPUS), "--format", "jsonl", "--jobs", "1")
    on_spark = _cli("scan", str(CORPUS), "--engine", "spark", "--master", "local[2]", "--format", "jsonl")
    assert on_spark.exit_code == local.exit_code == 1  # the corpus has error findings
    assert local.stdout.count("\n") > 50  # the sample corpus breaks many rules: the comparison is not vacuous
    assert on_spark.stdout == local.stdout
    counts = local.stderr.splitlines()[0].split(" in ")[0]  # "40 conversations, 356 messages, N findings (…)"
    assert counts.startswith("40 conversations") and counts in on_spark.stderr


def test_api_findings_and_scores_equal_the_local_scan_row_for_row(spark):
    from qa_linter.spark import findings_of, problems_of, read_jsonl, scan_results, scores_of

    results = scan_results(read_jsonl(spark, [str(CORPUS)])).persist()
    local = _local_json(CORPUS)
    findings = [row.asDict(recursive=True) for row in findings_of(results).collect()]
    assert _rows(findings) == _rows(local["findings"])
    scores = [row.asDict(recursive=True) for row in scores_of(results).collect()]
    assert len(scores) == 40
    assert _rows(_plain(scores)) == _rows(_plain(local["conversations"]))
    assert problems_of(results).count() == 0
    results.unpersist()


def test_output_folder_holds_findings_scores_problems_and_summary_as_parquet(spark, tmp_path):
    out = tmp_path / "out"
    result = _cli("scan", str(CORPUS), "--engine", "spark", "--format", "parquet", "-o", str(out), "--exit-zero")
    assert result.exit_code == 0, result.output
    local = _local_json(CORPUS)
    findings = [r.asDict(recursive=True) for r in spark.read.parquet(str(out / "findings")).collect()]
    assert _rows(findings) == _rows(local["findings"])
    scores = [r.asDict(recursive=True) for r in spark.read.parquet(str(out / "scores")).collect()]
    assert _rows(_plain(scores)) == _rows(_plain(local["conversations"]))
    assert spark.read.parquet(str(out / "problems")).count() == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["summary"]["findings"] == len(local["findings"]) and summary["summary"]["by_rule"] == local["summary"]["by_rule"]
    assert summary["rule_pack"] == local["rule_pack"] and summary["scorecard"] == local["scorecard"]


def _flat_table(path: Path) -> None:
    """The corpus as a one-message-per-row Parquet table in two files, rows shuffled, with a sequence column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        conv = json.loads(line)
        for seq, m in enumerate(conv["messages"]):
            rows.append({"conversation_id": conv["id"], "seq": seq, "role": m["role"], "text": m["text"],
                         "ts": m.get("ts"), "agent": conv.get("agent"), "team": conv.get("team"),
                         "channel": conv.get("channel")})
    random.Random(7).shuffle(rows)
    path.mkdir()
    half = len(rows) // 2
    pq.write_table(pa.Table.from_pylist(rows[:half]), path / "part-0.parquet")
    pq.write_table(pa.Table.from_pylist(rows[half:]), path / "part-1.parquet")


def test_a_flat_one_message_per_row_table_scans_to_the_same_findings(spark, tmp_path):
    table = tmp_path / "flat"
    _flat_table(table)
    on_spark = _cli("scan", str(table), "--engine", "spark", "--format", "jsonl", "--exit-zero")
    assert on_spark.exit_code == 0, on_spark.output
    local = _cli("scan", str(CORPUS), "--format", "jsonl", "--jobs", "1", "--exit-zero")
    assert sorted(on_spark.stdout.splitlines()) == sorted(local.stdout.splitlines())
    assert len(local.stdout.splitlines()) > 50

    from qa_linter.spark import read_parquet, score_dataframe

    scores = {r["id"]: (r["score"], r["passed"], r["messages"]) for r in score_dataframe(read_parquet(spark, [str(table)])).collect()}
    expected = {c["id"]: (c["score"], c["passed"], c["messages"]) for c in _local_json(CORPUS)["conversations"]}
    assert scores == expected


def test_flat_table_rows_that_cannot_be_read_are_problems_and_the_rest_is_scanned(spark, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from qa_linter.spark import flat_to_canonical, problems_of, scan_results

    rows = [
        {"会话ID": "f-1", "序号": 2, "角色": "客服", "内容": "亲，这个我不知道", "时间": "2026-11-20 10:00:09"},
        {"会话ID": "f-1", "序号": 1, "角色": "客户", "内容": "宽带连不上", "时间": "2026-11-20 10:00:00"},
        {"会话ID": "f-1", "序号": 3, "角色": "经理", "内容": "?", "时间": "2026-11-20 10:00:10"},
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    df = spark.read.parquet(str(tmp_path / "t.parquet"))
    results = scan_results(flat_to_canonical(df))
    problems = [r.asDict() for r in problems_of(results).collect()]
    assert len(problems) == 1 and "unknown role '经理'" in problems[0]["reason"]
    conv = results.where("kind = 'conversation'").first()
    assert conv["messages"] == 2
    assert [f["text"] for f in conv["finding_rows"] if f["rule"] == "slang-internet"] == ["亲"]
    assert conv["finding_rows"][0]["message_index"] == 1  # ordered by 序号: the agent's reply is second


BAD_LINES = [
    json.dumps({"id": "b-1", "messages": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": "亲，在的"}]}, ensure_ascii=False),
    "",
    '{"id": "b-2", "messages": [',
    json.dumps({"id": "b-3", "messages": [{"role": "boss", "text": "x"}]}),
    json.dumps([{"id": "b-4", "messages": [{"role": "agent", "text": "您好"}]}, {"id": "b-5", "messages": "none"}], ensure_ascii=False),
    json.dumps({"id": "b-6", "messages": [{"role": "agent", "text": 42}]}),
]


def test_bad_records_are_counted_and_reported_as_locally(spark, tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(BAD_LINES) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    on_spark = _cli("scan", "bad.jsonl", "--engine", "spark", "--format", "jsonl", "-o", str(out), "--exit-zero")
    local = _cli("scan", "bad.jsonl", "--format", "json", "--jobs", "1", "--exit-zero")
    assert on_spark.exit_code == local.exit_code == 2  # a skipped record is an input error, as locally
    expected = json.loads(local.stdout)["summary"]["skipped_inputs"]
    assert [p["line"] for p in expected] == [3, 4, 5, 6]
    problems = [json.loads(line) for f in sorted((out / "problems").glob("part-*.json")) for line in f.read_text(encoding="utf-8").splitlines()]
    assert _rows(problems) == _rows(expected)
    assert "Skipped 4 input records" in on_spark.stderr and "bad.jsonl:3: invalid JSON" in on_spark.stderr
    findings = [json.loads(line) for f in (out / "findings").glob("part-*.json") for line in f.read_text(encoding="utf-8").splitlines()]
    assert _rows(findings) == _rows(json.loads(local.stdout)["findings"])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["summary"]
    assert summary["skipped"] == 4 and summary["conversations"] == 2
    assert _rows(summary["skipped_inputs"]) == _rows(expected)


def test_a_rule_error_stops_on_the_driver_with_file_and_line_before_spark_starts(tmp_path, monkeypatch):
    import qa_linter.spark.session as session

    def no_session(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("a Spark session was started although the rules do not load")

    monkeypatch.setattr(session, "get_session", no_session)
    (tmp_path / "broken.yaml").write_text("rules:\n  - id: x\n    type: phrases\n    category: slang\n    severity: loud\n"
                                         "    message: m\n    terms: [a]\n", encoding="utf-8")
    result = _cli("scan", str(CORPUS), "--engine", "spark", "--rules", "broken.yaml")
    assert result.exit_code == 2
    assert "broken.yaml:" in result.stderr and "nothing was scanned" in result.stderr


def test_options_spark_cannot_honour_are_refused_before_it_starts():
    result = _cli("scan", str(CORPUS), "--engine", "spark", "--html", "pages")
    assert result.exit_code == 2 and "--html cannot be used with --engine spark" in result.stderr
    result = _cli("scan", str(CORPUS), "--engine", "spark", "--format", "parquet")
    assert result.exit_code == 2 and "needs -o OUT" in result.stderr
    result = _cli("scan", str(CORPUS), "--format", "parquet")
    assert result.exit_code == 2 and "--engine spark" in result.stderr


def test_the_pack_is_loaded_once_per_python_worker_not_per_task(spark):
    from functools import partial

    from qa_linter.spark import load
    from qa_linter.spark.pack import PackBundle
    from qa_linter.spark.worker import probe_batches

    bundle = PackBundle.of(*load())
    tasks = 12
    probes = spark.range(tasks * 10, numPartitions=tasks).mapInArrow(partial(probe_batches, bundle), "pid long, loads long, peak_mb long").collect()
    assert len(probes) == tasks
    assert {p["loads"] for p in probes} == {1}
    assert len({p["pid"] for p in probes}) < tasks  # workers ran several tasks each, and loaded the pack once


def test_a_dataframe_not_in_the_canonical_shape_is_refused_with_the_reason(spark):
    from qa_linter.spark import SparkInputError, scan_dataframe

    with pytest.raises(SparkInputError, match="flat_to_canonical"):
        scan_dataframe(spark.createDataFrame([("c", "agent", "hi")], "conversation_id string, role string, text string"))


def test_the_suppressions_file_hides_the_same_findings_and_scores_as_locally(spark, tmp_path):
    from qa_linter.review.suppressions import FILE_NAME, Suppression, write

    write(tmp_path / FILE_NAME, [Suppression("s-002", "slang-internet", 1, "亲", "li.na", "称呼", "2026-11-30")])
    local = _cli("scan", str(CORPUS), "--format", "jsonl", "--jobs", "1", "--exit-zero")
    on_spark = _cli("scan", str(CORPUS), "--engine", "spark", "--format", "jsonl", "--exit-zero")
    assert "1 suppressed" in local.output and "1 suppressed" in on_spark.output
    assert on_spark.stdout == local.stdout
    assert '"conversation_id": "s-002", "message_index": 1, "role": "agent", "rule": "slang-internet"' not in on_spark.stdout
    unsuppressed = _cli("scan", str(CORPUS), "--engine", "spark", "--format", "jsonl", "--exit-zero", "--no-suppress")
    assert unsuppressed.stdout.count("\n") == on_spark.stdout.count("\n") + 1


def _report_model(folder: Path, week: str) -> tuple[dict, str, str]:
    """The weekly report's JSON, HTML and CSV without what differs between any two runs (when and from where it
    was generated, the page's script nonce)."""
    import re

    data = json.loads((folder / f"weekly-{week}.json").read_text(encoding="utf-8"))
    source = data.pop("source")
    data.pop("generated_at")
    html = (folder / f"weekly-{week}.html").read_text(encoding="utf-8")
    html = re.sub(r"nonce-?[\"=]?[A-Za-z0-9_-]{16,}", "NONCE", html.replace("nonce=", "nonce-"))
    html = re.sub(r"生成于 [0-9: -]+ · 数据来源 <span class=\"mono\">[^<]*</span>", "", html)
    assert source and source not in html  # the source was the only place it appeared
    return data, html, (folder / f"weekly-{week}.csv").read_text(encoding="utf-8")


def test_the_weekly_report_from_a_spark_run_is_the_report_of_a_local_run(spark, tmp_path, corpus_conversations):
    # The sample corpus spans W47 and W48; a naive start time and an undated conversation exercise the store's
    # time handling (a naive time is placed in the report's zone; an undated one is counted apart).
    naive = json.loads(json.dumps(corpus_conversations[0]))
    naive.update(id="x-naive", started_at="2026-11-24T09:00:00")
    for m in naive["messages"]:
        m["ts"] = None
    undated = json.loads(json.dumps(corpus_conversations[1]))
    undated.update(id="x-undated", started_at=None)
    for m in undated["messages"]:
        m["ts"] = None
    extra = tmp_path / "extra.jsonl"
    extra.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in (naive, undated)), encoding="utf-8")
    inputs = [str(CORPUS), str(extra)]

    assert _cli("scan", *inputs, "--store", "local.db", "--exit-zero", "-q").exit_code == 0
    # --format jsonl: the results table is Parquet whatever the format of the other tables.
    result = _cli("scan", *inputs, "--engine", "spark", "--format", "jsonl", "-o", "out", "--exit-zero", "-q")
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "out" / "results").glob("*.parquet"))

    for week in ("2026-W47", "2026-W48"):
        assert _cli("report", "weekly", "--store", "local.db", "--week", week, "--out", "local").exit_code == 0
        result = _cli("report", "weekly", "--results", "out", "--week", week, "--out", "spark")
        assert result.exit_code == 0, result.output
        local, on_spark = _report_model(tmp_path / "local", week), _report_model(tmp_path / "spark", week)
        assert local[0]["figures"]["conversations"] >= 19 and local[0]["rules"] and local[0]["worst"]  # not vacuous
        assert local[0]["undated_conversations"] == 1
        assert on_spark[0] == local[0]
        assert on_spark[1] == local[1]
        assert on_spark[2] == local[2]
    # The results/ folder itself is read as well as the scan's OUT folder.
    assert len(list((tmp_path / "out" / "results").glob("*.parquet"))) > 1  # Spark's part files, read as one table
    assert _cli("report", "weekly", "--results", "out/results", "--week", "2026-W48", "--out", "again").exit_code == 0
    assert _report_model(tmp_path / "again", "2026-W48")[0] == _report_model(tmp_path / "local", "2026-W48")[0]


def test_store_with_spark_points_to_the_results_table():
    result = _cli("scan", str(CORPUS), "--engine", "spark", "--store", "x.db")
    assert result.exit_code == 2 and "OUT/results/" in result.stderr and "report weekly --results" in result.stderr
    assert not Path("x.db").exists()


def test_api_results_table_is_what_the_store_records(spark, tmp_path):
    from qa_linter.masking import Masker
    from qa_linter.spark import read_jsonl, results_table_of, scan_results
    from qa_linter.store import open_store
    from qa_linter.store.parquet import ParquetResults

    results = scan_results(read_jsonl(spark, [str(CORPUS)]), store_masker=Masker())
    results_table_of(results).write.parquet(str(tmp_path / "results"))
    assert _cli("scan", str(CORPUS), "--store", "local.db", "--exit-zero", "-q").exit_code == 0
    from datetime import datetime, timezone

    since, until = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)
    with open_store("local.db", create=False) as store:
        local = store.conversations(since, until)
    on_spark = ParquetResults([str(tmp_path / "results")]).conversations(since, until)
    assert len(local) == 40 and sum(len(c.findings) for c in local) > 50

    def comparable(convs):  # the scan time is each run's own
        return [c.__class__(**{**c.__dict__, "scanned_at": None}) for c in convs]

    assert comparable(on_spark) == comparable(local)


def test_meta_audience_decides_and_a_bad_value_is_reported_as_locally(spark, tmp_path):
    # The customer's audience named by the transcript (docs/input-formats.md): the same findings as a local scan,
    # and a value naming no audience reported the same way (exit 2), nothing skipped.
    values = ["developer", "consumer", "it-admin", None, "expert"]
    lines = []
    for i in range(40):
        record = {"id": f"a{i}", "channel": "chat", "messages": [
            {"role": "customer", "text": ["网站打不开了", "我们的SDK和API都正常，网站打不开了"][i % 2]},
            {"role": "agent", "text": "您好，请把域名的DNS记录改一下。感谢您的耐心，再见"}]}
        if values[i % 5] is not None:
            record["meta"] = {"audience": values[i % 5]}
        lines.append(json.dumps(record, ensure_ascii=False))
    (tmp_path / "aud.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    local = _cli("scan", "aud.jsonl", "--format", "jsonl", "--jobs", "1", "--select", "jargon-unexplained")
    on_spark = _cli("scan", "aud.jsonl", "--engine", "spark", "--master", "local[2]", "--format", "jsonl",
                    "--select", "jargon-unexplained")
    assert on_spark.exit_code == local.exit_code == 2
    assert on_spark.stdout == local.stdout
    ids = {json.loads(line)["conversation_id"] for line in local.stdout.splitlines()}
    # a1 consumer (their SDK words do not count), a8 none and lay, a4 'expert' worked out as lay; a0 and a5 developer,
    # a2 it-admin, a3 none but their SDK words make them a developer.
    assert {"a1", "a8", "a4"} <= ids and not {"a0", "a2", "a3", "a5"} & ids
    assert "meta.audience 'expert' is none of the audiences" in on_spark.stderr


def test_a_crms_segment_names_are_mapped_on_the_executors(spark, tmp_path):
    # audience_segments in the configuration reaches the rules the executors run, as it does a local scan.
    (tmp_path / "qa-linter.yaml").write_text("audience_segments:\n  开发者: developer\n  个人用户: consumer\n",
                                             encoding="utf-8")
    lines = []
    for i, segment in enumerate(["开发者", "个人用户", "VIP"] * 8):
        lines.append(json.dumps({"id": f"s{i}", "channel": "chat", "meta": {"audience": segment}, "messages": [
            {"role": "customer", "text": "我们的SDK和API都正常，网站打不开了"},
            {"role": "agent", "text": "您好，请把域名的DNS记录改一下。感谢您的耐心，再见"}]}, ensure_ascii=False))
    (tmp_path / "seg.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    common = ("--format", "jsonl", "--select", "jargon-unexplained", "--config", str(tmp_path / "qa-linter.yaml"))
    local = _cli("scan", str(tmp_path / "seg.jsonl"), "--jobs", "1", *common)
    on_spark = _cli("scan", str(tmp_path / "seg.jsonl"), "--engine", "spark", "--master", "local[2]", *common)
    assert on_spark.exit_code == local.exit_code == 2  # VIP is no segment the configuration maps
    assert on_spark.stdout == local.stdout
    # 个人用户 is a consumer whatever their SDK words; 开发者 a developer; VIP worked out from their words (a developer).
    ids = {json.loads(line)["conversation_id"] for line in local.stdout.splitlines()}
    assert ids == {f"s{i}" for i in range(1, 24, 3)}

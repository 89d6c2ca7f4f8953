"""The SQLite results store: schema and migrations, idempotent re-scans, masked excerpts, concurrent writers."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.model import Finding, Severity
from qa_linter.store import StoreError, open_store
from qa_linter.store.base import ScanResult
from qa_linter.store.sqlite import SCHEMA_VERSION

CST = timezone(timedelta(hours=8))
# The store does not care which rules ran: the small test pack keeps these tests independent of the built-in one.
TEST_PACK = ["--no-builtin", "--rules", str(Path(__file__).parent / "data" / "rules" / "all-types.yaml")]
WEEK_47 = (datetime(2026, 11, 16, tzinfo=CST), datetime(2026, 11, 23, tzinfo=CST))


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


def result(conv_id="c-1", text="您的号码是13912345678，请核对", started="2026-11-17T10:00:00+08:00", pack="p@1+a", score=90.0):
    conv = conversation_from_dict({"id": conv_id, "agent": "a1", "team": "t1", "started_at": started,
                                   "messages": [{"role": "customer", "text": "你好"}, {"role": "agent", "text": text}]})
    start = text.find("139")
    findings = [Finding(conv_id, 1, "agent", "pii-mobile", "pii-exposure", Severity.ERROR,
                        f"回复中出现完整手机号「{text[start:start + 11]}」", start, start + 11, text[start:start + 11])] if start >= 0 else []
    card = {"score": score, "passed": not findings, "auto_fail": [{"reason": "泄露客户个人信息", "category": "pii-exposure",
                                                                  "rule": "pii-mobile", "message_index": 1}] if findings else [],
            "sections": [{"id": "security", "name": "信息安全", "categories": ["pii-exposure"], "points": 20,
                          "applicable": True, "findings": len(findings), "earned": 20 - 20 * len(findings)}]}
    return ScanResult(conv, findings, card, pack, "card@1+b", datetime(2026, 11, 28, tzinfo=timezone.utc))


def test_schema_wal_and_round_trip(tmp_path):
    path = tmp_path / "results.db"
    with open_store(str(path)) as store:
        assert store.record_many([result()]) == 1
        assert store.schema_version == SCHEMA_VERSION
        [conv] = store.conversations(*WEEK_47)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conv.id == "c-1" and conv.agent == "a1" and conv.team == "t1" and conv.agent_messages == 1
    assert conv.score == 90.0 and conv.passed is False and conv.auto_fail == ("泄露客户个人信息",)
    assert conv.started_at == datetime(2026, 11, 17, 10, tzinfo=CST)
    [f] = conv.findings
    assert (f.rule, f.category, f.severity, f.message_index, f.start, f.end) == ("pii-mobile", "pii-exposure", "error", 1, 5, 16)
    assert f.excerpt == "您的号码是139****5678，请核对" and f.message == "回复中出现完整手机号「139****5678」"


def test_no_unmasked_pii_reaches_the_file(tmp_path):
    path = tmp_path / "results.db"
    with open_store(str(path)) as store:
        store.record_many([result()])
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"13912345678" not in raw and "139****5678".encode() in raw


def test_rescanning_replaces_the_previous_result(tmp_path):
    path = str(tmp_path / "results.db")
    with open_store(path) as store:
        store.record_many([result(), result("c-2", text="您好")])
        store.record_many([result(text="您好，已处理", pack="p@2+c", score=100.0)])
        assert store.count() == 2
        convs = {c.id: c for c in store.conversations(*WEEK_47)}
    assert convs["c-1"].findings == () and convs["c-1"].score == 100.0 and convs["c-1"].rule_pack == "p@2+c"
    assert convs["c-1"].passed is True and convs["c-2"].rule_pack == "p@1+a"


def test_range_queries_and_times_without_offset(tmp_path):
    with open_store(str(tmp_path / "r.db")) as store:
        store.record_many([
            result("in", started="2026-11-22T23:59:59+08:00"),
            result("out", started="2026-11-23T00:00:00+08:00"),
            result("naive", started="2026-11-22T23:30:00"),  # no offset: may be in the week in some zone
            result("undated", started=""),
        ])
        ids = [c.id for c in store.conversations(*WEEK_47)]
        assert store.count() == 4 and store.count(undated=True) == 1
    # The store returns a naive time for the caller to place; "out" starts exactly at the end (exclusive).
    assert sorted(ids) == ["in", "naive"]


def test_newer_schema_and_foreign_files_are_refused(tmp_path):
    newer = tmp_path / "newer.db"
    with open_store(str(newer)):
        pass
    db = sqlite3.connect(newer)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"written by a newer qa-linter \(schema 99"):
        open_store(str(newer))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a qa-linter results store"):
        open_store(str(junk))
    with pytest.raises(StoreError, match="no such results store"):
        open_store(str(tmp_path / "missing.db"), create=False)
    with pytest.raises(StoreError, match="unsupported store type 'postgresql'"):
        open_store("postgresql://db/qa")


def test_an_unversioned_store_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).execute("CREATE TABLE schema_version (version INTEGER NOT NULL)").connection.commit()
    with open_store(str(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.record_many([result()]) == 1


# -- through the CLI ----------------------------------------------------------------------------------------------
def test_scan_records_into_the_store_and_logs_the_scan(tmp_path, corpus_path):
    result_ = CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path), "--store", "r.db", "--format", "json", "-o", "out.json"])
    assert result_.exit_code == 1
    doc = json.loads(Path("out.json").read_text(encoding="utf-8"))
    with open_store("r.db") as store:
        stored = {c.id: c for c in store.conversations(datetime(2026, 1, 1, tzinfo=CST), datetime(2027, 1, 1, tzinfo=CST))}
        scans = store.scans()
    assert len(stored) == 40 and len(scans) == 1 and scans[0]["conversations"] == 40
    assert scans[0]["rule_pack"] == doc["rule_pack"] and scans[0]["scoring_model"] == doc["scorecard"]
    for record in doc["conversations"]:
        conv = stored[record["id"]]
        assert (conv.score, conv.passed, len(conv.findings)) == (record["score"], record["passed"], record["findings"])
    pii = [f for c in stored.values() for f in c.findings if f.category == "pii-exposure"]
    assert pii and all("****" in f.excerpt for f in pii)


def test_store_setting_and_no_store(tmp_path, corpus_path):
    Path("qa-linter.yaml").write_text("store: data/results.db\n", encoding="utf-8")
    CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path), "-q", "--no-store"])
    assert not Path("data/results.db").exists()
    CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path), "-q"])
    with open_store("data/results.db") as store:
        assert store.count() == 40


def test_a_bad_store_path_is_a_clear_error(tmp_path, corpus_path):
    Path("folder.db").mkdir()
    result_ = CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path), "--store", "folder.db"])
    assert result_.exit_code == 2 and "'folder.db' is a directory" in result_.output
    Path("qa-linter.yaml").write_text("store: folder.db\n", encoding="utf-8")  # the setting is checked by the store
    result_ = CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path)])
    assert result_.exit_code == 2 and "folder.db: is a folder; give the store's file name" in result_.output
    Path("qa-linter.yaml").unlink()
    Path("junk.db").write_bytes(b"not sqlite" * 200)
    result_ = CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path), "--store", "junk.db"])
    assert result_.exit_code == 2 and "junk.db: not a qa-linter results store" in result_.output


def copies(corpus_path: Path, prefix: str, times: int) -> list[str]:
    lines = []
    for k in range(times):
        for line in corpus_path.read_text(encoding="utf-8").splitlines():
            conv = json.loads(line)
            conv["id"] = f"{prefix}-{k}-{conv['id']}"
            lines.append(json.dumps(conv, ensure_ascii=False))
    return lines


def test_two_concurrent_scans_lose_nothing(tmp_path, corpus_path):
    """Two processes write the same store at once, in many small transactions; every conversation arrives."""
    inputs = []
    for prefix in ("a", "b"):
        path = tmp_path / f"{prefix}.jsonl"
        path.write_text("\n".join(copies(corpus_path, prefix, 8)) + "\n", encoding="utf-8")
        inputs.append(path)
    store = tmp_path / "shared.db"
    # Batches of 5: each scan commits 64 transactions, so the two writers interleave many times.
    program = "from qa_linter.store.sink import StoreWriter; StoreWriter.BATCH = 5; from qa_linter.cli import main; main()"
    procs = [
        subprocess.Popen([sys.executable, "-c", program, "scan", *TEST_PACK, str(p), "--store", str(store), "-q",
                          "--format", "json", "-o", str(p.with_suffix(".json"))],
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for p in inputs
    ]
    outcomes = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], outcomes
    expected = {}
    for p in inputs:
        for record in json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))["conversations"]:
            expected[record["id"]] = (record["score"], record["findings"])
    with open_store(str(store)) as s:
        stored = s.conversations(datetime(2026, 1, 1, tzinfo=CST), datetime(2027, 1, 1, tzinfo=CST))
        scans = s.scans()
    assert len(expected) == 640 and {c.id: (c.score, len(c.findings)) for c in stored} == expected
    assert [scan["conversations"] for scan in scans] == [320, 320]


# -- a damaged store ----------------------------------------------------------------------------------------------
PAGE = 4096


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    pages = len(data) // PAGE
    if how == "truncated":
        del data[len(data) // 2:]
    elif how == "page in the middle":
        middle = pages // 2
        data[middle * PAGE:(middle + 1) * PAGE] = b"\xab" * PAGE
    elif how == "last pages":
        data[(pages - 3) * PAGE:] = b"\x00" * (len(data) - (pages - 3) * PAGE)
    elif how == "every page but the first":
        data[PAGE:] = bytes(range(256)) * ((len(data) - PAGE) // 256)
    elif how == "header":
        data[:16] = b"garbage garbage!"
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def good_store(tmp_path_factory, corpus_path):
    folder = tmp_path_factory.mktemp("store")
    result_ = CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path), "--store", str(folder / "good.db"), "-q"])
    assert result_.exit_code == 1
    db = sqlite3.connect(folder / "good.db")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, as after a clean exit
    db.close()
    return folder / "good.db"


@pytest.mark.parametrize("how", ["truncated", "page in the middle", "last pages", "every page but the first", "header"])
def test_a_damaged_store_is_reported_with_a_way_to_recover_and_never_written(tmp_path, corpus_path, good_store, how):
    store = tmp_path / "results.db"
    store.write_bytes(good_store.read_bytes())
    _damage(store, how)
    before = store.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "qa_linter.cli", "scan", *TEST_PACK, str(corpus_path), "--store", str(store), "-q",
         "--format", "jsonl"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    if how == "header":
        assert "not a qa-linter results store, nor any SQLite database" in proc.stderr
    else:
        assert f"{store}: the results store is damaged (" in proc.stderr
        assert "nothing was written to it" in proc.stderr and "scan the transcripts again into a new store" in proc.stderr
    assert store.read_bytes() == before  # not repaired, replaced or written into
    assert not Path(f"{store}-wal").exists() or Path(f"{store}-wal").stat().st_size == 0

    report = subprocess.run(
        [sys.executable, "-m", "qa_linter.cli", "report", "weekly", "--store", str(store), "--week", "2026-W48",
         "--format", "text"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    # A report reads only what it needs: damage it does not touch goes unnoticed; damage it touches is one error.
    assert report.returncode in (0, 2) and "Traceback" not in report.stderr, report.stderr
    if report.returncode == 2:
        assert "damaged" in report.stderr or "not a qa-linter results store" in report.stderr
    assert store.read_bytes() == before


def test_a_database_of_another_program_is_not_written_into(tmp_path, corpus_path):
    other = tmp_path / "places.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE moz_places (url TEXT)")
    db.execute("INSERT INTO moz_places VALUES ('https://example.com')")
    db.commit()
    db.close()
    before = other.read_bytes()
    result_ = CliRunner().invoke(main, ["scan", *TEST_PACK, str(corpus_path), "--store", str(other), "-q"])
    assert result_.exit_code == 2
    assert "an SQLite database of another program (tables: moz_places), not a qa-linter results store" in result_.output
    assert other.read_bytes() == before


def test_a_store_damaged_while_a_report_reads_it_is_one_clear_error(tmp_path, good_store):
    """Damage a report reaches (the findings of the week) is reported, not raised as a traceback."""
    store = tmp_path / "results.db"
    store.write_bytes(good_store.read_bytes())
    _damage(store, "every page but the first")
    with pytest.raises(StoreError, match="the results store is damaged"):
        with open_store(str(store), create=False) as opened:
            opened.conversations(*WEEK_47)


def test_opening_a_store_waits_out_another_process_setting_it_up(tmp_path, monkeypatch):
    """SQLite answers "database is locked" at once, without the busy timeout, to some openings that race another
    process creating the same store (the journal mode switch); CI met it in the concurrent-scan test. Opening is
    tried again until the busy timeout: here the first two attempts meet the lock."""
    from qa_linter.store import sqlite as module

    real_open, attempts = module.SQLiteStore._open, []

    def contended(self, memory, create):
        attempts.append(1)
        if len(attempts) <= 2:
            raise module._Locked("database is locked")
        return real_open(self, memory, create)

    monkeypatch.setattr(module.SQLiteStore, "_open", contended)
    store = module.SQLiteStore(tmp_path / "results.db")
    assert len(attempts) == 3
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_locked_for_good_is_a_clear_error_after_the_timeout(tmp_path, monkeypatch):
    from qa_linter.store import sqlite as module
    from qa_linter.store.base import StoreError

    monkeypatch.setattr(module, "BUSY_TIMEOUT_MS", 200)

    def locked(self, memory, create):
        raise module._Locked("database is locked")

    monkeypatch.setattr(module.SQLiteStore, "_open", locked)
    with pytest.raises(StoreError, match="cannot open the results store \\(database is locked\\)"):
        module.SQLiteStore(tmp_path / "results.db")

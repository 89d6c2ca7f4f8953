"""`qa-lint scan --jobs N`: worker processes, the same output in the same order, bounded work in flight."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from packs import benchmark
from qa_linter import Linter, batch
from qa_linter.batch import ScanSummary, scan_items
from qa_linter.canonical import conversation_from_dict
from qa_linter.model import InputProblem

ROOT = Path(__file__).resolve().parent.parent
SLOW_RULE = """
rules:
  - id: t-backtracking
    type: regex
    category: banned-phrase
    severity: error
    message: "catastrophic"
    pattern: '(a|aa)+$'
"""


def _generated(count: int, seed: int = 11) -> list[dict]:
    module = benchmark("generate_corpus")
    stream = module.conversations(seed=seed)
    return [next(stream) for _ in range(count)]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    """350 generated conversations (past the pool threshold) with two unreadable lines among them."""
    path = tmp_path_factory.mktemp("jobs") / "bench.jsonl"
    lines = [json.dumps(c, ensure_ascii=False) for c in _generated(350)]
    lines.insert(120, "{not json")
    lines.insert(300, json.dumps({"id": "bad", "messages": "nope"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "qa_linter.cli", "scan", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, timeout=300)


def _without_timing(report: dict) -> dict:
    report["summary"].pop("elapsed_seconds", None)
    return report


def test_two_workers_print_what_one_process_prints(corpus_file, tmp_path):
    one = _cli(str(corpus_file), "--format", "json", "--jobs", "1", cwd=tmp_path)
    two = _cli(str(corpus_file), "--format", "json", "--jobs", "2", cwd=tmp_path)
    assert one.returncode == two.returncode == 2, one.stderr  # the two bad lines make it exit 2
    first, second = _without_timing(json.loads(one.stdout)), _without_timing(json.loads(two.stdout))
    assert first == second
    assert first["summary"]["conversations"] == 350 and first["summary"]["skipped"] == 2
    assert first["summary"]["findings"] > 100
    assert one.stderr == two.stderr.replace(_elapsed(two.stderr), _elapsed(one.stderr))


def _elapsed(text: str) -> str:
    import re

    found = re.search(r"\d+(\.\d+)? ?s\b", text)
    return found.group(0) if found else ""


def test_jsonl_output_is_byte_for_byte_the_same(corpus_file, tmp_path):
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        _cli(str(corpus_file), "--format", "jsonl", "--jobs", jobs, "-o", str(out), cwd=tmp_path)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and len(outputs[0]) > 10_000


def test_rule_problems_found_in_workers_reach_the_summary(tmp_path):
    rules = tmp_path / "slow.yaml"
    rules.write_text(SLOW_RULE, encoding="utf-8")
    conversations = [{"id": f"c-{i}", "messages": [{"role": "agent", "text": "您好"}]} for i in range(400)]
    conversations[250]["messages"][0]["text"] = "a" * 60 + "!"
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in conversations), encoding="utf-8")
    result = _cli(str(path), "--no-builtin", "--rules", str(rules), "--jobs", "2", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    summary = json.loads(result.stdout)["summary"]
    assert "t-backtracking" in summary["rule_problems"]
    assert "timed out" in summary["rule_problems"]["t-backtracking"]


def test_a_bad_jobs_setting_is_a_usage_error(tmp_path, corpus_file):
    (tmp_path / "qa-linter.yaml").write_text("jobs: many\n", encoding="utf-8")
    result = _cli(str(corpus_file), cwd=tmp_path)
    assert result.returncode == 2
    assert "jobs 'many' must be a whole number" in result.stderr
    assert "Traceback" not in result.stderr


# -- the API: when a pool starts, order, bounded reading --------------------------------------------------------
@pytest.fixture(scope="module")
def linter():
    return Linter.from_config()


@pytest.fixture(scope="module")
def conversations():
    return [conversation_from_dict(c) for c in _generated(700, seed=5)]


class _NoPool:
    def __init__(self, *args, **kwargs):
        raise AssertionError("a worker pool was started")


def test_one_job_never_starts_a_pool(monkeypatch, linter, conversations):
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", _NoPool)
    assert len(list(scan_items(linter, conversations, ScanSummary(), jobs=1))) == len(conversations)


def test_a_small_input_is_scanned_without_a_pool(monkeypatch, linter, conversations):
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", _NoPool)
    small = conversations[: batch.POOL_THRESHOLD - 1]
    expected = [linter.scan(c) for c in small]
    got = [findings for _, findings in scan_items(linter, small, ScanSummary(), jobs=2)]
    assert got == expected


def test_parallel_results_come_back_in_input_order(linter, conversations, monkeypatch):
    """Small chunks, so that some are scanned by the worker and some here while the worker is busy."""
    monkeypatch.setattr(batch, "CHUNK_CONVERSATIONS", 10)
    items = list(conversations)
    items.insert(400, InputProblem("in.jsonl", 401, "not JSON"))
    serial, parallel = ScanSummary(), ScanSummary()
    expected = [(c.id, f) for c, f in scan_items(linter, items, serial)]
    here = []
    scan_view = linter.scan_view  # what the block engine calls for each conversation a rule has to look at
    monkeypatch.setattr(linter, "scan_view",
                        lambda view, rules=None, opens=None: here.append(view.id) or scan_view(view, rules, opens))
    got = [(c.id, f) for c, f in scan_items(linter, items, parallel, jobs=2)]
    assert got == expected
    assert parallel.to_dict() | {"elapsed_seconds": 0} == serial.to_dict() | {"elapsed_seconds": 0}
    assert 0 < len(here) < len(conversations)  # both this process and the worker scanned


def _unparsed_lines(conversations, broken_at=()):
    """The conversations as a JSON Lines file read with defer=True, some lines broken."""
    import io

    from qa_linter.canonical import conversation_to_dict
    from qa_linter.readers import jsonl

    lines = [json.dumps(conversation_to_dict(c), ensure_ascii=False) for c in conversations]
    for at in broken_at:
        lines.insert(at, "{not json")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    deferred = list(jsonl.read(io.BytesIO(data), "in.jsonl", defer=True))
    parsed = list(jsonl.read(io.BytesIO(data), "in.jsonl"))
    return deferred, parsed


def test_deferred_lines_parse_to_what_reading_gives(conversations):
    deferred, parsed = _unparsed_lines(conversations[:50], broken_at=(7,))
    # The first line is parsed to tell JSON Lines from one JSON document; the rest are split off unparsed.
    assert all(isinstance(item, batch.UnparsedLine) for item in deferred[1:])
    assert [item.lineno for item in deferred[1:]] == list(range(2, 52))
    assert [deferred[0]] + [x for item in deferred[1:] for x in item.parse()] == parsed
    assert isinstance(parsed[7], InputProblem) and parsed[7].line == 8


@pytest.mark.parametrize("keep", [True, False])
def test_workers_parse_json_lines_and_give_the_same_results(linter, conversations, monkeypatch, keep):
    """Records travel unparsed; a broken line is reported where it is; conversations come back only if asked."""
    monkeypatch.setattr(batch, "CHUNK_CONVERSATIONS", 10)
    deferred, parsed = _unparsed_lines(conversations, broken_at=(350, 500))
    serial, parallel = ScanSummary(), ScanSummary()
    expected = list(scan_items(linter, parsed, serial))
    got = list(scan_items(linter, deferred, parallel, jobs=2, keep_conversations=keep))
    assert [f for _, f in got] == [f for _, f in expected]
    if keep:
        assert [c for c, _ in got] == [c for c, _ in expected]
    else:  # no conversation is made for an unparsed line, whether a worker or this process scanned it
        assert all(c is None for c, _ in got[1:])  # the first line was parsed to tell JSON Lines from JSON
    assert parallel.to_dict() | {"elapsed_seconds": 0} == serial.to_dict() | {"elapsed_seconds": 0}
    assert [p.line for p in parallel.skipped] == [351, 501]


def test_a_chunk_travels_packed_and_comes_back_the_same(conversations):
    """Lines of one file travel flat (their bytes joined, lengths and line numbers as arrays); anything else as
    plain values; either way the worker gets back exactly the items that were read, in order."""
    deferred, _ = _unparsed_lines(conversations[:30], broken_at=(4,))
    lines = deferred[1:]
    lines[3] = lines[3]._replace(raw=b"")  # an empty line between two others must keep its place
    assert batch._unpacked(batch._packed(lines)) == lines
    two_files = lines[:5] + [item._replace(source="other.jsonl") for item in lines[5:]]
    assert batch._unpacked(batch._packed(two_files)) == two_files
    mixed = conversations[:3] + lines[:3]
    assert batch._unpacked(batch._packed(mixed)) == mixed


def test_reading_stays_a_bounded_distance_ahead_of_the_output(linter, conversations, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_CONVERSATIONS", 20)
    monkeypatch.setattr(batch, "POOL_THRESHOLD", 50)  # read ahead before the pool starts; under the bound below
    pulled = 0

    def counted():
        nonlocal pulled
        for conv in conversations:
            pulled += 1
            yield conv

    ahead = []
    for done, _ in enumerate(scan_items(linter, counted(), ScanSummary(), jobs=2), 1):
        ahead.append(pulled - done)
    # chunks out at a worker, as many read ahead to see where the input ends, chunks scanned here and waiting,
    # and the chunk being filled
    limit = (batch.IN_FLIGHT_PER_WORKER + batch.LOOKAHEAD + batch.LOCAL_AHEAD + 1) * batch.CHUNK_CONVERSATIONS
    assert batch.POOL_THRESHOLD < limit
    assert max(ahead) <= limit
    assert ahead[-1] == 0


def test_the_last_chunks_are_known_as_such_while_reading_runs_ahead():
    assert list(batch._with_lookahead(iter("abcdefg"), 3)) == [
        ("a", None), ("b", None), ("c", None), ("d", None), ("e", 3), ("f", 2), ("g", 1)]
    assert list(batch._with_lookahead(iter("ab"), 3)) == [("a", 2), ("b", 1)]
    assert list(batch._with_lookahead(iter(""), 3)) == []


def test_this_process_keeps_its_share_of_the_last_chunks():
    hand_out = batch._hand_out
    assert hand_out(None, 2, 1)  # not yet the end: a worker with room gets it
    # one worker with three queued, three left: this process scans them while the worker works through its own
    assert [hand_out(left, left, 1) for left in (3, 2, 1)] == [False, False, False]
    assert hand_out(3, 0, 1) and hand_out(2, 1, 1) and not hand_out(1, 2, 1)  # an idle worker gets two of three
    # seven workers, 21 queued and 21 left: 42 to share among 8 processes, this one keeps the last five
    assert [hand_out(left, 42 - left, 7) for left in range(21, 0, -1)].count(False) == 5


def test_without_fork_workers_build_their_rules_with_the_factory(monkeypatch, conversations):
    """Where processes are spawned (macOS, Windows) each worker loads the rules from a picklable recipe."""
    import functools
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    factory = functools.partial(Linter.from_config, rules=[ROOT / "tests" / "data" / "rules" / "all-types.yaml"],
                                builtin=False)
    linter = factory()
    items = conversations[:400]
    expected = [linter.scan(c) for c in items]
    got = [f for _, f in scan_items(linter, items, ScanSummary(), jobs=2, linter_factory=factory)]
    assert got == expected


def test_without_fork_or_factory_the_scan_stays_in_this_process(monkeypatch, linter, conversations):
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", _NoPool)
    items = conversations[:400]
    assert [f for _, f in scan_items(linter, items, ScanSummary(), jobs=2)] == [linter.scan(c) for c in items]


def _die(chunk):
    import os

    os._exit(9)  # as a worker killed by the out-of-memory killer would


def test_a_worker_that_dies_stops_the_scan_with_a_clear_error(monkeypatch, linter, conversations):
    from qa_linter.batch import WorkerFailed

    monkeypatch.setattr(batch, "_scan_chunk", _die)
    with pytest.raises(WorkerFailed, match="--jobs 1"):
        list(scan_items(linter, conversations, ScanSummary(), jobs=2))


def test_timings_add_up_every_process_and_change_no_finding(corpus_file, tmp_path):
    # Each rule's time and the conversations it looked at, from the workers too (sent back with each block), in
    # the JSON summary and on stderr; the findings are those of a scan without --timings, and the summary has no
    # timings unless asked.
    plain = _cli(str(corpus_file), "--format", "json", "--jobs", "2", cwd=tmp_path)
    timed = _cli(str(corpus_file), "--format", "json", "--jobs", "2", "--timings", cwd=tmp_path)
    alone = _cli(str(corpus_file), "--format", "json", "--jobs", "1", "--timings", cwd=tmp_path)
    first, second, third = (json.loads(run.stdout) for run in (plain, timed, alone))
    assert "rule_seconds" not in first["summary"] and "rule_conversations" not in first["summary"]
    seconds = second["summary"].pop("rule_seconds")
    looked = second["summary"].pop("rule_conversations")
    assert _without_timing(first) == _without_timing(second)
    rules = {rule.id for rule in Linter.from_config().rules}
    assert set(seconds) <= rules and set(looked) == set(seconds)
    # Every rule that found something was timed (a fast one's seconds may round to 0.0 in the JSON).
    assert set(second["summary"]["by_rule"]) <= set(seconds)
    # Found in: the conversations the report holds a finding of the rule in; looked at: at least those, at most all.
    found_in = Counter(rule for _, rule in {(f["conversation_id"], f["rule"]) for f in second["findings"]})
    assert {rule: n["with_findings"] for rule, n in looked.items() if n["with_findings"]} == dict(found_in)
    conversations = second["summary"]["conversations"]
    assert all(n["with_findings"] <= n["looked_at"] <= conversations for n in looked.values())
    assert any(n["looked_at"] < conversations for n in looked.values())  # the block engine's plan spares some
    assert third["summary"]["rule_conversations"] == looked  # one process counts what two do
    assert "Time in rule checks:" in timed.stderr and "Time in rule checks" not in plain.stderr
    slowest = max(seconds, key=seconds.get)
    table = timed.stderr.partition("Time in rule checks:")[2].splitlines()
    row = next(line for line in table if line.startswith(f"  {slowest} "))
    assert row.split()[-2:] == [f"{looked[slowest]['looked_at']:,}", f"{looked[slowest]['with_findings']:,}"]
    assert f"(of {conversations:,})" in timed.stderr
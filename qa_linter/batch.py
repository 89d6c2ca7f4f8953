"""Scanning a stream of inputs: conversations in, (conversation, findings) out, with a running summary."""
from __future__ import annotations

import itertools
import os
import pickle
import time
from array import array
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Iterator

from .blocks import prepare, scan_block
from .blocks.engine import freeze_leftovers_for_good, leftovers_frozen
from .duplicates import DuplicateId, IdTracker
from .engine import Linter, RuleTimes
from .errors import QALinterError
from .model import Conversation, Finding, InputProblem, Message, Severity
from .readers.jsonl import UnparsedLine


@dataclass
class ScanSummary:
    conversations: int = 0
    messages: int = 0
    findings: int = 0
    by_category: Counter = field(default_factory=Counter)
    by_rule: Counter = field(default_factory=Counter)
    by_severity: Counter = field(default_factory=Counter)
    skipped: list[InputProblem] = field(default_factory=list)
    skipped_count: int = 0
    rule_problems: dict[str, str] = field(default_factory=dict)
    rule_times: "RuleTimes | None" = None  # with `scan --timings`: each rule's check, all processes
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0
    max_severity: Severity | None = None
    suppressed: int = 0  # findings hidden by the suppressions file (review/suppressions.py)
    ids: IdTracker = field(default_factory=IdTracker, repr=False)  # every conversation's id and where it was read
    duplicates: list[DuplicateId] = field(default_factory=list)  # ids read more than once (finish())

    MAX_LISTED = 200  # problems listed one by one; the rest are only counted

    def add(self, conv: Conversation, findings: list[Finding]) -> None:
        self.ids.add(conv.id, conv.source)
        self.add_counts(len(conv.messages), findings)

    def add_counts(self, messages: int, findings: list[Finding]) -> None:
        self.conversations += 1
        self.messages += messages
        self.findings += len(findings)
        for f in findings:
            self.by_category[f.category] += 1
            self.by_rule[f.rule] += 1
            self.by_severity[str(f.severity)] += 1
            if self.max_severity is None or f.severity > self.max_severity:
                self.max_severity = f.severity

    def skip(self, problem: InputProblem) -> None:
        self.skipped_count += 1
        if len(self.skipped) < self.MAX_LISTED:
            self.skipped.append(problem)

    def finish(self, linter: Linter) -> None:
        self.elapsed = time.perf_counter() - self.started
        self.rule_problems = dict(linter.rule_problems)
        if linter.rule_times is not None:
            self.rule_times = RuleTimes()
            self.rule_times.add(linter.rule_times)
        self.duplicates = self.ids.duplicates()

    def to_dict(self) -> dict:
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "findings": self.findings,
            "by_category": dict(sorted(self.by_category.items())),
            "by_rule": dict(sorted(self.by_rule.items())),
            "by_severity": dict(sorted(self.by_severity.items())),
            "skipped": self.skipped_count,
            "suppressed": self.suppressed,
            "skipped_inputs": [p.to_dict() for p in self.skipped],
            # ids read more than once: each record was checked; the store and HTML keep the last (duplicates.py)
            "duplicate_ids": [d.to_dict() for d in self.duplicates[: self.MAX_LISTED]],
            "duplicate_id_count": len(self.duplicates),
            "rule_problems": self.rule_problems,
            "elapsed_seconds": round(self.elapsed, 3),
            **(self.rule_times.to_dict() if self.rule_times is not None else {}),
        }


Item = "Conversation | InputProblem | UnparsedLine"
# What scanning one input item gives: per conversation in it, (conversation or None, messages, findings), or
# the problem that kept it from being read.
Entry = "InputProblem | tuple[Conversation | None, int, list[Finding]]"


def scan_items(
    linter: Linter,
    items: Iterable[Item],
    summary: ScanSummary,
    jobs: int = 1,
    linter_factory: "Callable[[], Linter] | None" = None,
    keep_conversations: bool = True,
    suppress: "Callable[[list[Finding]], list[Finding]] | None" = None,
) -> Iterator[tuple["Conversation | None", list[Finding]]]:
    """(conversation, findings) for every conversation of `items`, in input order; problems go to `summary`.

    `suppress` removes findings reviewers suppressed (review/suppressions.py) before they are counted or
    delivered, so counts, exit code and scores all see the suppressed view; `summary.suppressed` counts them.

    Items are scanned in blocks by the block engine (qa_linter/blocks: thousands of messages folded, searched
    and judged together; the findings are those of Linter.scan on each conversation). With `jobs` > 1 the
    blocks go to that many worker processes (see `scan_parallel`); the output is the same, in the same
    order. Unparsed JSON Lines records (`read_paths(defer_json_lines=True)`) are parsed where they are
    scanned; with `keep_conversations` false no conversation object is made for them and None comes out,
    for outputs that need only the findings (JSON Lines).
    """
    if jobs > 1:
        yield from scan_parallel(linter, items, summary, jobs, linter_factory, keep_conversations, suppress)
        return
    # What is loaded by now (the rules, the block tables, jieba's dictionary parts) lives as long as the scan:
    # frozen, the collector's full collections stop walking it again and again (about 0.1 s of CPU on 20 MB,
    # measured with gc.callbacks; too little to see in wall time on a busy machine); so is what each block leaves.
    with leftovers_frozen():
        for chunk in _chunks(items, summary):
            for entries in scan_block(linter, chunk, keep_conversations):
                for entry in entries:
                    yield from _record(summary, entry, suppress)


def _record(summary: ScanSummary, entry, suppress=None) -> Iterator[tuple["Conversation | None", list[Finding]]]:
    if isinstance(entry, InputProblem):
        summary.skip(entry)
        return
    conv, messages, findings, (conversation_id, source) = entry
    summary.ids.add(conversation_id, source)
    if suppress is not None and findings:
        kept = suppress(findings)
        summary.suppressed += len(findings) - len(kept)
        findings = kept
    summary.add_counts(messages, findings)
    yield conv, findings


# -- blocks and parallel scanning -------------------------------------------------------------------------------
# Input items are grouped into blocks, each scanned at once by the block engine. With --jobs, reading stays
# here (streaming, in order); whole blocks go to worker processes (or are scanned here while the workers are
# busy), and findings are delivered block by block in input order, so the output is that of one process.
# Workers are forked where the platform can (Linux): they inherit the loaded rules for free. JSON Lines records
# travel unparsed: the worker decodes them, so this process only splits lines.
POOL_THRESHOLD = 300  # input items (conversations or lines): an input with fewer is scanned here (a pool would cost more)
CHUNK_MESSAGES = 4_000  # a block closes at this many messages (about 400 chat conversations, 500 KB of JSON) …
CHUNK_CONVERSATIONS = 2_000  # … or this many conversations
BYTES_PER_MESSAGE = 128  # what an unparsed line is counted as: a message per this many bytes (chat averages ~140)
IN_FLIGHT_PER_WORKER = 3  # unfinished chunks per worker: one running, two waiting, so it never idles
LOCAL_AHEAD = 4  # chunks scanned here and waiting for an older one that is still at a worker
LOOKAHEAD = IN_FLIGHT_PER_WORKER + 1  # chunks read ahead so the last ones are known: this process's fair share
# of the end is about what one worker holds, whatever the number of workers, so memory does not grow with --jobs


class WorkerFailed(QALinterError):
    """A worker process died (killed, out of memory); the scan cannot vouch for its output."""


def default_jobs() -> int:
    """The number of CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def scan_parallel(
    linter: Linter,
    items: Iterable[Item],
    summary: ScanSummary,
    jobs: int,
    linter_factory: "Callable[[], Linter] | None" = None,
    keep_conversations: bool = True,
    suppress: "Callable[[list[Finding]], list[Finding]] | None" = None,
) -> Iterator[tuple["Conversation | None", list[Finding]]]:
    """`scan_items` in `jobs` processes: this one and jobs - 1 workers; same results, same order.

    This process reads, hands chunks of input items to the workers and delivers their findings in input
    order; while every worker already has IN_FLIGHT_PER_WORKER unfinished chunks, it scans the next chunk
    itself instead of waiting, so on N cores N processes do rule work and the split adapts to how busy
    reading and writing keep this one. An input of fewer than POOL_THRESHOLD items is scanned here, so it
    never pays for a pool; a larger one starts the workers before any scanning, so none of them waits.
    Workers get the rules once: where processes fork they inherit `linter` as it is; elsewhere they call
    `linter_factory` (a picklable callable returning an equal Linter), and without one the scan stays in
    this process. At most (jobs - 1) × IN_FLIGHT_PER_WORKER + LOCAL_AHEAD chunks wait for delivery, so
    memory does not grow with the input. Rule problems found by the workers reach `linter.rule_problems`.
    """
    stream = iter(items)
    # Read (not scan) up to POOL_THRESHOLD items first: a smaller input is scanned here without a pool; a
    # larger one gets its workers right away (below), before anything is scanned or more is read.
    head = list(itertools.islice(stream, POOL_THRESHOLD))
    if len(head) < POOL_THRESHOLD:
        yield from scan_items(linter, head, summary, suppress=suppress)
        return
    import multiprocessing  # here, not above: a small input (a check of a few files) starts no pool

    fork = "fork" in multiprocessing.get_all_start_methods()
    if not fork and linter_factory is None:
        yield from scan_items(linter, itertools.chain(head, stream), summary, suppress=suppress)
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _INHERITED
    _INHERITED = linter if fork else None
    context = multiprocessing.get_context("fork" if fork else "spawn")
    workers = jobs - 1
    window = workers * IN_FLIGHT_PER_WORKER
    pending: deque = deque()  # (chunk, future or entries already computed here), in input order
    if fork:
        prepare(linter)  # the block engine's tables and automata, built once here rather than in every worker
    # The workers start before anything is scanned. (Scanning the first items here before forking, so that the
    # workers inherit what that warmed, jieba's dictionary parts above all, saved a worker about 0.1 s of CPU
    # but kept it waiting 0.17-0.3 s longer: on two cores the wait cost more than the warming saved.)
    # Frozen before the fork (forked workers then do not copy every page the collector would touch), and what
    # each block scanned here leaves.
    with leftovers_frozen():
        chunks = _chunks(itertools.chain(head, stream), summary)
        try:
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                     initargs=(None if fork else linter_factory, os.getpid(),
                                               linter.rule_times is not None)) as pool:
                # The pool starts its processes at the first task: a task that does nothing starts them now, not
                # when the next block is complete (which, reading a pipe, may be long).
                pool.submit(int)
                for chunk, left in _with_lookahead(chunks, min(window, LOOKAHEAD)):
                    while pending and _ready(pending[0][1]):
                        yield from _deliver(linter, summary, *pending.popleft(), keep_conversations, suppress)
                    # A worker gets a chunk only while it has fewer than IN_FLIGHT_PER_WORKER unfinished ones;
                    # otherwise the chunk is scanned here. No queue builds up behind a busy worker, so none
                    # needs taking back at the end (a cancelled future in a pool that then breaks trips
                    # CPython 3.11's clean-up and hangs the exit).
                    unfinished = sum(1 for _, work in pending if not _ready(work))
                    if unfinished < window and _hand_out(left, unfinished, workers):
                        pending.append((chunk, pool.submit(_scan_chunk, _packed(chunk))))
                    else:
                        pending.append((chunk, scan_block(linter, chunk, keep_conversations)))
                    while len(pending) >= window + LOCAL_AHEAD:
                        yield from _deliver(linter, summary, *pending.popleft(), keep_conversations, suppress)
                while pending:
                    yield from _deliver(linter, summary, *pending.popleft(), keep_conversations, suppress)
        except BrokenProcessPool as exc:
            raise WorkerFailed(f"a worker process stopped unexpectedly ({exc}); run again with --jobs 1") from None
        finally:
            _INHERITED = None


def _with_lookahead(chunks: Iterator[list], ahead: int) -> Iterator[tuple[list, "int | None"]]:
    """Each chunk with the number of chunks left from it to the end of the input (itself included) once the
    end is within `ahead` chunks, else None: reading runs that many chunks ahead of the scanning."""
    buffered: deque = deque(itertools.islice(chunks, ahead))
    for chunk in chunks:
        buffered.append(chunk)
        yield buffered.popleft(), None
    while buffered:
        left = len(buffered)
        yield buffered.popleft(), left


def _hand_out(left: "int | None", unfinished: int, workers: int) -> bool:
    """Whether a chunk goes to a worker. Before the last chunks of the input, yes (the caller has checked that
    one has room). Of the last ones, this process keeps its fair share of what is still to scan (the workers'
    unfinished chunks and these): otherwise the workers, each with chunks queued, would still be busy while
    this process, with nothing left, waited (on two cores about two chunks, 0.15 s of a 2.5 s scan)."""
    if left is None:
        return True
    return left > (unfinished + left) / (workers + 1)


def _ready(work) -> bool:
    return isinstance(work, list) or work.done()


def _chunks(items: Iterable[Item], summary: ScanSummary) -> Iterator[list]:
    chunk: list = []
    messages = 0
    for item in items:
        if isinstance(item, InputProblem):
            summary.skip(item)
            continue
        chunk.append(item)
        if isinstance(item, UnparsedLine):
            messages += 1 + len(item.raw) // BYTES_PER_MESSAGE
        else:
            messages += len(item.messages)
        if messages >= CHUNK_MESSAGES or len(chunk) >= CHUNK_CONVERSATIONS:
            yield chunk
            chunk, messages = [], 0
    if chunk:
        yield chunk


def _deliver(linter: Linter, summary: ScanSummary, chunk: list, work, keep_conversations: bool,
             suppress=None) -> Iterator[tuple["Conversation | None", list[Finding]]]:
    if isinstance(work, list):
        results = work  # scanned here (conversations kept if asked); problems went straight to linter.rule_problems
    else:
        results, problems, times = pickle.loads(work.result())
        for rule_id, reason in problems.items():
            linter._problem(rule_id, reason)
        if times and linter.rule_times is not None:
            linter.rule_times.add(times)  # the worker's counts added to this process's
    for item, entries in zip(chunk, results):
        for entry in _with_conversations(item, entries, keep_conversations):
            yield from _record(summary, entry, suppress)


def _with_conversations(item, entries: list, keep: bool) -> list:
    """A worker's entries with their conversations put back: the item itself, or (if `keep`) the line
    parsed again here, which gives the same conversations the worker scanned."""
    if isinstance(item, Conversation):
        return [(item, *entry[1:]) if not isinstance(entry, InputProblem) else entry for entry in entries]
    if not keep or all(isinstance(entry, InputProblem) or entry[0] is not None for entry in entries):
        return entries
    parsed = iter([c for c in item.parse() if not isinstance(c, InputProblem)])
    return [entry if isinstance(entry, InputProblem) else (next(parsed), *entry[1:]) for entry in entries]


# A chunk travels to a worker, and its findings back, as one bytes object each, pickled and unpickled in the
# main threads of the two processes: the pool's own threads only move bytes. A chunk of JSON Lines records from
# one file is packed flat (the lines' bytes joined, their lengths and line numbers as arrays, the file's name
# once) rather than as thousands of records: 0.022 s for the 43 chunks of the 20 MB corpus, there and back,
# against 0.034 s as objects.
def _packed(chunk: list) -> bytes:
    first = chunk[0]
    if all(isinstance(item, UnparsedLine) and item.source == first.source for item in chunk):
        lengths = array("q", [len(item.raw) for item in chunk])
        linenos = array("q", [item.lineno for item in chunk])
        payload = ("lines", first.source, lengths.tobytes(), linenos.tobytes(), b"".join(item.raw for item in chunk))
    else:
        payload = ("items", [_portable(item) for item in chunk])
    return pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)


def _unpacked(packed: bytes) -> list:
    payload = pickle.loads(packed)
    if payload[0] == "items":
        return [item if isinstance(item, UnparsedLine) else _rebuilt(item) for item in payload[1]]
    _, source, lengths, linenos, joined = payload
    items, start = [], 0
    for length, lineno in zip(array("q", lengths), array("q", linenos)):
        items.append(UnparsedLine(source, lineno, joined[start:start + length]))
        start += length
    return items


# A conversation travels to a worker as plain values with times as ISO strings: several times cheaper to
# pickle than the objects (each datetime would carry its own time-zone object), and rebuilt exactly. An
# unparsed line travels as it is.
def _portable(item):
    if isinstance(item, UnparsedLine):
        return item
    conv = item
    return (
        conv.id, conv.channel, conv.agent, conv.team, _iso(conv.started_at), conv.meta, conv.source,
        [(m.index, m.role, m.text, _iso(m.ts)) for m in conv.messages],
    )


def _rebuilt(values: tuple) -> Conversation:
    conv_id, channel, agent, team, started_at, meta, source, messages = values
    return Conversation(
        conv_id, [Message(i, role, text, _time(ts)) for i, role, text, ts in messages],
        channel, agent, team, _time(started_at), meta, source,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


# -- in the worker processes ------------------------------------------------------------------------------------
_INHERITED: Linter | None = None  # set in the parent just before forking; a forked worker finds it here
_WORKER: Linter | None = None


def _start_worker(linter_factory: "Callable[[], Linter] | None", parent_pid: int, timed: bool = False) -> None:
    import signal

    from .orphans import exit_with_parent

    global _WORKER
    exit_with_parent(parent_pid)  # a scan killed with -9 must not leave its workers behind
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the pool
    _WORKER = _INHERITED if linter_factory is None else linter_factory()
    _WORKER.rule_problems.clear()  # report only what this worker finds
    _WORKER.rule_times = RuleTimes() if timed else None  # …and only what its own checks cost (sent with each block)
    freeze_leftovers_for_good()  # a worker lives for this scan alone


def _scan_chunk(packed: bytes) -> bytes:
    """Entries per item, without the conversations (the parent has them, or parses the line again if asked),
    and the rule problems met so far, pickled (see _packed)."""
    linter = _WORKER
    entries = scan_block(linter, _unpacked(packed), keep_conversations=False)
    times = linter.rule_times
    timed = times.taken() if times else None  # sent once: the parent adds it up
    return pickle.dumps((entries, dict(linter.rule_problems), timed), pickle.HIGHEST_PROTOCOL)

"""Scanning a block: read, fold, one pass, then each rule only where it can report something."""
from __future__ import annotations

import gc
import time
import warnings
from contextlib import contextmanager

import numpy as np

from ..model import InputProblem
from .candidates import automaton_for, presence
from .fold import fold
from .index import BlockIndex
from .records import Block, read_block
from .views import BlockConversationView, Presence

PHASES = ("read", "fold", "pass", "plan", "rules")


class _Source:
    """What the views of one block share."""

    __slots__ = ("block", "folded", "presence", "hits", "digits", "numbers", "toolkit", "_latin")

    def __init__(self, block, folded, presence, hits, toolkit):
        self.block = block
        self.folded = folded
        self.presence = presence
        self.hits = hits
        self.digits = folded.digits.tolist()
        self.numbers = folded.numbers.tolist()
        self.toolkit = toolkit
        self._latin = None

    def latin(self) -> list:
        """Per message: does its folded text hold a Latin letter a-z (counted for the block on first use)."""
        found = self._latin
        if found is None:
            found = self._latin = (self.folded.latin_letters() > 0).tolist()
        return found


class _PerMessage(Exception):
    """This block is scanned conversation by conversation (reference mode, an empty block, an unusual pack)."""


class BlockPlanWarning(RuntimeWarning):
    """A block could not be planned and was scanned message by message: the same findings, more slowly."""


def _failing_place(exc: BaseException) -> str:
    """Where `exc` was raised: the innermost function of its traceback, as module.function."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "an unknown place"
    code = tb.tb_frame.f_code
    return f"{tb.tb_frame.f_globals.get('__name__', '?')}.{code.co_name}"


class _Clock:
    """Adds the time of each phase to `timings` (benchmarks/throughput.py's breakdown); free when there is none."""

    __slots__ = ("timings", "last")

    def __init__(self, timings: dict | None):
        self.timings = timings
        self.last = time.perf_counter() if timings is not None else 0.0

    def lap(self, phase: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
            self.last = now


def prepare(linter) -> None:
    """Build what every block needs (the character tables, the block automaton, jieba's store) now: before
    forking workers, so they inherit them instead of each building its own. Not the per-message automaton: only
    a conversation scanned alone needs it (none in the 20 MB benchmark corpus), and built here it was 0.05 s of
    the start-up every `--jobs` scan waits for before any process scans."""
    from .tables import tables

    tables()
    automaton_for(linter.pack.toolkit.term_index)
    linter.pack.toolkit.segmenter.warm_up()  # jieba's prefix store: the dictionary parts are read on demand
    for rule in linter.pack.rules:
        rule.prepare()  # what a rule builds at its first use (the audience model's automaton over 21,000 words)


def scan_block(linter, items: list, keep_conversations: bool = True, timings: dict | None = None) -> list[list]:
    """For each input item, its entries: InputProblems and (conversation or None, messages, findings, (id, source))
    per conversation, in order; the findings are those of Linter.scan. With `keep_conversations` false the
    conversation is None (outputs that need only the findings); its id and source are still given (the scan
    notices an id read twice). `timings`: seconds per phase (PHASES) are added to it."""
    with _collector_paused():
        return _scan_block(linter, items, keep_conversations, _Clock(timings))


@contextmanager
def _collector_paused():
    """No automatic collection while a block is scanned; it runs again between blocks.

    A block makes hundreds of thousands of container objects that live until its end (decoded records, views,
    hits, findings) and none that form a cycle (counted: no unreachable object after any block of the 20 MB
    corpus but the first, which loads the pack's lazy parts). The collector, triggered every 700 of them, walked
    them again and again to find nothing: 0.19-0.20 s inside collections per 20 MB scan (gc.callbacks), 0.07-0.11 s
    with this pause. Between blocks it is on again, so a cycle a rule does make is collected at the next block's
    start (threads scanning at once share the one collector: whichever started first turns it back on), unless a
    scan froze what blocks leave behind (`leftovers_frozen`)."""
    if not gc.isenabled():  # off already (its owner, or another thread's block): left so, what this one leaves settled
        try:
            yield
        finally:
            _settle()
        return
    gc.disable()
    try:
        yield
    finally:
        _settle()
        gc.enable()


# Inside a scan that owns its process (`leftovers_frozen`), a full collection runs after this many blocks.
COLLECT_EVERY = 128


class _Leftovers:
    owners = 0  # scans under way in this process that freeze what each block leaves behind
    blocks = 0  # blocks ended since the last full collection


@contextmanager
def leftovers_frozen():
    """What a block leaves alive (the caches it grew: jieba's dictionary parts, remembered texts; the entries on
    their way out) is frozen at its end, with everything before it, instead of being walked by the collections
    the next allocations trigger: on the dev set's 26 MB, 49 young and 4 middle collections that found nothing
    cost 0.21-0.23 s (1.8% of the scan; 0.04 s of the 20 MB generated corpus's). A full collection every
    COLLECT_EVERY blocks still finds any cycle a rule makes (none in either corpus: counted after every block),
    so memory stays bounded whatever a pack does. For the scans that own their process (batch.scan_items, the
    --jobs workers and the process handing them blocks): everything frozen is unfrozen when the scan ends."""
    gc.freeze()
    _Leftovers.owners += 1
    try:
        yield
    finally:
        _Leftovers.owners -= 1
        gc.unfreeze()


def freeze_leftovers_for_good() -> None:
    """`leftovers_frozen` for the rest of a process that exists only to scan (a --jobs worker)."""
    gc.freeze()
    _Leftovers.owners += 1


def _settle() -> None:
    if _Leftovers.owners <= 0:
        return
    _Leftovers.blocks += 1
    if _Leftovers.blocks >= COLLECT_EVERY:
        _Leftovers.blocks = 0
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def _scan_block(linter, items: list, keep_conversations: bool, clock: "_Clock") -> list[list]:
    block = read_block(items)
    clock.lap("read")
    findings = _findings(linter, block, clock)
    out = []
    for entries in block.entries:
        results = []
        for entry in entries:
            if isinstance(entry, InputProblem):
                results.append(entry)
                continue
            solo = block.solo.get(entry)
            if solo is not None:
                results.append((solo if keep_conversations else None, len(solo.messages), findings[entry],
                                (solo.id, solo.source)))
            else:
                conv = block.conversation(entry) if keep_conversations else None
                results.append((conv, block.counts[entry], findings[entry], block.identity(entry)))
        out.append(results)
    clock.lap("read")
    return out


def _findings(linter, block: Block, clock: _Clock) -> list[list]:
    """The findings of every conversation of the block (solo ones by the per-message path)."""
    n = len(block)
    findings: list[list] = [[] for _ in range(n)]
    for c, conv in block.solo.items():
        findings[c] = linter.scan(conv)
    toolkit = linter.pack.toolkit
    automaton = automaton_for(toolkit.term_index)
    rules = linter.pack.rules
    planning = None  # the rule whose row mask or targets are being worked out, for the warning below
    try:
        if not block.texts or not automaton.usable or toolkit.reference:
            raise _PerMessage
        folded = fold(block.texts)
        clock.lap("fold")
        rows, hits = presence(automaton, folded)
        clock.lap("pass")
        index = BlockIndex(block, folded, rows)
        targets = np.zeros((n, len(rules)), dtype=bool)
        opens: list[dict | None] = []
        for k, rule in enumerate(rules):
            planning = rule.id
            rows_open = rule.block_rows(index)
            targets[:, k] = rule.block_targets(index, rows_open)
            opens.append(_open_masks(index, rows_open, targets[:, k]))
        planning = None
    except Exception as exc:  # noqa: BLE001 - including _PerMessage: the per-message path reports what goes wrong per rule
        if not isinstance(exc, _PerMessage):
            # Nothing is lost, but the block is several times slower and the cause (a rule type's block_rows or
            # block_targets, the engine itself) would otherwise go unseen. One line per kind of failure: the
            # warning's text does not vary with the block.
            during = f" while planning rule {planning}" if planning else ""
            warnings.warn(f"the block engine could not plan a block ({type(exc).__name__} in "
                          f"{_failing_place(exc)}{during}); it was scanned message by message: the same findings, "
                          "slower", BlockPlanWarning, stacklevel=2)
        for c in range(n):
            if c not in block.solo:
                findings[c] = linter.scan(block.conversation(c))
        clock.lap("rules")
        return findings
    for c in block.solo:
        targets[c, :] = False
    clock.lap("plan")
    source = _Source(block, folded, Presence(rows), hits, toolkit)
    rows_of = targets.tolist()
    for c in np.flatnonzero(targets.any(axis=1)).tolist():
        wanted = [k for k, want in enumerate(rows_of[c]) if want]
        run = [rules[k] for k in wanted]
        run_opens = [None if opens[k] is None else opens[k].get(c, 0) for k in wanted]
        findings[c] = linter.scan_view(BlockConversationView(source, c), run, run_opens)
    clock.lap("rules")
    return findings


def _open_masks(index: BlockIndex, rows, targeted) -> "dict[int, int] | None":
    """A rule's `block_rows` as, per targeted conversation, an int with bit i set for each open message i (what
    Rule.open_only reads); None when the rule has no such mask. A targeted conversation with no open message
    gets 0 (a rule may target more widely than its rows: it then reads none of its messages one by one)."""
    if rows is None:
        return None
    rows = rows & targeted[index.conversation_of]
    positions = np.flatnonzero(rows)
    convs = index.conversation_of[positions]
    local = positions - index.first[convs]
    masks: dict[int, int] = {}
    get = masks.get
    for c, i in zip(convs.tolist(), local.tolist()):
        masks[c] = get(c, 0) | (1 << i)
    return masks

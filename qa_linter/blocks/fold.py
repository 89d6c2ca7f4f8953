"""Folding a whole block of messages at once, exactly as `normalize()` folds each of them.

The texts are joined with SEP (a character nothing folds to or from, in no class the normaliser treats
specially) and read as one array of code points. One table lookup folds case and full-width forms for all of
them (the identity fast path: most messages need nothing more), a second finds the messages that need the
normaliser's own path (a Traditional character, an invisible one, a mark, a compatibility form, anything
outside the Basic Multilingual Plane); those are folded by `normalize()` and spliced back in. The rest have
their separator and whitespace runs judged for the whole block at once, with the same decisions
`normalize._fold_runs` makes run by run (see `_judge_runs`).

The result keeps, for each message, where its folded text lies in the block, and for messages whose runs
changed, the original offsets of every folded character: a message's NormalizedText is built from these only
when a rule asks for it.
"""
from __future__ import annotations

import re
from array import array

import numpy as np

from ..text.normalize import FACES, _ROMANISED, NormalizedText, fold_disguises, normalize
from .sets import distinct
from .tables import CJK, EXACT, FILLER, GAP_SEPARATOR, HAN, LOOKALIKE, ODD_DIGIT, RUN, SPACE, tables

SEP = "\x00"
_SPACE = np.uint32(ord(" "))


class FoldedBlock:
    """The folded texts of a block's messages joined by SEP (`text`, and `cps`: its code points).

    `starts[i]`/`ends[i]`: where message i's folded text lies in `text`. `digits[i]`: how many decimal digits
    it holds, or -1 where only the regex module can count them (the view then counts); `numbers[i]` the same
    for digits and Chinese numerals together (-1 where `digits` is). `raw`/`raw_starts`: the
    original texts' code points, joined the same way. Build with `fold()`."""

    __slots__ = ("text", "cps", "starts", "ends", "digits", "numbers", "raw", "raw_starts", "_texts", "_exact", "_changed",
                 "_fast_starts", "_src", "_src_end", "_spans", "_offset_bytes")

    def norm(self, i: int) -> NormalizedText:
        """What normalize(texts[i]) returns (the same text and offsets; see the module docstring)."""
        exact = self._exact.get(i)
        if exact is not None:
            return exact
        spans = self._spans
        if spans is None:  # Python ints, read once per block: cheaper per message than numpy scalars
            spans = self._spans = (self.starts.tolist(), self.ends.tolist(), self._changed.tolist())
        return self._folded(i, self.text[spans[0][i] : spans[1][i]], spans[2][i])

    def latin_letters(self) -> np.ndarray:
        """Per message, how many Latin letters a-z its folded text holds (folded text is in lower case)."""
        latin = (self.cps >= 97) & (self.cps <= 122)
        before = np.zeros(len(latin) + 1, dtype=np.int64)
        np.cumsum(latin, out=before[1:])
        return before[self.ends] - before[self.starts]

    def _folded(self, i: int, text: str, changed: bool) -> NormalizedText:
        """Message i's NormalizedText from its folded text in the table pass and whether its runs changed."""
        original = self._texts[i]
        if not changed:
            return NormalizedText(original, text)
        lo = int(self._fast_starts[i])
        hi = lo + len(text)
        # normalize() gives offsets as array("i") (a message in a block is far shorter than 2**31): the bytes of
        # every message's offsets are made once per block, so a message's arrays are two slices.
        starts_bytes, ends_bytes = self._offset_bytes or self._offsets()
        return NormalizedText(original, text, array("i", starts_bytes[4 * lo : 4 * hi]), array("i", ends_bytes[4 * lo : 4 * hi]))

    def _offsets(self) -> tuple[bytes, bytes]:
        """For every character kept by the table pass, the original start and end offsets within its own message,
        as the bytes of int32 arrays (positions of the separators between messages hold values never read)."""
        # Kept position p belongs to the message whose table-pass text starts last at or before p.
        lengths = np.diff(self._fast_starts, append=len(self._src))
        base = np.repeat(self.raw_starts, lengths)
        self._offset_bytes = ((self._src - base).astype(np.int32).tobytes(), (self._src_end - base).astype(np.int32).tobytes())
        return self._offset_bytes


def fold(texts: list[str]) -> FoldedBlock:
    tb = tables()
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    raw_starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=raw_starts[1:])
    raw_ends = raw_starts + lengths
    raw = np.frombuffer(SEP.join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = tb.flags[raw]
    cps = tb.fold[raw]

    exact = distinct(_message_of(raw_starts, np.flatnonzero(flags & EXACT)))
    faces = _face_positions(cps, flags)
    if faces:
        # A run that may be a face between Chinese characters (see normalize.FACES) is judged by normalize().
        exact = distinct(np.concatenate((exact, _message_of(raw_starts, np.array(faces, dtype=np.int64)))))
    odd_digits = np.zeros(n, dtype=bool)
    odd_digits[_message_of(raw_starts, np.flatnonzero(flags & ODD_DIGIT))] = True

    keep, src_end, changed_runs = _judge_runs(flags, cps, raw_starts, raw_ends)
    changed = np.zeros(n, dtype=bool)
    changed[changed_runs] = True
    if keep is None:
        folded_cps, src, src_end = cps, None, None
        fast_starts, fast_ends = raw_starts, raw_ends
    else:
        folded_cps = cps[keep]
        src = np.flatnonzero(keep)
        src_end = src_end[keep]
        kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        fast_starts, fast_ends = kept_before[raw_starts], kept_before[raw_ends]
    text = folded_cps.tobytes().decode("utf-32-le", "surrogatepass")

    block = FoldedBlock()
    block._spans = None
    block._offset_bytes = None
    block._texts = texts
    block._changed = changed
    block._fast_starts = fast_starts
    block.raw = raw  # the original code points, for rules that read the text as typed (emoji)
    block.raw_starts = raw_starts
    block._src = src
    block._src_end = src_end
    block._exact = {}
    starts, ends = fast_starts, fast_ends
    for i in exact.tolist():
        block._exact[i] = normalize(texts[i])
    # In-word disguises (normalize.fold_disguises) are undone on the folded text of the messages that hold one
    # of their hints; the hints never reach across the separator, so one search per hint covers the block.
    for i in _disguise_suspects(text, folded_cps, fast_starts, block._exact):
        plain = block._folded(i, text[fast_starts[i] : fast_ends[i]], bool(changed[i]))
        unfolded = fold_disguises(plain)
        if unfolded is not plain:
            block._exact[i] = unfolded
    if block._exact:
        # Messages folded by normalize() itself or unfolded further, spliced in place of the table pass's text.
        pieces, pos, shift = [], 0, np.zeros(n, dtype=np.int64)
        for i in sorted(block._exact):
            norm = block._exact[i]
            pieces.append(text[pos : fast_starts[i]])
            pieces.append(norm.text)
            pos = int(fast_ends[i])
            shift[i] = len(norm.text) - (fast_ends[i] - fast_starts[i])
        pieces.append(text[pos:])
        text = "".join(pieces)
        moved = np.cumsum(shift)  # messages after a spliced one move by the difference
        starts = fast_starts + (moved - shift)
        ends = fast_ends + moved
        folded_cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    block.text = text
    block.cps = folded_cps
    block.starts = starts
    block.ends = ends
    is_digit = (folded_cps >= 48) & (folded_cps <= 57)
    before = np.zeros(len(folded_cps) + 1, dtype=np.int64)
    np.cumsum(is_digit, out=before[1:])
    digits = before[ends] - before[starts]
    digits[odd_digits] = -1
    digits[list(block._exact)] = -1
    block.digits = digits
    # Digits and Chinese numerals (prefilter.min_number_characters); unknown (-1) where the digits are.
    is_number = is_digit | tb.numeral[folded_cps]
    np.cumsum(is_number, out=before[1:])
    numbers = before[ends] - before[starts]
    numbers[digits < 0] = -1
    block.numbers = numbers
    return block


# Each face with any whitespace between its characters (normalize.is_face leaves whitespace out).
_FACE = re.compile("|".join(r"\s*".join(map(re.escape, face)) for face in sorted(FACES, key=len, reverse=True)))


def _face_positions(cps: np.ndarray, flags: np.ndarray) -> list[int]:
    """Where a face of normalize.FACES occurs in the table-folded block (a superset of the runs it decides).

    Faces are made of separators, so a block without two run characters in a row has none: most blocks are
    answered by that numpy test without decoding any text."""
    run = (flags & RUN) != 0
    if not (run[1:] & run[:-1]).any():
        return []
    text = cps.tobytes().decode("utf-32-le", "surrogatepass")
    return [m.start() for m in _FACE.finditer(text)]


def _disguise_suspects(text: str, cps: np.ndarray, starts: np.ndarray, exact: dict) -> list[int]:
    """Messages (outside `exact`) of the table-folded block (`text`, its code points `cps`) in which
    fold_disguises may change something: those holding a look-alike letter or a romanised credential name (its
    first two tests), or a whole interleaved run (_INTERLEAVED, what its third test's edits are made from; the
    cheap hint it searches first is part of every such run). Without any, fold_disguises returns the text as it
    is. The letters and the runs are found with numpy over the classes of `tables().disguise`: 1 message in 15
    of the benchmark corpus has the interleaving hint, 1 in 360 a run."""
    classes = tables().disguise[cps]
    found = [np.flatnonzero(classes & LOOKALIKE), _interleaved_runs(classes)]
    romanised = [m.start() for m in _ROMANISED.finditer(text)]
    if romanised:
        found.append(np.array(romanised, dtype=np.int64))
    positions = np.concatenate(found)
    if not len(positions):
        return []
    messages = distinct(_message_of(starts, positions)).tolist()
    return [i for i in messages if i not in exact]


def _interleaved_runs(classes: np.ndarray) -> np.ndarray:
    """Where a match of normalize._INTERLEAVED (a Chinese character, then twice or more a gap and a Chinese
    character; a gap: a filler with at most one separator on each side) may start: the Chinese characters from
    which one gap leads to another from which one gap leads to a third. No class holds the separator that joins
    the messages, so a run never reaches from one message into the next."""
    pad = np.zeros(len(classes) + 4, dtype=np.uint8)
    pad[: len(classes)] = classes
    han, filler, sep = (pad & HAN) != 0, (pad & FILLER) != 0, (pad & GAP_SEPARATOR) != 0
    # gap[k][p]: the k characters after p are a gap and the next one is Chinese (filler; sep filler or filler
    # sep; sep filler sep).
    gap1 = filler[1:-3] & han[2:-2]
    gap2 = ((sep[1:-3] & filler[2:-2]) | (filler[1:-3] & sep[2:-2])) & han[3:-1]
    gap3 = sep[1:-3] & filler[2:-2] & sep[3:-1] & han[4:]
    step = np.zeros(len(pad), dtype=bool)  # a Chinese character one gap away from another
    step[: len(classes)] = han[:-4] & (gap1 | gap2 | gap3)
    runs = han[:-4] & ((gap1 & step[2:-2]) | (gap2 & step[3:-1]) | (gap3 & step[4:]))
    return np.flatnonzero(runs)


def _message_of(starts: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The message each position of the joined text belongs to."""
    return np.searchsorted(starts, positions, side="right") - 1


def _judge_runs(flags, cps, msg_starts, msg_ends):
    """The separator and whitespace pass of the normaliser, for every run of the block at once.

    `normalize._fold_runs` walks each maximal run of separators and whitespace with the last written character
    and the character after the run. In a message whose characters fold to themselves, those come to:
    - between two Chinese characters: the run is dropped;
    - a run that is all whitespace: dropped next to a Chinese character or at either end of the message,
      else one space;
    - otherwise the run is kept as typed up to its trailing whitespace, which is dropped before a Chinese
      character or at the end of the message, else one space.
    Returns (which positions are kept, or None when nothing changes; the end offset each kept position maps
    to; the messages whose runs changed), all in positions of the joined text.
    """
    run = (flags & RUN) != 0
    if not run.any():
        return None, None, np.zeros(0, dtype=np.int64)
    total = len(run)
    edges = np.diff(run.view(np.int8), prepend=0, append=0)
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1)
    msg = np.searchsorted(msg_starts, run_starts, side="right") - 1
    at_start = run_starts == msg_starts[msg]
    at_end = run_ends == msg_ends[msg]
    prev_cjk = (flags[np.maximum(run_starts - 1, 0)] & CJK) != 0
    prev_cjk &= run_starts > 0
    next_cjk = (flags[np.minimum(run_ends, total - 1)] & CJK) != 0
    next_cjk &= run_ends < total
    # Where each run's trailing whitespace starts: after its last character that is not whitespace.
    solid = np.flatnonzero(run & ((flags & SPACE) == 0))
    last_solid = np.searchsorted(solid, run_ends, side="left") - 1
    solid_end = np.append(solid, -1)[last_solid] + 1  # -1 indexes the appended -1: no solid character before
    tail = np.where(solid_end > run_starts, solid_end, run_starts)
    drop_all = prev_cjk & next_cjk
    tail = np.where(drop_all, run_starts, tail)
    all_space = tail == run_starts
    collapse = np.where(all_space, ~(prev_cjk | next_cjk | at_start | at_end), ~(next_cjk | at_end))
    collapse &= ~drop_all & (tail < run_ends)
    touched = tail < run_ends
    if not touched.any():
        return None, None, np.zeros(0, dtype=np.int64)
    # Dropped: [tail, run end), less the first position where it becomes one space.
    drop_from = (tail + collapse)[touched]
    drop_to = run_ends[touched]
    nonempty = drop_from < drop_to
    delta = np.zeros(total + 1, dtype=np.int32)
    delta[drop_from[nonempty]] += 1
    delta[drop_to[nonempty]] -= 1
    keep = np.cumsum(delta[:-1]) == 0
    spaces = tail[collapse]
    cps[spaces] = _SPACE
    src_end = np.arange(1, total + 1, dtype=np.int64)
    src_end[spaces] = run_ends[collapse]
    return keep, src_end, distinct(msg[touched])

"""The one normaliser: the form of a message that rules match against, with offsets back to the original.

Matching happens on a folded copy of the text so that variants a person would read as the same words match
the same rule: full-width letters and digits (NFKC), Traditional characters (OpenCC t2s), upper case, and
characters inserted to dodge a filter (zero-width and other invisible characters, spaces and separator
punctuation between Chinese characters). Every character of the folded text remembers the span of the original
text it came from, so a hit in the folded text maps back to exactly what the agent typed.
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass
from functools import lru_cache

import regex

# Format characters (Cf: zero-width space/joiners, BOM, bidi marks, soft hyphen…) and variation selectors
# never change what a reader sees in Chinese text, so they are dropped.
_INVISIBLE = regex.compile(r"[\p{Cf}\uFE00-\uFE0F\U000E0100-\U000E01EF]")

# Separators that someone may put between Chinese characters to split a phrase (我 不 知 道, 不.归.我.管).
# They are folded only *between two CJK characters*, so "v1.2", "a-b" and sentence punctuation stay.
FOLDED_SEPARATORS = frozenset(" \t\u3000\u00a0.·•*_~-|/\\'\"`^+=、")

# Every character Python counts as whitespace (str.isspace); all of them lie below U+3001.
_SPACES = "".join(chr(cp) for cp in range(0x3001) if chr(cp).isspace())
_CJK_RANGES = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f"  # what is_cjk() accepts

# Combining marks (and the spacing accents that NFKC turns into a space plus a combining mark, such as
# U+00B4 ´) never belong on a Chinese character, a separator or a space; put there they only split a phrase
# (不\u0301归我管, 不 \u0301归我管), so such a mark is dropped like an invisible one. Marks on letters (é) stay.
_MARK_PIECE = regex.compile(r" ?\p{M}+")

# Texts the per-character fold would change: invisible characters, upper or title case beyond ASCII (ASCII
# is lowered by str.translate), a mark that is dropped (see _MARK_PIECE). Together with "not NFKC-normalised"
# this sends a text down the general path.
_ODD = regex.compile(
    rf"[\p{{Cf}}\uFE00-\uFE0F\U000E0100-\U000E01EF\p{{Lu}}\p{{Lt}}]"
    rf"|(?<=[{_CJK_RANGES}{regex.escape(''.join(sorted(FOLDED_SEPARATORS)) + _SPACES)}])\p{{M}}"
)
# Where separator and whitespace folding can change a text whose characters all fold to themselves: any
# whitespace, or a foldable separator right after a Chinese character (only such a run can be dropped).
_SEPARATOR_CLASS = "".join("\\" + ch if ch in "\\]^-[" else ch for ch in sorted(FOLDED_SEPARATORS))
_NEEDS_RUNS = re.compile(f"[{_SPACES}]|(?<=[{_CJK_RANGES}])[{_SEPARATOR_CLASS}]")
_RUN = re.compile(f"[{_SEPARATOR_CLASS}{_SPACES}]+")


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
    )


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@dataclass(frozen=True)
class NormalizedText:
    """`text` is the folded form; `starts[i]`/`ends[i]` (integer arrays) give the original span of folded character i.

    `starts is None` means the folding changed nothing but case, so offsets are the identity.
    """

    original: str
    text: str
    starts: "array[int] | None" = None
    ends: "array[int] | None" = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span [start, end) to the original span that produced it."""
        if self.starts is None:
            return start, end
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def _fold_char(ch: str) -> str:
    out = unicodedata.normalize("NFKC", ch)
    return out.lower()


@lru_cache(maxsize=1)
def _convertible() -> frozenset[str] | None:
    """The characters t2s can change (see t2s_data), or None if OpenCC's dictionaries are not the ones known."""
    from pathlib import Path

    from .t2s_data import characters_for

    return characters_for(Path(_t2s().config).parent)


def _to_simplified(text: str) -> str:
    """`_convert_traditional`, skipped when the text has no character t2s could change (most messages)."""
    convertible = _convertible()
    if convertible is not None and convertible.isdisjoint(text):
        return text
    return _convert_traditional(text)


def _convert_traditional(text: str) -> str:
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    # Phrase-level conversions that change length would break the offset map: fall back to characters.
    conv = _t2s().convert
    return "".join(c if len(c := conv(ch)) == 1 else ch for ch in text)


# One-to-one foldings done with str.translate, so the common case keeps identity offsets: full-width
# ASCII forms (Ａ１，？) to ASCII, and Latin upper case to lower case.
_ONE_TO_ONE = {cp: chr(cp - 0xFEE0).lower() for cp in range(0xFF01, 0xFF5F)}
_ONE_TO_ONE.update({cp: chr(cp).lower() for cp in range(ord("A"), ord("Z") + 1)})
_ONE_TO_ONE_CHARS = {chr(cp): target for cp, target in _ONE_TO_ONE.items()}
_FOLDED_FORMS = frozenset(_ONE_TO_ONE_CHARS)


_FOLDED_FORM = re.compile("[" + "".join(re.escape(ch) for ch in sorted(_FOLDED_FORMS)) + "]")


def _fold_forms(text: str) -> str:
    """`text.translate(_ONE_TO_ONE)`, faster for Chinese text: str.translate looks every character up in the
    table, while a message usually holds one or two of these characters (，？！：), which a character-class
    search finds at C speed. Replacing them one after the other gives the same text, as no replacement
    (ASCII) is itself replaced."""
    found = _FOLDED_FORM.findall(text)
    if found:
        for ch in set(found):
            text = text.replace(ch, _ONE_TO_ONE_CHARS[ch])
    return text


def normalize(text: str) -> NormalizedText:
    """Fold `text` for matching. Pure function; results for the same text are always the same.

    Three paths give what the per-character fold (`normalize_reference`) gives, at different costs: text that
    folds to itself character by character and has no whitespace or separator to drop keeps identity offsets
    (most chat messages); text that only has such runs is copied around them (e-mails, text with spaces or
    「、」); anything else (hidden characters, compatibility forms, capitals beyond ASCII) is folded per character.
    """
    if not text:
        return NormalizedText(text, text)
    simplified = _to_simplified(text)
    folded = _fold_forms(simplified)
    if _ODD.search(folded) or not unicodedata.is_normalized("NFKC", folded):
        return _slow_normalize(text, simplified)
    if not _NEEDS_RUNS.search(folded):
        return NormalizedText(text, folded)
    return _fold_runs(text, folded)


_JOIN = "\x00"  # joins a conversation's texts for one pass of each test; in no class above, never folded


def normalize_many(texts: list[str]) -> list[NormalizedText]:
    """[normalize(t) for t in texts], with the tests every message needs run once over all of them joined.

    In a conversation without a convertible or odd character (most of them) that leaves one search for
    whitespace and separator runs per message; otherwise each text goes its own way.
    """
    joined = _JOIN.join(texts)
    if len(texts) < 2 or joined.count(_JOIN) != len(texts) - 1:
        return [normalize(text) for text in texts]
    convertible = _convertible()
    if convertible is None or not convertible.isdisjoint(joined):
        return [normalize(text) for text in texts]
    folded = _fold_forms(joined)
    # NFKC composes nothing across the joining character, so the joined text is normalised iff every part is.
    if _ODD.search(folded) or not unicodedata.is_normalized("NFKC", folded):
        return [normalize(text) for text in texts]
    out = []
    for text, part in zip(texts, folded.split(_JOIN)):
        if text and _NEEDS_RUNS.search(part):
            out.append(_fold_runs(text, part))
        else:
            out.append(NormalizedText(text, part))
    return out


def normalize_reference(text: str) -> NormalizedText:
    """The plain per-character fold, with no shortcut: what `normalize` must always equal (tests compare them)."""
    if not text:
        return NormalizedText(text, text)
    return _slow_normalize(text, _convert_traditional(text))


def _offsets(original: str) -> "array[int]":
    """An empty offset table for `original`: machine integers (4 bytes each, 8 for texts over 2 GiB characters),
    not a tuple of Python ints (about 36 bytes each), so a 50 MB message does not need gigabytes for its map."""
    return array("i" if len(original) < 2**31 else "q")


_IDENTITY_LIMIT = 1 << 12
_IDENTITY = array("i", range(_IDENTITY_LIMIT + 1))  # 0, 1, 2, …: offset runs are copied out of it


def _extend_identity(table: "array[int]", start: int, stop: int) -> None:
    """table += start, start + 1, …, stop - 1; a memory copy for the usual sizes (array.extend(range) is slow)."""
    if table.typecode == "i" and stop <= _IDENTITY_LIMIT:
        table.extend(_IDENTITY[start:stop])
    else:
        table.extend(range(start, stop))


def _fold_runs(original: str, folded: str) -> NormalizedText:
    """The separator and whitespace pass of `_slow_normalize` for a text whose characters fold to themselves.

    Text between runs of separators/whitespace is copied whole; each run is judged exactly as the
    per-character loop judges it (dropped between Chinese characters, whitespace next to Chinese dropped,
    other whitespace runs collapsed to one space, anything else kept).
    """
    out: list[str] = []
    starts, ends = _offsets(original), _offsets(original)
    n = len(folded)
    pos = 0
    last = ""  # the last character written
    for m in _RUN.finditer(folded):
        run_start, run_end = m.span()
        if run_start > pos:
            out.append(folded[pos:run_start])
            _extend_identity(starts, pos, run_start)
            _extend_identity(ends, pos + 1, run_start + 1)
            last = folded[run_start - 1]
        next_cjk = run_end < n and is_cjk(folded[run_end])
        k = run_start
        while k < run_end:
            prev_cjk = bool(last) and is_cjk(last)
            if prev_cjk and next_cjk:
                break  # the rest of the run sits between two Chinese characters
            if folded[k:run_end].isspace():
                if not (prev_cjk or next_cjk or not last or run_end == n):
                    out.append(" ")
                    starts.append(k)
                    ends.append(run_end)
                    last = " "
                break
            out.append(folded[k])  # kept as typed; the rest of the run is judged after it
            starts.append(k)
            ends.append(k + 1)
            last = folded[k]
            k += 1
        pos = run_end
    if pos < n:
        out.append(folded[pos:])
        _extend_identity(starts, pos, n)
        _extend_identity(ends, pos + 1, n + 1)
    return NormalizedText(original, "".join(out), starts, ends)


def _holds_no_mark(piece: str) -> bool:
    return is_cjk(piece[-1]) or piece in FOLDED_SEPARATORS or piece.isspace()


def _slow_normalize(original: str, simplified: str) -> NormalizedText:
    # First pass: per original character, its folded form (possibly several characters, possibly none).
    pieces: list[tuple[str, int]] = []  # (folded piece, original index)
    for i, ch in enumerate(simplified):
        if _INVISIBLE.match(ch):
            continue
        folded = _fold_char(ch)
        if folded and pieces and _MARK_PIECE.fullmatch(folded) and _holds_no_mark(pieces[-1][0]):
            continue  # a combining mark or spacing accent on a Chinese character or a separator (see _MARK_PIECE)
        if folded:
            pieces.append((folded, i))
    # Second pass: drop separator runs that sit between two CJK characters; collapse other whitespace.
    out_chars: list[str] = []
    starts, ends = _offsets(original), _offsets(original)
    n = len(pieces)
    k = 0
    while k < n:
        piece, idx = pieces[k]
        if piece in FOLDED_SEPARATORS or piece.isspace():
            j = k
            while j < n and (pieces[j][0] in FOLDED_SEPARATORS or pieces[j][0].isspace()):
                j += 1
            prev_cjk = bool(out_chars) and is_cjk(out_chars[-1])
            next_cjk = j < n and is_cjk(pieces[j][0][0])
            run_is_space = all(p.isspace() for p, _ in pieces[k:j])
            if prev_cjk and next_cjk:
                k = j
                continue
            if run_is_space:
                # Whitespace next to Chinese text is ignored; elsewhere a run is one space.
                if prev_cjk or next_cjk or not out_chars or j == n:
                    k = j
                    continue
                out_chars.append(" ")
                starts.append(idx)
                ends.append(pieces[j - 1][1] + 1)
                k = j
                continue
        for c in piece:
            out_chars.append(c)
            starts.append(idx)
            ends.append(idx + 1)
        k += 1
    return NormalizedText(original, "".join(out_chars), starts, ends)

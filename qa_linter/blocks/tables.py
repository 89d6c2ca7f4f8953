"""Per-character tables the block engine reads a whole block through: one numpy lookup per block instead of a
Python test per character or per message.

Each table is indexed by code point. Every property is taken from the same source the per-message normaliser
uses (the `regex` module's classes, `str.isspace`, `unicodedata`, the t2s character list), so a block folded
through the tables is folded exactly as `normalize()` folds each message; where a table can only say "maybe"
(a character outside the Basic Multilingual Plane, a mark), the message goes through `normalize()` itself.
"""
from __future__ import annotations

import hashlib
import re
import threading
import unicodedata

import numpy as np
import regex

from ..text.normalize import (_CJK, _CJK_RANGES, _FILLER_CLASS, _LOOKALIKE, _ONE_TO_ONE, _SEP_CLASS, _SPACES, BLANKS,
                              FOLDED_SEPARATORS, _convertible)
from ..text.prefilter import NUMERALS

# Flags of a code point of the *original* text. All but CONVERTIBLE and EMOJI describe the character it folds to.
EXACT = 1  # its message is folded by normalize() itself (see `_exact`)
CJK = 2  # folds to a Chinese character (normalize.is_cjk)
RUN = 4  # folds to a separator or whitespace: part of a run the normaliser judges (normalize._RUN)
SPACE = 8  # folds to whitespace (str.isspace)
ODD_DIGIT = 16  # folds to a decimal digit other than 0-9 (`\d` of the regex module): digits are then counted exactly
PLANES = 0x110000

# Classes of a code point of the *folded* text in normalize's disguise patterns (`disguise` table): a look-alike
# letter (_LOOKALIKE), a gap filler and a separator (_ONE_GAP's classes), a Chinese character (_CJK).
LOOKALIKE = 1
FILLER = 2
GAP_SEPARATOR = 4
HAN = 8
_BMP = 0x10000

# Decimal digits as rule patterns see them (analysis._DECIMAL_DIGIT).
_DECIMAL_DIGIT = regex.compile(r"\d")
# What normalize._ODD finds, without its context: invisible characters, variation selectors, upper and title
# case beyond what str.translate folds, blanks that are not whitespace, digits of other scripts, and every mark
# (the normaliser drops a mark only after some characters; any mark sends its message down normalize()'s own
# path, which decides). tests/test_block_engine.py folds every BMP character both ways to keep this in step.
_ODD_ANYWHERE = regex.compile(
    rf"[\p{{Cf}}\uFE00-\uFE0F\U000E0100-\U000E01EF\p{{Lu}}\p{{Lt}}\p{{M}}{''.join(sorted(BLANKS))}]|(?![0-9])\p{{Nd}}"
)

_LOCK = threading.Lock()
_TABLES: "Tables | None" = None


class Tables:
    """`fold`: the code point each character folds to when its message needs no more than str.translate
    (normalize._ONE_TO_ONE); `flags`: the flags above, both indexed by code point (all planes)."""

    def __init__(self) -> None:
        bmp = np.arange(_BMP, dtype=np.uint32)
        bmp[0xD800:0xE000] = 0  # surrogates cannot be decoded; they are marked EXACT below
        text = bmp.tobytes().decode("utf-32-le")
        fold = np.arange(PLANES, dtype=np.uint32)
        for cp, target in _ONE_TO_ONE.items():
            fold[cp] = ord(target)
        flags = np.zeros(PLANES, dtype=np.uint8)
        folded = fold[:_BMP]
        # Properties of the folded character, read back onto each original code point through `fold`.
        prop = np.zeros(_BMP, dtype=np.uint8)
        for m in _ODD_ANYWHERE.finditer(text):
            prop[m.start()] |= EXACT
        for m in _DECIMAL_DIGIT.finditer(text):
            if m.start() >= 0x80:  # ASCII digits are counted from the folded code points themselves
                prop[m.start()] |= ODD_DIGIT
        for ch in _not_nfkc_stable():
            if ord(ch) < _BMP:
                prop[ord(ch)] |= EXACT
        for ch in FOLDED_SEPARATORS:
            prop[ord(ch)] |= RUN
        for ch in _SPACES:
            prop[ord(ch)] |= RUN | SPACE
        for lo, hi in _ranges(_CJK_RANGES):
            if lo < _BMP:
                prop[lo : min(hi, _BMP - 1) + 1] |= CJK
        flags[:_BMP] = prop[folded]
        flags[0xD800:0xE000] |= EXACT
        # Outside the BMP (emoji, rare ideographs) no table is kept: such a message is folded by normalize().
        flags[_BMP:] = EXACT
        convertible = _convertible()
        if convertible is None:
            flags[:] |= EXACT  # OpenCC data not the one known: every text is converted, so every text goes exact
        else:
            flags[np.fromiter(map(ord, convertible), dtype=np.int64, count=len(convertible))] |= EXACT
        flags[0] &= ~np.uint8(EXACT)  # the separator the block joins messages with
        self.fold = fold
        self.flags = flags
        # Chinese numerals, counted with the digits for number patterns (prefilter.min_number_characters).
        numeral = np.zeros(PLANES, dtype=bool)
        numeral[[ord(ch) for ch in NUMERALS]] = True
        self.numeral = numeral
        # Only the BMP: a character outside it makes its message EXACT (folded by normalize(), disguises included).
        disguise = np.zeros(PLANES, dtype=np.uint8)
        for flag, pattern in ((LOOKALIKE, _LOOKALIKE), (FILLER, re.compile(f"[{_FILLER_CLASS}]")),
                              (GAP_SEPARATOR, re.compile(f"[{_SEP_CLASS}]")), (HAN, re.compile(_CJK))):
            for m in pattern.finditer(text):
                disguise[m.start()] |= flag
        disguise[0] = 0  # the surrogates' stand-in; the separator, in no class anyway
        self.disguise = disguise


_ARRAYS = {"fold": np.uint32, "flags": np.uint8, "numeral": np.bool_, "disguise": np.uint8}  # as Tables makes them


def tables() -> Tables:
    global _TABLES
    if _TABLES is None:
        with _LOCK:
            if _TABLES is None:
                _TABLES = _kept_tables()
    return _TABLES


def _kept_tables() -> Tables:
    """The tables from the cache folder when this code made them (60-100 ms of every scan's start to compute, about
    12 to read), else computed and kept. They are derived from the code alone: qa_linter's modules, `regex`, numpy,
    Python's `unicodedata` (pack_snapshot.code_identity) and the OpenCC data t2s converts with."""
    import io

    from ..pack_snapshot import code_identity
    from ..text.tokenize import cache_file, write_cache_file

    convertible = _convertible()
    key = hashlib.sha1(f"{code_identity()}\n{''.join(sorted(convertible)) if convertible is not None else None}"
                       .encode("utf-8", "surrogatepass")).hexdigest()[:24]
    name = f"block-tables-{key}.npz"
    path = cache_file(name)
    if path is not None:
        try:
            # Read from the file array by array: no copy of the whole file beside the arrays (peak memory).
            with np.load(path, allow_pickle=False) as kept:
                arrays = {field: kept[field] for field in _ARRAYS}
            if all(arrays[f].shape == (PLANES,) and arrays[f].dtype == dtype for f, dtype in _ARRAYS.items()):
                made = Tables.__new__(Tables)
                made.__dict__.update(arrays)
                return made
        except Exception:  # noqa: BLE001 - a damaged or foreign file (not a zip, cut short …): computed again
            pass
    made = Tables()
    out = io.BytesIO()
    np.savez(out, **{field: getattr(made, field) for field in _ARRAYS})
    write_cache_file(name, out.getvalue(), kept=("block-tables-*.npz", 2))
    return made


def _ranges(spec: str) -> list[tuple[int, int]]:
    """The (first, last) code points of a character-class body written as ranges (normalize._CJK_RANGES)."""
    out = []
    i = 0
    while i < len(spec):
        out.append((ord(spec[i]), ord(spec[i + 2])))
        i += 3
    return out


def _not_nfkc_stable() -> list[str]:
    """BMP characters that may keep a text from being NFKC-normalised (unicodedata.is_normalized): those with a
    decomposition mapping, combining classes other than 0, the second half of any canonical composition, and
    the Hangul vowel and trailing jamo (composed algorithmically). A text made only of other characters is
    normalised: nothing in it decomposes and no two of its characters compose. Computed with the same
    `unicodedata` the normaliser asks."""
    second: set[int] = set()
    unstable = []
    for cp in range(_BMP):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        mapping = unicodedata.decomposition(ch)
        if mapping or unicodedata.combining(ch):
            unstable.append(ch)
        if mapping and not mapping.startswith("<"):
            parts = mapping.split()
            if len(parts) == 2:
                second.add(int(parts[1], 16))
    # A composition whose first half lies outside the BMP needs no entry: that character already makes its
    # message EXACT (flags[_BMP:]).
    unstable.extend(chr(cp) for cp in second if cp < _BMP)
    unstable.extend(map(chr, range(0x1160, 0x1200)))  # Hangul jungseong and jongseong
    unstable.extend(map(chr, range(0xD7B0, 0xD800)))  # their extensions
    return unstable

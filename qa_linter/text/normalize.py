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
from functools import lru_cache
from typing import NamedTuple

import regex

# Format characters (Cf: zero-width space/joiners, BOM, bidi marks, soft hyphen…) and variation selectors
# never change what a reader sees in Chinese text, so they are dropped.
_INVISIBLE = regex.compile(r"[\p{Cf}\uFE00-\uFE0F\U000E0100-\U000E01EF]")

# Separators that someone may put between Chinese characters to split a phrase (我 不 知 道, 不.归.我.管).
# They are folded only *between two CJK characters*, so "v1.2", "a-b" and sentence punctuation stay. Besides
# ASCII: the look-alikes of a middle dot (katakana ・, hyphenation point ‧, bullet and dot operators ∙ ⋅, word
# separator ⸱) and of a hyphen (‐ ‒ – −); the em dash is sentence punctuation (——) and stays.
FOLDED_SEPARATORS = frozenset(
    " \t\u3000\u00a0.·•*_~-|/\\'\"`^+=、"
    "\u30fb\u2027\u2219\u22c5\u2e31\u2010\u2012\u2013\u2212"
)

# Emoticons made only of separator characters (^_^, -_-, ^^ …). Between two Chinese characters such a run is
# a face the agent typed, not a phrase split to dodge a filter (专业了^_^简单说), so it is kept for the emoji
# rules like any other run that is not dropped. Every such face in lexicons/emoticons.txt is listed here (a test
# compares them); the block engine sends a message holding one to normalize() itself (blocks.fold).
FACES = frozenset({
    "^_^", "^^", "^-^", "^.^", "^_~", "^_^||", "-_-", "-_-||", "-.-", "-.-||", "=_=", "=_=||", "=.=",
    "*_*", "+_+", "~_~", "._.", "^__^", "*^_^*", "*^__^*",
})

# Characters that render as an empty space but are letters or symbols, not whitespace, so no filter takes
# them for a space: Hangul fillers and the Braille blank. They are folded into a space (then treated like one).
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

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
    rf"[\p{{Cf}}\uFE00-\uFE0F\U000E0100-\U000E01EF\p{{Lu}}\p{{Lt}}{''.join(sorted(BLANKS))}]"
    rf"|(?<=[{_CJK_RANGES}{regex.escape(''.join(sorted(FOLDED_SEPARATORS)) + _SPACES)}])\p{{M}}"
    r"|(?![0-9])\p{Nd}"  # a digit of another script (Arabic-Indic ١٣٩ …): folded to 0-9 like full-width ones
)
# Where separator and whitespace folding can change a text whose characters all fold to themselves: any
# whitespace, or a foldable separator right after a Chinese character (only such a run can be dropped).
_SEPARATOR_CLASS = "".join("\\" + ch if ch in "\\]^-[" else ch for ch in sorted(FOLDED_SEPARATORS))
_NEEDS_RUNS = re.compile(f"[{_SPACES}]|(?<=[{_CJK_RANGES}])[{_SEPARATOR_CLASS}]")
_RUN = re.compile(f"[{_SEPARATOR_CLASS}{_SPACES}]+")


def is_face(run: str) -> bool:
    """Whether a separator run is one of FACES once its whitespace is left out (" ^_^ " is)."""
    return "".join(run.split()) in FACES


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


class NormalizedText(NamedTuple):
    """`text` is the folded form; `starts[i]`/`ends[i]` (integer arrays) give the original span of folded character i.

    `starts is None` means the folding changed nothing but case, so offsets are the identity. (A named tuple:
    one is made per message scanned, and it is built several times faster than a frozen dataclass.)
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
    if ch in BLANKS:
        return " "
    if not ch.isascii() and unicodedata.category(ch) == "Nd":
        return str(unicodedata.decimal(ch))  # ١٣٩ (Arabic-Indic), ۱۳۹, १३९ …: the same number as 139
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


_SURROGATES = re.compile("[\ud800-\udfff]+")


def _convert_traditional(text: str) -> str:
    if _SURROGATES.search(text):
        # A lone surrogate (JSON allows "\ud800") cannot be handed to OpenCC, which takes UTF-8: convert the text
        # around it, and keep it as it is.
        pieces = _SURROGATES.split(text)
        runs = _SURROGATES.findall(text)
        return "".join(_convert_traditional(piece) + (runs[i] if i < len(runs) else "") for i, piece in enumerate(pieces))
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
        sparse = _sparse_normalize(text, simplified)
        return fold_disguises(sparse if sparse is not None else _slow_normalize(text, simplified))
    if not _NEEDS_RUNS.search(folded):
        return fold_disguises(NormalizedText(text, folded))
    return fold_disguises(_fold_runs(text, folded))


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
            out.append(fold_disguises(_fold_runs(text, part)))
        else:
            out.append(fold_disguises(NormalizedText(text, part)))
    return out


def normalize_reference(text: str) -> NormalizedText:
    """The plain per-character fold, with no shortcut: what `normalize` must always equal (tests compare them)."""
    if not text:
        return NormalizedText(text, text)
    return fold_disguises(_slow_normalize(text, _convert_traditional(text)), hint=False)


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
        face = next_cjk and is_face(m.group())
        k = run_start
        while k < run_end:
            prev_cjk = bool(last) and is_cjk(last)
            if prev_cjk and next_cjk and not face:
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


# What _fold_char does to the characters _sparse_normalize has met: those it leaves as they are, and what it makes
# of the others (a few thousand distinct characters in a day's traffic; started again past _FOLDS_KEPT).
_SELF_FOLDING: set[str] = set()
_FOLDS: dict[str, str] = {}
_FOLDS_KEPT = 200_000
_ANY_MARK = regex.compile(r"\p{M}")
# Characters no message holds, each standing in for a piece of several characters while the runs are judged.
_STAND_INS = "\U000F0000\U000F0001\U000F0002\uE000"


def _changed_characters(text: str) -> dict[str, str]:
    """The characters of `text` that _fold_char changes, with what it makes of them (a set difference with the
    characters known to stay: no loop over the text)."""
    if len(_SELF_FOLDING) + len(_FOLDS) > _FOLDS_KEPT:
        _SELF_FOLDING.clear()
        _FOLDS.clear()
    changed = {}
    for ch in set(text).difference(_SELF_FOLDING):
        piece = _FOLDS.get(ch)
        if piece is None:
            piece = _fold_char(ch)
            if piece == ch:
                _SELF_FOLDING.add(ch)
                continue
            _FOLDS[ch] = piece
        changed[ch] = piece
    return changed


def _sparse_normalize(original: str, simplified: str) -> "NormalizedText | None":
    """What `_slow_normalize` gives, for a text whose every character folds to one or more characters that fold
    to themselves (℃ to °c, … to ..., ² to 2, Ω to ω, an ideographic space to a space) and holds no hidden
    character or mark; None for any other text, which the per-character fold takes.

    Most texts the fast paths refuse are such texts: on the dev set's 134,000 messages, 1,291 went the per-
    character way, 745 of them for ℃ and 249 for the ellipsis … (0.27 ms each). Here the characters that fold to
    one character are replaced at C speed, one that folds to several by a stand-in that, like the piece, is no
    separator or whitespace and has no Chinese character at either end (the loop judges such a piece whole, as
    the runs' pass judges the stand-in), and the stand-ins are then put back with their pieces' offsets."""
    if _INVISIBLE.search(simplified) or _ANY_MARK.search(simplified):
        return None
    single: dict[int, str] = {}
    several: dict[str, str] = {}
    for ch, piece in _changed_characters(simplified).items():
        if not piece or _ANY_MARK.search(piece) or _changed_characters(piece):
            return None  # dropped, a mark (judged by its neighbour), or folded again: left to the loop
        if len(piece) == 1:
            single[ord(ch)] = piece
        elif piece.isspace() or piece in FOLDED_SEPARATORS or is_cjk(piece[0]) or is_cjk(piece[-1]):
            return None
        else:
            several[ch] = piece
    stand_in = ""
    if several:
        stand_in = next((c for c in _STAND_INS if c not in simplified), "")
        if not stand_in:
            return None
        single.update((ord(ch), stand_in) for ch in several)
    substituted = simplified.translate(single)
    if _NEEDS_RUNS.search(substituted):
        nt = _fold_runs(original, substituted)
    else:
        nt = NormalizedText(original, substituted)
    if not several:
        return nt
    return _put_back(nt, stand_in, [several[ch] for ch in regex.findall(
        "[" + "".join(regex.escape(ch) for ch in several) + "]", simplified)])


def _put_back(nt: NormalizedText, stand_in: str, pieces: list[str]) -> NormalizedText:
    """`nt` with each stand-in replaced by its piece (in order), every character of a piece mapped to the
    original character the piece stands for."""
    parts = nt.text.split(stand_in)
    starts, ends = _offsets(nt.original), _offsets(nt.original)
    if nt.starts is None:
        old_starts = old_ends = None
    else:
        old_starts, old_ends = nt.starts, nt.ends
    at = 0  # folded position in nt.text
    for k, part in enumerate(parts):
        stop = at + len(part)
        if old_starts is None:
            _extend_identity(starts, at, stop)
            _extend_identity(ends, at + 1, stop + 1)
        else:
            starts.extend(old_starts[at:stop])
            ends.extend(old_ends[at:stop])
        if k < len(pieces):
            source = stop if old_starts is None else old_starts[stop]
            starts.extend([source] * len(pieces[k]))
            ends.extend([source + 1] * len(pieces[k]))
        at = stop + 1
    text = "".join(part + (pieces[k] if k < len(pieces) else "") for k, part in enumerate(parts))
    return NormalizedText(nt.original, text, starts, ends)


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
            if prev_cjk and next_cjk and not is_face("".join(p for p, _ in pieces[k:j])):
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


# -- disguises inside words ---------------------------------------------------------------------------------------
# After the character folds above, three tricks still split or hide a word; they need the word around them, so
# they are undone on the folded text (each only where the trick is certain, so that no meaning changes):
#
# 1. A Latin letter, a digit or a bracket put between single Chinese characters: 不a归b我c管, 验1证2码,
#    不(归)我管, 验【证】码. Folded only in a run of at least three Chinese characters with such a character
#    between each (two gaps or more), where each gap is one such character (a separator on either side of it
#    may go too) and a bracket is one of a pair around a single character (so [微笑] and 「后台」 stay). One letter or number between two characters is ordinary text (第1次, A类), and so are
#    numbers and words of several characters (10月17日, 4G和5G, 用App登录); a digit before a unit or measure
#    word (1月2日3点, 3楼5号, 7幢2单元) or after 第 is a number, not a gap. Nor are two single characters that
#    name a range or a pair (2到3小时, T加1, D和0), nor labels of parts of one kind (A线B线, A区C区), nor the
#    letters of a code read out in numerals (九一h三k七): in ordinary text those are what a run of gaps
#    most often is (54 of 255,627 messages of the dev and generated corpora), and a disguise does not need them.
# 2. Cyrillic or Greek look-alikes inside a Latin word: уyds, СVV (Cyrillic у, С), οtp (Greek ο). A letter is
#    folded to the Latin letter it imitates only in a word that also holds Latin letters; a word written wholly
#    in Cyrillic or Greek is a real word of that language and stays.
# 3. Romanised and English names of credentials, as whole Latin words: yzm (the pinyin initials of 验证码),
#    yanzhengma, mima, verification code, password … become the Chinese word, so the credential rules see them.
#
# Tables of what each folds: GAP_FILLERS, UNIT_WORDS, CONFUSABLES, ROMANISED; docs/security.md lists them.
DISGUISE_FOLDING = True  # off only to measure what this folding adds (benchmarks/evasion_folding.py)

GAP_FILLERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789()[]{}<>【】〔〕〖〗〘〙「」『』《》〈〉")
# Characters after which a digit is a quantity (1月, 3楼, 2个), so the digit is not a gap.
UNIT_WORDS = frozenset("年月日号时点分秒刻周天个次回遍元块角毛分位名人口户家楼层栋座室号件条项页章节岁期台辆张本份斤两克吨米里度倍成折步级套箱瓶杯碗"
                       "幢排区段线组轮批列匹叶档串根毫厘千兆伏瓦")
# Not units though they can be (寸, 尺, 公, 大, 小, 单, 道, 面, 格): each is inside a taboo or credential phrase
# (得寸进尺, 公司规定, 这点小事, 这么简单, 不知道, 卡背面, 你有什么资格), whose disguise a digit before it would hide.
# A digit after this is an ordinal (第3, 第6道).
ORDINAL_PREFIXES = frozenset("第")
# One character between two fillers that makes them a range or a pair: 2到3, 4合1 (numbers on both sides
# only), T加1, D和0, R或C (any). Not 跟, 对, 比, 与, 同: they are inside taboo phrases (不是跟你说了吗).
NUMBER_CONNECTORS = frozenset("到至合")
PAIR_CONNECTORS = frozenset("和或及加减")
_FILLER_CLASS = "".join("\\" + ch if ch in "\\]^-[" else ch for ch in sorted(GAP_FILLERS))
_SEP_CLASS = "".join("\\" + ch if ch in "\\]^-[" else ch for ch in sorted(FOLDED_SEPARATORS))
_CJK = f"[{_CJK_RANGES}]"
_ONE_GAP = f"[{_SEP_CLASS}]?[{_FILLER_CLASS}][{_SEP_CLASS}]?"
_INTERLEAVED = re.compile(f"{_CJK}(?:{_ONE_GAP}{_CJK}){{2,}}")
_GAP = re.compile(_ONE_GAP)
# The middle of every such run: one filler before and after a Chinese character (a cheap first test).
_INTERLEAVED_HINT = re.compile(f"[{_FILLER_CLASS}][{_SEP_CLASS}]?{_CJK}[{_SEP_CLASS}]?[{_FILLER_CLASS}]")

# Cyrillic and Greek letters (lower case: the text is folded) that look like a Latin letter.
CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ь": "b",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "γ": "y", "ω": "w", "ϳ": "j",
}
# Letters whose folded form says too little: capitals imitate other letters than their lower case does (Greek Η
# looks like H, η like n), and NFKC turns the lunate sigma ϲ (a c) into ς. For these, the letter as typed decides;
# a capital not listed here imitates no Latin letter and stays (Γ, and Ω of 50kΩ, though γ and ω look like y and w).
TYPED_CONFUSABLES = {
    "ϲ": "c", "Ϲ": "c",
    "А": "a", "В": "b", "Е": "e", "Ѕ": "s", "І": "i", "Ј": "j", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "Х": "x", "У": "y", "Ү": "y", "Ё": "e", "Һ": "h", "Ї": "i", "Ԁ": "d", "Ԛ": "q", "Ԝ": "w",
    "Ь": "b", "Ϳ": "j",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p",
    "Τ": "t", "Υ": "y", "Χ": "x",
}
_LOOKALIKE = re.compile("[" + "".join(sorted(set(CONFUSABLES) | {_fold_char(c) for c in TYPED_CONFUSABLES})) + "]")
_MIXED_WORD = regex.compile(r"[\p{Latin}\p{Cyrillic}\p{Greek}\d]+")

# Latin spellings of a credential's Chinese name, matched as whole words (spaces, - or _ between the parts).
ROMANISED = {
    "yzm": "验证码", "yan zheng ma": "验证码", "verification code": "验证码", "verify code": "验证码",
    "sms code": "短信验证码", "dxyzm": "短信验证码", "mima": "密码", "mi ma": "密码", "password": "密码",
    "passcode": "密码", "passwd": "密码", "pwd": "密码", "zfmm": "支付密码", "zhifu mima": "支付密码",
    "security code": "安全码",
}
# No look-behind in front: `re` then skips ahead to the first letters of the spellings at C speed; the word
# boundary before a match is checked in _romanised_edits.
_ROMANISED = re.compile(
    "(?:" + "|".join(sorted((re.escape(k).replace("\\ ", "[ _-]?") for k in ROMANISED), key=len, reverse=True))
    + ")(?![a-z0-9])"
)
_ROMANISED_KEY = re.compile("[ _-]")  # what may stand between the parts: dropped to look the spelling up
_ROMANISED_BY_KEY = {key.replace(" ", ""): chinese for key, chinese in ROMANISED.items()}


def fold_disguises(nt: NormalizedText, hint: bool = True) -> NormalizedText:
    """Undo the three in-word disguises above on an already folded text, offsets mapped to the original.

    With `hint`, each is first looked for with a cheap search (most texts hold none and are returned as they
    are); normalize_reference passes hint=False, so the tests compare the shortcut with the full passes."""
    if not DISGUISE_FOLDING:
        return nt
    for test, edits in ((_LOOKALIKE, _lookalike_edits), (_ROMANISED, _romanised_edits),
                        (_INTERLEAVED_HINT, _interleaved_edits)):
        if hint and not test.search(nt.text):
            continue
        changes = edits(nt)
        if changes:
            nt = _rewrite(nt, changes)
    return nt


def _lookalike_edits(nt: NormalizedText) -> list[tuple[int, int, str]]:
    edits = []
    for word in _MIXED_WORD.finditer(nt.text):
        value = word.group(0)
        if not any("a" <= ch <= "z" for ch in value):
            continue  # no Latin letter: a Russian or Greek word, not a disguised one
        for m in _LOOKALIKE.finditer(value):
            at = word.start() + m.start()
            start, end = nt.to_original(at, at + 1)
            typed = nt.original[start:end]
            if typed in TYPED_CONFUSABLES:
                latin = TYPED_CONFUSABLES[typed]
            elif typed.isupper():
                continue  # a capital that imitates no Latin capital: Ω of 50kΩ is not the w its ω looks like
            else:
                latin = CONFUSABLES.get(m.group(0))
            if latin:
                edits.append((at, at + 1, latin))
    return edits


def _romanised_edits(nt: NormalizedText) -> list[tuple[int, int, str]]:
    text = nt.text
    return [
        (m.start(), m.end(), _ROMANISED_BY_KEY[_ROMANISED_KEY.sub("", m.group(0))])
        for m in _ROMANISED.finditer(text)
        if not (m.start() and (text[m.start() - 1].isascii() and text[m.start() - 1].isalnum()))
    ]


_BRACKET_PAIRS = dict(zip("([{<【〔〖〘「『《〈", ")]}>】〕〗〙」』》〉"))
# Chat platforms' emoticon codes of one character in square brackets (WeChat/QQ [强], [赞], [汗]; see
# lexicons/platform-codes.txt): typed between words (好的[赞]谢谢) they are an emoticon, not a disguise.
ONE_CHARACTER_CODES = frozenset("色睡酷吐困嘘晕衰吓饭刀强弱耶汗哇发福泪心赞怒钱哼囧")
_CLOSING = {closing: opening for opening, closing in _BRACKET_PAIRS.items()}
_SEPARATOR_CHARS = "".join(FOLDED_SEPARATORS)


def _interleaved_edits(nt: NormalizedText) -> list[tuple[int, int, str]]:
    text = nt.text
    edits = []
    for run in _INTERLEAVED.finditer(text):
        spans = [(run.start() + g.start(), run.start() + g.end()) for g in _GAP.finditer(run.group(0))]
        # A bracket pair around the first or last character reaches outside the run: (不)归我 or 不归(我).
        if run.start() and text[run.start() - 1] in _BRACKET_PAIRS:
            spans.insert(0, (run.start() - 1, run.start()))
        if run.end() < len(text) and text[run.end()] in _CLOSING:
            spans.append((run.end(), run.end() + 1))
        fillers = [text[a:b].strip(_SEPARATOR_CHARS) for a, b in spans]
        meaning = _meaningful_gaps(nt, spans, fillers)
        stretch: list[tuple[int, int, str]] = []  # consecutive gaps that are all disguises
        for i, ((a, b), filler) in enumerate(zip(spans, fillers)):
            if i in meaning:
                disguise = False
            elif filler in _BRACKET_PAIRS:  # a bracket only around one character: 不(归)我管, not 「后台」 or [微笑]
                disguise = (i + 1 < len(fillers) and fillers[i + 1] == _BRACKET_PAIRS[filler]
                            and not _emoticon_code(text, b, filler))
            elif filler in _CLOSING:
                disguise = (i > 0 and fillers[i - 1] == _CLOSING[filler]
                            and not _emoticon_code(text, spans[i - 1][1], _CLOSING[filler]))
            else:
                disguise = True
            if disguise:
                stretch.append((a, b, ""))
                continue
            if len(stretch) >= 2:
                edits.extend(stretch)
            stretch = []
        if len(stretch) >= 2:
            edits.extend(stretch)
    return edits


def _meaningful_gaps(nt: NormalizedText, spans: list[tuple[int, int]], fillers: list[str]) -> set[int]:
    """The gaps of one run (by index) that are meaning, not a disguise. Alone: a digit that is a quantity (1月,
    3楼), an ordinal (第3) or part of a number half in numerals (1三9一二3四…), and a letter of a code read out in
    numerals (九一h三k七: a numeral on both sides). Two together: the sides of a range or pair (2到3, T加1, D和0:
    the one character between them is a connector) and labels of parts of one kind (A线B线: the same character
    after both, the labels two different capitals as typed: a disguise repeats one letter or types it in lower
    case). Brackets are never such a gap."""
    text = nt.text
    meaning: set[int] = set()
    alnum = [f.isascii() and f.isalnum() for f in fillers]
    for i, ((a, b), filler) in enumerate(zip(spans, fillers)):
        if not alnum[i]:
            continue
        if filler.isdigit():
            alone = (b < len(text) and text[b] in UNIT_WORDS or _next_to_numeral(text, a, b)
                     or a > 0 and text[a - 1] in ORDINAL_PREFIXES)
        else:
            alone = a > 0 and text[a - 1] in NUMERALS and text[b : b + 1] in NUMERALS
        if alone:
            meaning.add(i)
    for i in range(len(spans) - 1):
        if not (alnum[i] and alnum[i + 1]):
            continue
        (_, b), (c, d) = spans[i], spans[i + 1]
        between = text[b:c]
        if len(between) != 1:
            continue
        numbers = fillers[i].isdigit() and fillers[i + 1].isdigit()
        if (between in PAIR_CONNECTORS or numbers and between in NUMBER_CONNECTORS
                or d < len(text) and text[d] == between and _two_capitals(nt, fillers, spans, i)):
            meaning.update((i, i + 1))
    return meaning


def _two_capitals(nt: NormalizedText, fillers: list[str], spans: list[tuple[int, int]], i: int) -> bool:
    """Whether the fillers of gaps i and i + 1 are two different letters, each typed as a capital (A线B线)."""
    if fillers[i] == fillers[i + 1] or not (fillers[i].isalpha() and fillers[i + 1].isalpha()):
        return False
    for k in (i, i + 1):
        at = spans[k][0] + nt.text[spans[k][0] : spans[k][1]].index(fillers[k])
        start, end = nt.to_original(at, at + 1)
        if not nt.original[start:end].isupper():
            return False
    return True


def _emoticon_code(text: str, inside: int, opening: str) -> bool:
    """Whether the bracket pair opened by `opening` around the character at `inside` is a one-character emoticon
    code ([强]): the character is one of ONE_CHARACTER_CODES and the brackets are square."""
    return opening == "[" and text[inside : inside + 1] in ONE_CHARACTER_CODES


# Chinese numerals: a digit next to one is part of a number written half in numerals, not a gap.
NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿幺两壹贰叁肆伍陆柒捌玖拾佰仟")


def _next_to_numeral(text: str, a: int, b: int) -> bool:
    return (a > 0 and text[a - 1] in NUMERALS) or (b < len(text) and text[b] in NUMERALS)


def _rewrite(nt: NormalizedText, edits: list[tuple[int, int, str]]) -> NormalizedText:
    """`nt` with nt.text[a:b] replaced by each (a, b, replacement) (sorted, not overlapping). A replacement's
    characters all map to what nt.text[a:b] maps to, so a hit on any of them reports the whole disguise."""
    text = nt.text
    out: list[str] = []
    starts, ends = _offsets(nt.original), _offsets(nt.original)
    old_starts = nt.starts if nt.starts is not None else range(len(text))
    old_ends = nt.ends if nt.ends is not None else range(1, len(text) + 1)
    pos = 0
    for a, b, replacement in edits:
        out.append(text[pos:a])
        starts.extend(old_starts[pos:a])
        ends.extend(old_ends[pos:a])
        if replacement:
            out.append(replacement)
            starts.extend([old_starts[a]] * len(replacement))
            ends.extend([old_ends[b - 1]] * len(replacement))
        pos = b
    out.append(text[pos:])
    starts.extend(old_starts[pos:])
    ends.extend(old_ends[pos:])
    return NormalizedText(nt.original, "".join(out), starts, ends)

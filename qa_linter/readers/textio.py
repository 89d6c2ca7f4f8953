"""Text files whose encoding nobody wrote down: detect it, then decode line by line.

Help-desk exports arrive as UTF-8 (with or without a BOM), GB18030/GBK (Excel on a Chinese Windows) or Big5.
The encoding is detected once from the start of the file (charset-normalizer) unless the user names it.
Lines are then decoded one at a time, so a stray undecodable byte spoils one line, which the reader reports
with its number, instead of failing the whole file.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import BinaryIO, Iterator

SAMPLE_BYTES = 256 * 1024  # enough text for the detector; more only slows it down

# What a detector answers -> the codec real exports need. GBK and GB2312 files written by Excel or by
# mail clients routinely hold characters outside them (GB18030 4-byte sequences such as emoji), and
# GB18030 decodes every GBK/GB2312 byte sequence identically; likewise cp950 is Big5 as Windows writes it.
SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc_cn": "gb18030",
    "hz": "gb18030",
    "big5": "cp950",
    "ascii": "utf-8",
    "utf_8": "utf-8",
}

# Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class UnknownEncoding(ValueError):
    """The encoding could not be detected or the name given is not a codec; the message says what to do."""


def codec_name(name: str) -> str:
    """The canonical codec for a user-given or detected name, widened to the superset exports really use."""
    try:
        normal = codecs.lookup(name).name
    except LookupError:
        raise UnknownEncoding(f"unknown encoding {name!r} (try utf-8, gb18030, big5)") from None
    normal = normal.replace("-", "_")
    return SUPERSETS.get(normal, normal.replace("_", "-"))


@dataclass(frozen=True)
class Line:
    number: int  # 1-based physical line number in the file
    text: str  # decoded, with the line ending normalised to "\n" (none on a last line without one)
    error: str | None = None  # why some bytes could not be decoded (the text then holds U+FFFD there)


class TextInput:
    """A byte stream read as lines of text in its detected (or given) encoding."""

    def __init__(self, stream: BinaryIO, encoding: str | None = None):
        self._stream = stream
        self._head = stream.read(SAMPLE_BYTES)
        self.detected = encoding is None
        self.encoding = codec_name(encoding) if encoding else detect_encoding(self._head)
        if not self.detected and self.encoding == "utf-8" and self._head.startswith(codecs.BOM_UTF8):
            self.encoding = "utf-8-sig"
        if self.encoding in ("utf-16", "utf-32") and self._head and not any(
            self._head.startswith(bom) for bom, name in BOMS if name == self.encoding
        ):
            # Without a byte-order mark Python cannot tell the byte order and refuses the whole stream.
            raise UnknownEncoding(
                f"the file has no {self.encoding.upper()} byte-order mark, so its byte order is unknown; "
                f"give --encoding {self.encoding}-le or {self.encoding}-be (or check that it really is {self.encoding.upper()})"
            )

    @property
    def empty(self) -> bool:
        return not self._head

    def lines(self) -> Iterator[Line]:
        if self.encoding in ("utf-16", "utf-32") or self.encoding.startswith(("utf-16", "utf-32")):
            yield from self._wide_lines()
            return
        first = True
        for number, raw in enumerate(self._byte_lines(), 1):
            if first:
                first = False
                if self.encoding == "utf-8-sig" and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
            yield self._decode(number, raw)

    def _byte_lines(self) -> Iterator[bytes]:
        """Lines split on b"\\n": safe for UTF-8, GB18030 and Big5, whose multi-byte sequences never hold 0x0A."""
        *complete, tail = self._head.split(b"\n")
        for raw in complete:
            yield raw + b"\n"
        if tail:
            yield tail + self._stream.readline()  # complete the line the sample cut
        yield from self._stream

    def _decode(self, number: int, raw: bytes) -> Line:
        body = raw.rstrip(b"\r\n")
        ending = "\n" if len(body) != len(raw) else ""
        try:
            return Line(number, body.decode(self.encoding) + ending)
        except UnicodeDecodeError as exc:
            bad = body[exc.start:exc.end].hex(" ")
            reason = f"bytes {bad} at byte {exc.start + 1} of the line are not valid {self.encoding}"
            return Line(number, body.decode(self.encoding, "replace") + ending, reason)

    def _wide_lines(self) -> Iterator[Line]:
        """UTF-16/32 (Excel's "Unicode text"): bytes cannot be split on 0x0A, so decode incrementally."""
        decoder = codecs.getincrementaldecoder(self.encoding)("replace")
        pending, number, chunk = "", 0, self._head
        while True:
            final = not chunk
            pending += decoder.decode(chunk, final=final)
            *complete, pending = pending.split("\n")
            for text in complete:
                number += 1
                yield _wide_line(number, text + "\n")
            if final:
                break
            chunk = self._stream.read(SAMPLE_BYTES)
        if pending:
            yield _wide_line(number + 1, pending)


def _wide_line(number: int, text: str) -> Line:
    text = text.replace("\r\n", "\n").lstrip("\ufeff") if number == 1 else text.replace("\r\n", "\n")
    error = "bytes that are not valid UTF-16/32" if "\ufffd" in text else None
    return Line(number, text, error)


def detect_encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: BOM, then UTF-8, then the detector, then GB18030/Big5.

    A few undecodable lines must not make a file undetectable: an export that is UTF-8 except for one
    pasted GBK cell is UTF-8 (the bad line is then reported), and GB18030 with some garbage bytes is
    still GB18030 rather than whatever single-byte code page decodes everything.
    """
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    wide = _bomless_utf16(head)
    if wide:
        return wide
    sample = _whole_lines(head)
    lines = [line for line in sample.split(b"\n") if line and max(line) >= 0x80]
    if not lines or _decodable_share(lines, "utf-8") >= MOSTLY:
        return "utf-8"  # pure ASCII also lands here: UTF-8 is its superset
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guess = codec_name(best.encoding) if best is not None else None
    if guess in MULTIBYTE_CODECS:
        return guess
    for codec in ("gb18030", "cp950"):
        if _decodable_share(lines, codec) >= MOSTLY:
            return codec
    if _decodable_share(lines, "utf-8") > 0.5:
        # A short UTF-8 file with one damaged line falls below MOSTLY; reading it as UTF-8 and reporting that
        # line beats refusing the whole file or decoding every line with a single-byte code page.
        return "utf-8"
    if guess is None:
        raise UnknownEncoding("cannot tell the text encoding; give it with --encoding (e.g. gb18030, big5, utf-8)")
    return guess


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 saved without a byte-order mark: text in it has a NUL byte in every other position (the high byte
    of ASCII, which headers and ids are), something no 8-bit or GB/Big5 text file has. None if it does not look so."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd >= 0.3 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


MOSTLY = 0.9  # share of non-ASCII lines that must decode for a codec to be taken despite the others
MULTIBYTE_CODECS = {
    "utf-8", "gb18030", "cp950", "big5hkscs", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949", "iso2022_jp",
    "utf-16", "utf-32",
}


def _decodable_share(lines: list[bytes], codec: str) -> float:
    good = 0
    for line in lines:
        try:
            line.decode(codec)
            good += 1
        except UnicodeDecodeError:
            pass
    return good / len(lines)


def _whole_lines(head: bytes) -> bytes:
    """The sample cut after its last newline, so a multi-byte character cut in half does not mislead.

    Also for a whole small file: one truncated in the middle of a character (a download cut off) must still
    be detected from its complete lines; its last line is then reported as undecodable, not the whole file.
    """
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head

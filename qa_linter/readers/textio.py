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
    if guess is None:
        raise UnknownEncoding("cannot tell the text encoding; give it with --encoding (e.g. gb18030, big5, utf-8)")
    return guess


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
    """The sample cut after its last newline, so a multi-byte character cut in half does not mislead."""
    if len(head) < SAMPLE_BYTES:
        return head
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head

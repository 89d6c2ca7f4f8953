"""HTML e-mail bodies as plain text, the way a mail client would show them.

Block elements end lines, `<br>` always breaks, scripts and styles vanish, entities are decoded and
non-breaking spaces become spaces. Text inside `<blockquote>` (how Gmail, Apple Mail and QQ Mail quote the
earlier mail in HTML) gets a "> " prefix per line, so the quote cutter treats it like a plain-text quote.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}  # followed by a blank line
SKIPPED_TAGS = {"script", "style", "head", "title", "template"}
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._parts: list[str] = []
        self._line_depth = 0
        self._quote_depth = 0
        self._skip_depth = 0
        self._pre_depth = 0

    # a soft break ends the current line if it has text; a hard break (<br>) always ends it
    def _break(self, hard: bool = False) -> None:
        text = "".join(self._parts)
        if self._pre_depth == 0:
            text = text.strip()
        if text or hard:
            self.lines.append("> " * self._line_depth + text if self._line_depth else text)
        self._parts = []
        self._line_depth = self._quote_depth

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in SKIPPED_TAGS:
            self._skip_depth += 1
            return
        if tag == "br":
            self._break(hard=True)
        elif tag in BLOCK_TAGS:
            self._break()
            if tag == "blockquote":
                self._quote_depth += 1
                self._line_depth = self._quote_depth
            elif tag == "pre":
                self._pre_depth += 1
            elif tag == "li":
                self._parts.append("- ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in BLOCK_TAGS:
            self._break()
            if tag == "blockquote":
                self._quote_depth = max(0, self._quote_depth - 1)
                self._line_depth = self._quote_depth
            elif tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
            if tag in PARAGRAPH_TAGS:
                self._break(hard=True)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            for i, piece in enumerate(data.replace("\r\n", "\n").split("\n")):
                if i:
                    self._break(hard=True)
                self._parts.append(piece.replace("\u00a0", " "))
            return
        if not self._parts and self._line_depth != self._quote_depth:
            self._line_depth = self._quote_depth
        self._parts.append(_SPACES.sub(" ", data))

    def text(self) -> str:
        self._break()
        joined = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip("\n")


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()

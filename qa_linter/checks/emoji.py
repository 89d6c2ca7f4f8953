"""`emoji`: Unicode emoji of every kind, found with the `emoji` package on the original text.

The `emoji` package knows every sequence Unicode defines (ZWJ sequences, skin tones, flags, keycaps).
Characters whose default presentation is text (®, ©, ™, ↔) are only emoji when written with the emoji
variation selector, so a registered-trademark sign in a signature is not flagged; `also` lists text-style
pictographs that chat users do mean as emoji (❤, ☺). Kaomoji, ASCII emoticons and platform codes are
lexicons matched by `phrases` rules of the same category.
"""
from __future__ import annotations

import regex

from .base import Rule
from ..text.matching import Hit

_PRESENTATION = regex.compile(r"\p{Emoji_Presentation}")


class EmojiRule(Rule):
    TYPE = "emoji"
    FIELDS = {
        "also": "text-style pictographs that count as emoji even without the emoji variation selector",
        "ignore": "emoji never flagged",
    }

    def compile(self, spec, ctx):
        import emoji  # noqa: F401 - fail at load time, not mid-scan, if it is missing

        self.also = frozenset(str(x) for x in spec.get("also") or [])
        self.ignore = frozenset(str(x) for x in spec.get("ignore") or [])

    def _is_emoji(self, seq: str) -> bool:
        if seq in self.ignore:
            return False
        return len(seq) > 1 or bool(_PRESENTATION.match(seq)) or seq in self.also

    def check(self, conv):
        import emoji

        for view in self.scope.select(conv):
            text = view.text
            if text.isascii():
                continue
            for item in emoji.emoji_list(text):
                seq = item["emoji"]
                if self._is_emoji(seq):
                    start, end = item["match_start"], item["match_end"]
                    yield self.finding(conv, view, Hit(start, end, text[start:end], -1, -1))

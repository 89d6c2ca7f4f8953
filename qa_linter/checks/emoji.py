"""`emoji`: Unicode emoji of every kind, found with the `emoji` package on the original text.

The `emoji` package knows every sequence Unicode defines (ZWJ sequences, skin tones, flags, keycaps).
Characters whose default presentation is text (®, ©, ™, ↔) are only emoji when written with the emoji
variation selector, so a registered-trademark sign in a signature is not flagged; `also` lists text-style
pictographs that chat users do mean as emoji (❤, ☺). Kaomoji, ASCII emoticons and platform codes are
lexicons matched by `phrases` rules of the same category.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import lru_cache
from pathlib import Path

import regex

from ..text.matching import Hit
from ..text.tokenize import read_cache_entries, write_cache_file
from .base import Rule
from .fields import Field

_PRESENTATION = regex.compile(r"\p{Emoji_Presentation}")


@lru_cache(maxsize=1)
def emoji_characters() -> frozenset[str]:
    """Every non-ASCII character of every sequence the `emoji` package knows (about 1,450).

    Each sequence emoji_list can report is made of these (ZWJ sequences join known emoji), so a message
    with none of them holds no emoji and emoji_list, which costs about 20 times this test, is skipped.

    They are kept in the cache folder for the package's data file as installed (its path, size and time): the
    package itself is imported only for a text that holds one of them, so a cold `qa-lint check` of a draft
    without emoji does not pay its 20-25 ms of loading.
    """
    key = _data_key()
    name = f"emoji-characters-{key[:24]}.json" if key else None
    if name is not None:
        kept = read_cache_entries(name, key, "emoji").get("characters")
        if isinstance(kept, str):
            return frozenset(kept)
    import emoji

    characters = frozenset(ch for sequence in emoji.EMOJI_DATA for ch in sequence if not ch.isascii())
    if name is not None:
        write_cache_file(name, json.dumps({"version": key, "emoji": {"characters": "".join(sorted(characters))}}))
    return characters


def _data_key() -> "str | None":
    """What names the `emoji` package's data as installed, or None when its layout is not the one known here."""
    spec = importlib.util.find_spec("emoji")
    if spec is None or not spec.origin:
        return None
    data = Path(spec.origin).parent / "unicode_codes"
    try:
        files = sorted(p for p in data.iterdir() if p.name in ("emoji.json", "data_dict.py", "__init__.py"))
        stamps = [f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]
    except OSError:
        return None
    if not stamps:
        return None
    return hashlib.sha1("\n".join(stamps).encode("utf-8", "surrogatepass")).hexdigest()


class EmojiRule(Rule):
    """Every Unicode emoji sequence (ZWJ sequences, skin tones, flags, keycaps), found with the `emoji` package on
    the original text. A character whose default presentation is text (®, ©, ™, ↔) is an emoji only when written
    with the emoji variation selector, so a trademark sign in a signature is not flagged. Kaomoji and platform
    codes (`[微笑]`) are lexicons for a `phrases` rule of the same category."""

    TYPE = "emoji"
    FIELDS = (
        Field("also", "list of characters", "text-style pictographs (❤, ☺) that count even without the emoji "
              "variation selector", example="[❤, ☺]"),
        Field("ignore", "list of emoji", "emoji never flagged", example="[✅]"),
    )
    MESSAGE_LOCAL = True
    EXAMPLES = """\
  - id: e-emoji
    type: emoji
    category: emoji
    message: "回复中使用了表情符号「{match}」"
    also: [❤]          # a text-style heart still counts
    ignore: [✅]        # a check mark in a status line does not
    examples:
      flag: [好的😊, 收到👍🏻, 爱你❤]
      pass: [好的, 注册商标®, ✅ 已处理]
"""

    def compile(self, spec, ctx):
        # Fail at load time, not mid-scan, if the package is missing (found, not imported: see emoji_characters).
        if importlib.util.find_spec("emoji") is None:
            raise ModuleNotFoundError("No module named 'emoji'", name="emoji")

        self.also = frozenset(str(x) for x in spec.get("also") or [])
        self.ignore = frozenset(str(x) for x in spec.get("ignore") or [])

    def _is_emoji(self, seq: str) -> bool:
        if seq in self.ignore:
            return False
        return len(seq) > 1 or bool(_PRESENTATION.match(seq)) or seq in self.also

    def block_targets(self, index, rows=None):
        # Only a scope message holding a character of some emoji sequence is asked about.
        return index.channel(self.channels) & index.per_conversation(
            index.emoji_candidates(emoji_characters()) & index.scope(self.scope))

    def check(self, conv):
        candidates = None if conv.toolkit.reference else emoji_characters()
        for view in self.scope.select(conv):
            text = view.text
            if text.isascii() or (candidates is not None and candidates.isdisjoint(text)):
                continue
            import emoji  # here: a text without any emoji character never loads the package

            for item in emoji.emoji_list(text):
                seq = item["emoji"]
                if self._is_emoji(seq):
                    start, end = item["match_start"], item["match_end"]
                    yield self.finding(conv, view, Hit(start, end, text[start:end], -1, -1))

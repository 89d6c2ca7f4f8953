"""Patterns compiled without IGNORECASE where case cannot matter (prefilter.case_free) match exactly as before."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

from qa_linter import Linter
from qa_linter.text import matching
from qa_linter.text.normalize import normalize
from qa_linter.text.prefilter import CASE_CLOSED_PROPERTIES, case_free
from qa_linter.vocabulary import PATTERN_FLAGS

CORPUS = Path(__file__).parent / "data" / "corpus" / "transcripts.jsonl"
CASED = "".join(chr(c) for c in range(0x110000)
                if not 0xD800 <= c <= 0xDFFF
                and (chr(c).lower() != chr(c) or chr(c).upper() != chr(c) or chr(c).casefold() != chr(c)))


def _variants(ch: str) -> set[str]:
    """The single characters Python's case mappings take `ch` to (the `regex` module's case classes)."""
    return {v for v in (ch.lower(), ch.upper(), ch.casefold(), ch.title(), ch.swapcase()) if len(v) == 1}


@pytest.mark.parametrize("atom", [f"\\p{{{name}}}" for name in sorted(CASE_CLOSED_PROPERTIES)]
                         + [f"\\P{{{name}}}" for name in sorted(CASE_CLOSED_PROPERTIES)]
                         + [r"\d", r"\D", r"\s", r"\S", r"\w", r"\W", ".", "[^。！？]"])
def test_case_closed_atoms_answer_alike_for_every_cased_character(atom):
    # Only a character with another case can be answered differently with IGNORECASE; every one is asked.
    plain = regex.compile(atom, PATTERN_FLAGS & ~regex.IGNORECASE)
    folded = regex.compile(atom, PATTERN_FLAGS)
    differ = [ch for ch in CASED if bool(plain.fullmatch(ch)) != bool(folded.fullmatch(ch))]
    assert differ == []


def test_a_caseless_character_is_no_case_variant_of_a_cased_one():
    from qa_linter.text.prefilter import _caseless

    assert all(not _caseless(ord(v)) for ch in CASED for v in _variants(ch))
    assert _caseless(ord("您")) and _caseless(ord("。")) and _caseless(ord("7"))
    assert not _caseless(ord("ς")) and not _caseless(ord("ſ")) and not _caseless(ord("Ａ"))


@pytest.mark.parametrize("source,named,expected", [
    ("(看看|看一下)[^。!！?？\\n]{0,12}(是否|能不能)", None, True),
    ("(?<![\\d*])1[3-9]\\d{9}(?!\\d)", None, True),
    ("(想|要)(\\p{Han}{1,2})就\\2吧", None, False),          # a back-reference compares captured text
    ("[\\u4e00-\\u9fa5]{2}密码", None, True),
    ("(?i)密码", None, False),                              # an inline flag
    ("(?i:密)码", None, False),
    ("ssl证书", None, False),
    ("[^a-z]密码", None, False),
    ("\\p{Lu}\\d", None, False),
    ("\\p{L}+", None, False),
    ("σ", None, False),
    ("\\x41", None, False),                                 # an escape Python reads as a cased letter
    ("用\\L<tools>连接", {"tools": ["向日葵", "todesk"]}, False),
    ("用\\L<tools>连接", {"tools": ["向日葵", "云电脑"]}, True),
    ("\\m密码", None, False),                               # `regex` syntax the analysis does not read
    ("[\\x00-\\U0010ffff]", None, False),
])
def test_case_free_verdicts(source, named, expected):
    assert case_free(source, named) is expected


def _built_in_patterns() -> list:
    import gc

    linter = Linter.from_config()  # noqa: F841 - held while its matchers are looked for
    found = {}
    for obj in gc.get_objects():
        if isinstance(obj, matching.PatternMatcher):
            for pattern in obj.compiled:
                found[(pattern.pattern, pattern.flags)] = pattern
    return list(found.values())


def _texts() -> list[str]:
    texts = [CASED, CASED.lower(), "ΣΑΣ σας ς ſ K Å ǅ ǆ ﬀ İı", "TeamViewer ToDesk SSL DNS"]
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        for message in json.loads(line)["messages"]:
            texts.append(message["text"])
            texts.append(normalize(message["text"]).text)
    return texts


def test_every_case_free_pattern_of_the_pack_matches_as_with_ignorecase():
    patterns = [p for p in _built_in_patterns() if not p.flags & regex.IGNORECASE]
    assert len(patterns) > 500  # most of the pack is Chinese, digits and punctuation
    texts = _texts()
    for pattern in patterns:
        named = getattr(pattern, "named_lists", {}) or {}
        folded = regex.compile(pattern.pattern, pattern.flags | regex.IGNORECASE, **named)
        plain = regex.compile(pattern.pattern, pattern.flags, **named)
        for text in texts:
            assert [m.span() for m in plain.finditer(text)] == [m.span() for m in folded.finditer(text)], pattern.pattern


def test_the_personal_data_patterns_are_compiled_with_the_flags_of_every_rule_pattern():
    from qa_linter.vocabulary import PII_PATTERNS, pattern_flags

    for kind in PII_PATTERNS.values():
        assert kind.pattern.flags == regex.compile(kind.pattern.pattern, pattern_flags(kind.pattern.pattern)).flags, kind.kind
    assert not PII_PATTERNS["mobile"].pattern.flags & regex.IGNORECASE  # digits: the faster search

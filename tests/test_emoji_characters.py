"""The characters of the emoji package's sequences, kept in the cache folder so a draft without emoji does not
load the package (checks/emoji.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from qa_linter.checks import emoji as emoji_rule


@pytest.fixture()
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(tmp_path / "cache"))
    emoji_rule.emoji_characters.cache_clear()
    yield tmp_path / "cache"
    emoji_rule.emoji_characters.cache_clear()


def _from_the_package() -> frozenset[str]:
    import emoji

    return frozenset(ch for sequence in emoji.EMOJI_DATA for ch in sequence if not ch.isascii())


def test_the_kept_characters_are_the_packages(fresh):
    first = emoji_rule.emoji_characters()
    assert first == _from_the_package() and len(first) > 1000
    (stored,) = fresh.glob("emoji-characters-*.json")
    emoji_rule.emoji_characters.cache_clear()
    assert emoji_rule.emoji_characters() == first  # read back from the file
    stored.write_text('{"key": "another", "characters": "x"}', encoding="utf-8")
    emoji_rule.emoji_characters.cache_clear()
    assert emoji_rule.emoji_characters() == first  # a foreign file is not trusted


def test_a_draft_without_emoji_does_not_load_the_package_and_one_with_emoji_is_flagged(tmp_path):
    probe = (
        "import sys\n"
        "from qa_linter import Linter\n"
        "linter = Linter.from_config()\n"
        "plain = linter.check_reply('您好，请把光猫重启一下')\n"
        "print('LOADED', 'emoji' in sys.modules)\n"
        "flagged = linter.check_reply('好的😀')\n"
        "print('FLAGGED', [f.rule for f in flagged.findings if f.category == 'emoji'])\n"
    )
    env = {"QA_LINTER_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""}
    for _ in range(2):  # the first time fills the cache folder
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8",
                                env=env, cwd=tmp_path, timeout=120)
    assert "LOADED False" in result.stdout, result.stdout + result.stderr
    assert "FLAGGED ['emoji-unicode']" in result.stdout, result.stdout + result.stderr

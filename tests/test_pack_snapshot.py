"""The compiled pack kept in the cache folder (qa_linter/pack_snapshot.py): used only when nothing it was built from
changed, and judging exactly as a pack built anew."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from qa_linter import Linter, vocabulary
from qa_linter import loader as loader_module
from qa_linter.errors import RuleLoadError
from qa_linter.presend import check_reply

RULES = """\
rules:
  - id: s-taboo
    type: phrases
    category: banned-phrase
    message: "服务忌语「{match}」"
    lexicon: my-taboo
    examples:
      flag: [这个我不知道]
      pass: [我知道了]
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    from qa_linter.text import tokenize

    folder = tmp_path / "cache"
    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(folder))
    monkeypatch.setattr(tokenize, "_temporary_cache_dir", lambda: tmp_path / "fallback")
    return folder


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """Counts the packs actually compiled (not taken from a snapshot)."""
    counted: list[int] = []
    compile_rules = loader_module._compile_rules

    def counting(*args, **kwargs):
        counted.append(1)
        return compile_rules(*args, **kwargs)

    monkeypatch.setattr(loader_module, "_compile_rules", counting)
    return counted


def _pack_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    (folder / "lexicons").mkdir(parents=True)
    (folder / "rules.yaml").write_text(RULES, encoding="utf-8")
    (folder / "lexicons" / "my-taboo.txt").write_text("不知道\n", encoding="utf-8")
    return folder


def _load(folder: Path) -> Linter:
    return Linter.from_config(rules=[folder], builtin=False)


def _found(linter: Linter, text: str) -> list[str]:
    return [f.text for f in linter.scan({"id": "c", "messages": [{"role": "agent", "text": text}]})]


def test_the_same_inputs_built_a_second_time_are_kept_and_then_loaded_whole(tmp_path, cache, builds):
    folder = _pack_folder(tmp_path)
    first = _load(folder)
    assert not list(cache.glob("pack-*.pickle"))  # a one-off pack leaves a marker only
    assert list(cache.glob("pack-*.seen"))
    _load(folder)
    assert len(list(cache.glob("pack-*.pickle"))) == 1
    third = _load(folder)
    assert len(builds) == 2
    assert third.pack.fingerprint == first.pack.fingerprint
    assert third.pack.files == first.pack.files and third.pack.lexicon_files == first.pack.lexicon_files
    assert _found(third, "这个我不知道") == ["不知道"]


def test_a_changed_lexicon_is_read_again_even_with_the_same_size_and_time(tmp_path, cache, builds):
    folder = _pack_folder(tmp_path)
    lexicon = folder / "lexicons" / "my-taboo.txt"
    _load(folder), _load(folder)
    stat = lexicon.stat()
    lexicon.write_text("没办法\n", encoding="utf-8")  # as many bytes as 不知道
    os.utime(lexicon, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    linter = _load(folder)
    assert len(builds) == 3
    assert _found(linter, "这个我不知道") == [] and _found(linter, "没办法") == ["没办法"]


def test_a_lexicon_added_where_it_is_looked_for_first_is_seen(tmp_path, cache, builds):
    folder = _pack_folder(tmp_path)
    _load(folder), _load(folder)
    (folder / "my-taboo.txt").write_text("不清楚\n", encoding="utf-8")  # beside the rule file: before lexicons/
    linter = _load(folder)
    assert len(builds) == 3
    assert _found(linter, "我不清楚") == ["不清楚"] and _found(linter, "这个我不知道") == []


def test_a_rule_file_added_to_a_rule_folder_is_loaded(tmp_path, cache, builds):
    folder = _pack_folder(tmp_path)
    _load(folder), _load(folder)
    (folder / "more").mkdir()
    _load(folder)
    (folder / "more" / "slang.yaml").write_text(
        "rules:\n  - id: s-slang\n    type: phrases\n    category: slang\n    message: 网络用语\n    terms: [木有]\n",
        encoding="utf-8")
    linter = _load(folder)
    assert len(builds) == 4
    assert sorted(r.id for r in linter.rules) == ["s-slang", "s-taboo"]


def test_other_arguments_are_another_pack(tmp_path, cache, builds):
    folder = _pack_folder(tmp_path)
    _load(folder), _load(folder)
    severe = Linter.from_config(rules=[folder], builtin=False, severity={"s-taboo": "error"})
    assert len(builds) == 3
    assert str(severe.rules[0].severity) == "error"
    assert str(_load(folder).rules[0].severity) != "error"


def test_a_damaged_snapshot_is_built_again(tmp_path, cache, builds):
    folder = _pack_folder(tmp_path)
    _load(folder), _load(folder)
    snapshot = next(cache.glob("pack-*.pickle"))
    data = bytearray(snapshot.read_bytes())
    data[-100] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    linter = _load(folder)
    assert len(builds) == 3
    assert _found(linter, "这个我不知道") == ["不知道"]
    snapshot.write_bytes(b"qa-linter pack snapshot 1\n{not json")
    assert _found(_load(folder), "这个我不知道") == ["不知道"]
    assert len(builds) == 4


def test_a_pack_with_a_mistake_is_never_kept(tmp_path, cache):
    folder = _pack_folder(tmp_path)
    (folder / "rules.yaml").write_text(RULES.replace("type: phrases", "type: no-such-type"), encoding="utf-8")
    for _ in range(3):
        with pytest.raises(RuleLoadError):
            _load(folder)
    assert not list(cache.glob("pack-*.pickle"))


def test_warnings_are_given_again_by_a_kept_pack(tmp_path, cache, builds):
    old_name = Path(__file__).parent / "data" / "rules" / "pattern.yaml"
    for _ in range(3):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Linter.from_config(rules=[old_name], builtin=False)
        assert any("token_patterns" in str(w.message) for w in caught)
    assert len(builds) == 2


def test_the_built_in_pack_from_a_snapshot_judges_as_one_built_anew(cache, builds, corpus_conversations):
    built = Linter.from_config()
    Linter.from_config()
    kept = Linter.from_config()
    assert len(builds) == 2
    # What the pack shares with qa_linter's modules is that very object again (the masker's PII patterns).
    for rule_id, kind in (("pii-mobile", "mobile"), ("pii-email", "email")):
        assert kept.pack.get(rule_id).match.patterns.compiled == [vocabulary.PII_PATTERNS[kind].pattern]
    for conversation in corpus_conversations:
        assert [f.to_dict() for f in kept.scan(conversation)] == [f.to_dict() for f in built.scan(conversation)]
    # The per-message automaton comes built in the snapshot: pre-send checks of drafts, each with its context.
    for conversation in corpus_conversations[:40]:
        messages = conversation["messages"]
        for i, message in enumerate(messages):
            if message["role"] != "agent":
                continue
            context = {**conversation, "messages": messages[:i]}
            assert _judged(check_reply(kept, message["text"], context)) == \
                _judged(check_reply(built, message["text"], context))


def _judged(result) -> dict:
    return {key: value for key, value in result.to_dict().items() if key != "elapsed_ms"}


def test_the_same_pack_from_another_folder_is_the_same_snapshot(tmp_path, cache, builds, monkeypatch):
    folder = _pack_folder(tmp_path)
    _load(folder), _load(folder)
    monkeypatch.chdir(tmp_path)
    _load(folder)
    assert len(builds) == 2


def test_a_relative_rule_path_is_the_folder_it_names_from_where_it_is_given(tmp_path, cache, builds, monkeypatch):
    for place, term in (("a", "不知道"), ("b", "不清楚")):
        folder = _pack_folder(tmp_path / place)
        (folder / "lexicons" / "my-taboo.txt").write_text(term + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "a")
    _load(Path("pack")), _load(Path("pack"))
    monkeypatch.chdir(tmp_path / "b")
    linter = _load(Path("pack"))
    assert len(builds) == 3
    assert _found(linter, "我不清楚") == ["不清楚"] and _found(linter, "这个我不知道") == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file modes and owners of POSIX")
def test_a_snapshot_others_can_write_is_never_loaded(tmp_path, cache, builds):
    folder = _pack_folder(tmp_path)
    _load(folder), _load(folder)
    snapshot = next(cache.glob("pack-*.pickle"))
    snapshot.chmod(0o666)
    _load(folder)  # built again, and kept anew (user-only)
    assert len(builds) == 3
    assert snapshot.stat().st_mode & 0o777 == 0o600
    _load(folder)
    assert len(builds) == 3


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file modes and owners of POSIX")
def test_a_temporary_cache_folder_others_can_write_is_neither_read_nor_written(tmp_path, monkeypatch):
    from qa_linter.text import tokenize

    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "planted.json").write_text("{}", encoding="utf-8")
    shared.chmod(0o777)
    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(blocked / "cache"))  # cannot be made: the fallback is asked
    monkeypatch.setattr(tokenize, "_temporary_cache_dir", lambda: shared)
    assert tokenize.read_cache_file("planted.json") is None
    assert not tokenize.write_cache_file("written.json", "{}")
    assert not (shared / "written.json").exists()
    shared.chmod(0o700)
    assert tokenize.read_cache_file("planted.json") == "{}"


def test_a_kept_pack_knows_how_long_a_text_each_pattern_may_search_untimed(cache, builds, corpus_conversations,
                                                                          monkeypatch):
    """Every pattern's untimed limit (matching.untimed_of) comes with the snapshot: a scan works none out (which
    would read the gate cache in every process), compiled patterns included (given back by their matcher)."""
    from qa_linter.text import matching

    built = Linter.from_config()
    expected = [[f.to_dict() for f in built.scan(conversation)] for conversation in corpus_conversations]
    Linter.from_config()
    monkeypatch.setattr(matching, "_UNTIMED_BY_ID", {})  # as in a new process: only what the snapshot gives back
    kept = Linter.from_config()
    assert len(builds) == 2
    monkeypatch.setattr(matching, "untimed_limit", lambda pattern: pytest.fail(f"worked out again: {pattern.pattern}"))
    assert [[f.to_dict() for f in kept.scan(conversation)] for conversation in corpus_conversations] == expected

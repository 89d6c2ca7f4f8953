"""YAML files read again from the cache folder: the same data and the same lines as parsing them, or parsed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_linter import yamlfile
from qa_linter.errors import RuleError
from qa_linter.resources import builtin_rules
from qa_linter.yamlfile import LineDict, LineList, load_yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _parsed(path: Path):
    """What the loader makes of the file, no cache asked."""
    import yaml

    return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yamlfile._line_loader())  # noqa: S506


def _same(a, b, where="") -> None:
    """Equal values, and equal lines for every mapping, key and sequence item, at every depth."""
    assert type(a) is type(b), where
    if isinstance(a, LineDict):
        assert (a.line, a.key_lines, list(a)) == (b.line, b.key_lines, list(b)), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, LineList):
        assert (a.item_lines, len(a)) == (b.item_lines, len(b)), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _yaml_files() -> list[Path]:
    found = sorted(builtin_rules().glob("*.yaml")) + sorted((ROOT / "tests" / "data").rglob("*.yaml"))
    return found + [ROOT / "tests" / "data" / "devset" / "qa-linter.yaml"]


def test_every_yaml_file_of_the_project_reads_the_same_from_the_cache(cache):
    files = [f for f in _yaml_files() if f.is_file()]
    assert len(files) > 20
    first = {}
    for path in files:
        try:
            first[path] = load_yaml(path)  # parsed, then written to the cache
        except RuleError:
            continue  # a file of the tests' own that is meant to be broken
    assert len(list(cache.glob("yaml-*.json"))) > 10
    for path, data in first.items():
        again = load_yaml(path)  # from the cache
        _same(again, _parsed(path), str(path))
        _same(again, data, str(path))


def test_the_cache_is_read_instead_of_parsing(cache, monkeypatch, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: a\n    terms: [甲, 乙]\n", encoding="utf-8")
    load_yaml(path)
    import yaml

    monkeypatch.setattr(yaml, "load", lambda *a, **k: pytest.fail("parsed although cached"))
    data = load_yaml(path)
    assert data["rules"][0]["terms"] == ["甲", "乙"] and data["rules"][0].line == 2
    assert data["rules"][0].key_lines == {"id": 2, "terms": 3} and data["rules"][0]["terms"].item_lines == [3, 3]


def test_an_edited_file_is_parsed_again(cache, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert load_yaml(path) == {"a": 1}
    path.write_text("a: 2\n", encoding="utf-8")
    assert load_yaml(path) == {"a": 2}


def test_a_damaged_cache_file_is_not_trusted(cache, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("a: [1, 2]\nb: {c: d}\n", encoding="utf-8")
    expected = load_yaml(path)
    (stored,) = cache.glob("yaml-*.json")
    good = stored.read_text(encoding="utf-8")
    for damaged in (good[: len(good) // 2], "[]", '{"sha1": "another", "data": 5}', good.replace('"d"', '"x"')):
        stored.write_text(damaged, encoding="utf-8")
        _same(load_yaml(path), expected)
        assert stored.read_text(encoding="utf-8") == good  # written anew


@pytest.mark.parametrize(("text", "key", "check"), [
    ("when: 2026-12-06\n", "when", lambda v: str(v) == "2026-12-06"),  # a date
    ("limit: .inf\n", "limit", lambda v: v == float("inf")),  # JSON has no infinity
    ("limit: .nan\n", "limit", lambda v: v != v),
    ("tags: !!set {a: null}\n", "tags", lambda v: v == {"a"}),
])
def test_values_that_are_not_plain_data_are_parsed_every_time(cache, tmp_path, text, key, check):
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    assert check(load_yaml(path)[key])
    assert list(cache.glob("yaml-*.json")) == []
    assert check(load_yaml(path)[key])


def test_a_broken_file_is_reported_at_its_line_whatever_the_cache(cache, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("rules:\n  - id: a\n   bad: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RuleError) as info:
            load_yaml(path)
        assert info.value.line == 3
    assert list(cache.glob("yaml-*.json")) == []


def test_numbers_and_text_of_every_kind_read_back_the_same(cache, tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text('big: 123456789012345678901234567890\nsmall: -0.5\nyes: true\nnothing: null\n'
                    'quote: "引号\\"和\\\\反斜杠"\nkeys: {1: a, false: b, null: c, 2.5: d}\n', encoding="utf-8")
    first = load_yaml(path)
    assert len(list(cache.glob("yaml-*.json"))) == 1
    _same(load_yaml(path), first)
    assert first["big"] == 123456789012345678901234567890 and list(first["keys"]) == [1, False, None, 2.5]


def test_only_the_most_recent_files_stay(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(yamlfile, "_CACHED_FILES_KEPT", 3)
    for n in range(5):
        path = tmp_path / f"f{n}.yaml"
        path.write_text(f"n: {n}\n", encoding="utf-8")
        load_yaml(path)
    assert len(list(cache.glob("yaml-*.json"))) == 3


_IMPORTED = (
    "import sys\n"
    "sys.argv = ['qa-lint', *sys.argv[1:]]\n"
    "from qa_linter.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "print('IMPORTED', sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] == 'yaml'}"
    " | {m for m in sys.modules if m == 'rich.progress'}))\n"
)


def _imported(args: list[str], cache: Path, folder: Path) -> str:
    run = subprocess.run([sys.executable, "-c", _IMPORTED, *args], capture_output=True, text=True, encoding="utf-8",
                         cwd=folder, timeout=120, env={**os.environ, "QA_LINTER_CACHE_DIR": str(cache)})
    lines = [line for line in run.stdout.splitlines() if line.startswith("IMPORTED")]
    assert lines, run.stdout + run.stderr
    return lines[-1]


@pytest.mark.parametrize("args", [
    ["scan", "--format", "jsonl", "talk.jsonl", "--config", "qa-linter.yaml"],
    ["check", "您好，请把验证码发给我", "--config", "qa-linter.yaml"],
])
def test_once_its_files_are_cached_a_command_does_not_import_pyyaml(cache, tmp_path, args):
    """Rules, scorecard and settings come from the cache after the first run: PyYAML's import (15-20 ms of every
    start) is left out; so is rich's progress display when stderr is no terminal."""
    (tmp_path / "qa-linter.yaml").write_text("fail_on: error\n", encoding="utf-8")
    (tmp_path / "talk.jsonl").write_text(
        '{"id": "c1", "channel": "chat", "messages": [{"role": "customer", "text": "你好"}, '
        '{"role": "agent", "text": "您好，请问有什么可以帮您？"}]}\n', encoding="utf-8")
    assert _imported(args, cache, tmp_path) == "IMPORTED ['yaml']"  # parsed the first time, and kept
    assert _imported(args, cache, tmp_path) == "IMPORTED []"

"""The block engine's character tables kept in the cache folder (blocks/tables.py) equal the tables computed."""
from __future__ import annotations

import numpy as np
import pytest

from qa_linter.blocks import tables as tables_module


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("QA_LINTER_CACHE_DIR", str(folder))
    monkeypatch.setattr(tables_module, "_TABLES", None)
    return folder


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype == getattr(b, f).dtype
               for f in tables_module._ARRAYS)


def test_kept_tables_are_the_tables_computed(cache, monkeypatch):
    computed = tables_module.tables()
    (kept_file,) = cache.glob("block-tables-*.npz")
    monkeypatch.setattr(tables_module, "_TABLES", None)
    monkeypatch.setattr(tables_module.Tables, "__init__", lambda self: pytest.fail("computed, not read"))
    assert _same(tables_module.tables(), computed)
    assert kept_file.exists()


def test_a_damaged_file_is_computed_again(cache, monkeypatch):
    computed = tables_module.tables()
    (kept_file,) = cache.glob("block-tables-*.npz")
    for damaged in (b"not a zip", kept_file.read_bytes()[:1000]):
        kept_file.write_bytes(damaged)
        monkeypatch.setattr(tables_module, "_TABLES", None)
        assert _same(tables_module.tables(), computed)
    assert _same(tables_module._kept_tables(), computed)  # rewritten whole

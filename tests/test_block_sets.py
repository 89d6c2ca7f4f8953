"""blocks.sets.distinct: np.unique's result, without np.unique's costs."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from qa_linter.blocks.sets import distinct


@pytest.mark.parametrize("size", [0, 1, 2, 3, 17, 1000, 50_000])
@pytest.mark.parametrize("high", [1, 7, 10**9])
def test_distinct_is_what_np_unique_gives(size, high):
    values = np.random.default_rng(size * 31 + high).integers(-high, high + 1, size, dtype=np.int64)
    got, want = distinct(values), np.unique(values)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_distinct_of_sorted_and_of_reversed_runs():
    values = np.repeat(np.arange(5, dtype=np.int64), 3)
    assert distinct(values).tolist() == [0, 1, 2, 3, 4]
    assert distinct(values[::-1].copy()).tolist() == [0, 1, 2, 3, 4]


def test_a_scan_does_not_import_numpy_ma(tmp_path):
    """np.unique imports numpy.ma (about 12 ms of every scan's start); the block engine does without it."""
    talk = tmp_path / "talk.jsonl"
    talk.write_text('{"id": "c1", "channel": "chat", "messages": [{"role": "customer", "text": "你好，网速很慢"}, '
                    '{"role": "agent", "text": "您好，请重启一下光猫再试试，看看是否恢复了？"}]}\n', encoding="utf-8")
    probe = ("import sys\nsys.argv = ['qa-lint', 'scan', '--format', 'jsonl', 'talk.jsonl', '--jobs', '1']\n"
             "from qa_linter.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('BLOCKS', 'qa_linter.blocks.fold' in sys.modules, 'MA', 'numpy.ma' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8", cwd=tmp_path,
                         timeout=120, env={**os.environ, "QA_LINTER_CACHE_DIR": str(tmp_path / "cache")})
    assert "BLOCKS True MA False" in run.stdout, run.stdout + run.stderr

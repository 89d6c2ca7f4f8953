"""Where the bundled data lives: inside the wheel (qa_linter/_data/…) or, in a source checkout, the repo root."""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`rules`, `lexicons`, `reports` (templates) or `examples`."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def builtin_rules() -> Path:
    return data_dir("rules")


def builtin_lexicons() -> Path:
    return data_dir("lexicons")


def examples_dir() -> Path:
    return data_dir("examples")


def templates_dir() -> Path:
    return data_dir("reports")

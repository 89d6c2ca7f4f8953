"""Shared fixtures: paths of the bundled test data, and linters built once per session."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
TEST_RULES = DATA / "rules" / "all-types.yaml"


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    return CORPUS / "transcripts.jsonl"


@pytest.fixture(scope="session")
def corpus_conversations(corpus_path):
    return [json.loads(line) for line in corpus_path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def test_linter():
    """A linter with only the small test pack (every rule type), independent of the built-in rules."""
    from qa_linter import Linter

    return Linter.from_config(rules=[TEST_RULES], builtin=False)


@pytest.fixture(scope="session")
def builtin_linter():
    from qa_linter import Linter

    return Linter.from_config()

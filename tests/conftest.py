"""Shared fixtures: paths of the bundled test data, and linters built once per session."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The tests' packs (built-in, test packs, temporary rules) go to a cache folder of this run, not the developer's
# ~/.cache/qa-linter, where they would be kept and read at every start of the real tool. Subprocesses inherit it.
# A folder set on purpose (QA_LINTER_CACHE_DIR) is used as it is.
_RUN_CACHE = None
if not os.environ.get("QA_LINTER_CACHE_DIR"):
    _RUN_CACHE = os.environ["QA_LINTER_CACHE_DIR"] = tempfile.mkdtemp(prefix="qa-linter-tests-")


def pytest_sessionfinish(session, exitstatus):
    if _RUN_CACHE is not None:
        shutil.rmtree(_RUN_CACHE, ignore_errors=True)


DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
TEST_RULES = DATA / "rules" / "all-types.yaml"


@pytest.fixture
def outside_any_project(tmp_path, monkeypatch):
    """Run from an empty folder, so that no qa-linter.yaml or pyproject.toml of the checkout is picked up (a
    module asks for it with `pytestmark = pytest.mark.usefixtures("outside_any_project")`)."""
    monkeypatch.chdir(tmp_path)


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


@pytest.fixture(scope="session")
def start_service(test_linter):
    """Start the HTTP service on a free loopback port in a background thread; returns its base URL.

    `start_service(token=..., max_body_bytes=...)` takes ServiceSettings fields; `linter=` another Linter.
    Servers stop at the end of the session.
    """
    import socket
    import threading
    import time

    import uvicorn

    from qa_linter.service.app import create_app
    from qa_linter.service.server import uvicorn_config
    from qa_linter.service.settings import ServiceSettings

    running = []

    def start(linter=None, **fields) -> str:
        settings = ServiceSettings(**{"no_builtin": True, "rules": [str(TEST_RULES)], **fields})
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        config = uvicorn_config(settings, create_app(settings, linter or test_linter), port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test service did not start")
            time.sleep(0.01)
        running.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
    for server, thread in running:
        thread.join(timeout=10)

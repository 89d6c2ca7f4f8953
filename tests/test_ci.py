"""The README's test command is the one CI runs: .ci/run says it runs it verbatim, so keep them equal."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = re.search(r"Install the test extras and run the tests:\s*```sh\n(.+?)\n```", readme).group(1)
    ci_command = ci.split("# The README's test command, verbatim:\n", 1)[1].splitlines()[0]
    assert ci_command == command
    assert "spark" in command  # the Spark tests run in CI too (qa-linter[spark])

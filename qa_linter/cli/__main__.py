"""`python -m qa_linter.cli`: the same as the `qa-lint` command."""
from __future__ import annotations

from . import main

main()

"""Where a rule is being compiled: what every rule type's compile step (and the conditions it builds) reports to."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..errors import RuleError
from ..text.lexicon import Lexicon

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import Toolkit


class CompileContext:
    """Where a rule is being compiled: its file, the shared toolkit, lexicons, and the error list."""

    def __init__(self, toolkit: "Toolkit", lexicon_lookup: Callable[[str], Lexicon | None], lexicon_names: Callable[[], list[str]]):
        self.toolkit = toolkit
        self.lexicon_lookup = lexicon_lookup
        self.lexicon_names = lexicon_names
        self.path: str | None = None
        self.rule_id: str | None = None
        self.errors: list[RuleError] = []
        self.warnings: list[RuleError] = []  # the rule still loads (a field under its old name)
        self.refused: list[RuleError] = []  # the rule is left out, the others load (a pattern unsafe to compile)

    def error(self, reason: str, line: int | None) -> None:
        self.errors.append(RuleError(self.path, line, reason, self.rule_id))

    def warn(self, reason: str, line: int | None) -> None:
        self.warnings.append(RuleError(self.path, line, reason, self.rule_id))

    def refuse(self, reason: str, line: int | None) -> None:
        """A part of the rule that is valid but unsafe to build (a pattern whose compiling would exhaust memory):
        the rule is left out and reported, the other rules load and run (see loader.load_rule_pack)."""
        self.refused.append(RuleError(self.path, line, reason, self.rule_id))

"""Errors a user can fix: each names the place (file and line) and what to do about it."""
from __future__ import annotations


class QALinterError(Exception):
    """Base for errors shown to the user as one line, never as a traceback."""


class RuleError(QALinterError):
    def __init__(self, path: str | None, line: int | None, reason: str, rule_id: str | None = None):
        self.path = path
        self.line = line
        self.reason = reason
        self.rule_id = rule_id
        super().__init__(self.describe())

    def __reduce__(self):
        # A pack's warnings and refused rules are RuleErrors: pickled (a pack snapshot, a Spark task) by their fields.
        return (type(self), (self.path, self.line, self.reason, self.rule_id))

    def describe(self) -> str:
        where = self.path or "<rules>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        rule = f" [{self.rule_id}]" if self.rule_id else ""
        return f"{where}:{rule} {self.reason}"


class _EveryMistake(QALinterError):
    """A file or pack that is not valid, with every mistake found (each with file and line), not only the first."""

    def __init__(self, errors: list[RuleError]):
        self.errors = errors
        super().__init__("\n".join(e.describe() for e in errors))


class RuleLoadError(_EveryMistake):
    """Loading a rule pack failed."""


class ConfigError(QALinterError):
    pass


class ScorecardError(_EveryMistake):
    """scorecard.yaml is not valid."""


class SuppressionError(_EveryMistake):
    """The suppressions file is not valid."""

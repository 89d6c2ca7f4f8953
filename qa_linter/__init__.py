"""qa-linter: checks customer-service conversations against a company's service standards."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Linter", "Finding", "Conversation", "Message", "Severity", "__version__"]


def __getattr__(name):
    # Lazy, so `import qa_linter` stays cheap for the pre-send path and the CLI's start-up.
    if name == "Linter":
        from .engine import Linter

        return Linter
    if name in ("Finding", "Conversation", "Message", "Severity"):
        from . import model

        return getattr(model, name)
    raise AttributeError(name)

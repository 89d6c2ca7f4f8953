"""Results store: scans record per-conversation results; reports read them back (see base.ResultStore).

`open_store` is the one place that knows which implementation a location means (today a SQLite file; a server
database would be a second module behind the same protocol, chosen by a URL scheme).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ResultStore, ScanResult, StoredConversation, StoredFinding, StoreError

if TYPE_CHECKING:  # pragma: no cover
    from ..masking import Masker

__all__ = ["ResultStore", "ScanResult", "StoredConversation", "StoredFinding", "StoreError", "open_store"]


def open_store(location: str, masker: "Masker | None" = None, create: bool = True) -> ResultStore:
    """The store at `location`: a file path (SQLite) or `sqlite:///path`."""
    if "://" in location and not location.startswith("sqlite:///"):
        scheme = location.split("://", 1)[0]
        raise StoreError(f"{location}: unsupported store type {scheme!r}; use a file path (SQLite)")
    from .sqlite import SQLiteStore

    path = location[len("sqlite:///"):] if location.startswith("sqlite:///") else location
    return SQLiteStore(path, masker=masker, create=create)

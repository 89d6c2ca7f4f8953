"""Results store: scans record per-conversation results; reports read them back (see base.ResultStore)."""
from __future__ import annotations

from .base import ResultStore, ScanResult, StoredConversation, StoredFinding, StoreError, open_store

__all__ = ["ResultStore", "ScanResult", "StoredConversation", "StoredFinding", "StoreError", "open_store"]

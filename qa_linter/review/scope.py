"""Which stored conversations a review command looks at: one ISO week (--week) or the whole store."""
from __future__ import annotations

from ..reporting.periods import Period, local, parse_week, zone
from ..store.base import StoredConversation


def period_of(week: str | None, tz_name: str | None, config) -> tuple[Period | None, object]:
    """The ISO week asked for (None: everything) and the time zone weeks are counted in."""
    tz = zone(tz_name or (config.get("timezone") if config is not None else None))
    return (parse_week(week, tz) if week else None), tz


def conversations_in(store, period: Period | None, tz) -> list[StoredConversation]:
    if period is None:
        return store.all_conversations()
    return [c for c in store.conversations(period.start, period.end)
            if c.started_at is not None and period.contains(local(c.started_at, tz))]

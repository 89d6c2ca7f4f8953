"""`qa-lint report weekly`: choose the period and the source (a store, or transcripts scanned now), write it out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..errors import QALinterError
from ..masking import Masker
from ..store import ResultStore, open_store
from .periods import Period, check_reportable, date_range, last_complete_week, parse_day, parse_week, zone
from .render import render_text, scorecard_links, write_report
from .weekly import WeeklyReport, build_report


class ReportError(QALinterError):
    pass


@dataclass
class WeeklyOptions:
    week: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    tz_name: str | None = None
    weeks: int = 8
    out_dir: str = "."
    fmt: str = "html"
    scorecards_dir: str | None = None


def choose_period(options: WeeklyOptions, config, now: datetime | None = None) -> tuple[Period, str]:
    period, tz_name = _period(options, config, now)
    check_reportable(period, options.weeks)
    return period, tz_name


def _period(options: WeeklyOptions, config, now: datetime | None) -> tuple[Period, str]:
    tz_name = options.tz_name or (config.get("timezone") if config is not None else None) or "Asia/Shanghai"
    tz = zone(tz_name)
    if options.week and (options.date_from or options.date_to):
        raise ReportError("give either --week or --from/--to, not both")
    if options.week:
        return parse_week(options.week, tz), tz_name
    if options.date_from or options.date_to:
        if not (options.date_from and options.date_to):
            raise ReportError("--from and --to go together (e.g. --from 2026-11-16 --to 2026-11-22)")
        return date_range(parse_day(options.date_from, "--from"), parse_day(options.date_to, "--to"), tz), tz_name
    return last_complete_week(now or datetime.now(timezone.utc), tz), tz_name


def open_report_store(location: str | None, masker: Masker) -> ResultStore:
    """The results store a report reads (--store, else the `store` setting); it must exist already."""
    if location is None:
        raise ReportError("no results store: give --store PATH, transcript files, or set `store:` in qa-linter.yaml")
    return open_store(location, masker=masker, create=False)


def scan_into_memory(linter, scoring, items, summary, masker: Masker) -> ResultStore:
    """TRANSCRIPTS mode: scan now into a throw-away in-memory store, exactly as `scan --store` would record."""
    from ..batch import scan_items
    from ..store.sink import StoreWriter

    store = open_store(":memory:", masker=masker)
    writer = StoreWriter(store, linter.pack.fingerprint, scoring)
    for conv, findings in scan_items(linter, items, summary):
        writer.conversation(conv, findings, {"scorecard": scoring.score(conv, findings).to_dict()})
    writer.flush()
    return store


def run_weekly(store: ResultStore, period: Period, tz_name: str, options: WeeklyOptions,
               console_factory: Callable[[], object]) -> tuple[WeeklyReport, dict[str, Path]]:
    out_dir = Path(options.out_dir)
    links = scorecard_links(Path(options.scorecards_dir) if options.scorecards_dir else None, out_dir)
    report = build_report(store, period, zone(tz_name), tz_name, options.weeks, links)
    if options.fmt == "text":
        render_text(report, console_factory())
        return report, {}
    try:
        return report, write_report(report, out_dir)
    except OSError as exc:
        raise ReportError(f"{out_dir}: cannot write the report: {exc.strerror or exc}") from None

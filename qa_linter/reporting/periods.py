"""Report periods: ISO weeks (Monday 00:00 to Monday 00:00) or date ranges, in a configurable time zone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import QALinterError

DEFAULT_TIMEZONE = "Asia/Shanghai"
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class PeriodError(QALinterError):
    pass


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, in the report's zone, inclusive
    end: datetime  # exclusive
    iso_week: tuple[int, int] | None = None  # (ISO year, week) when the period is one ISO week

    @property
    def label(self) -> str:
        if self.iso_week:
            return f"{self.iso_week[0]:04d}-W{self.iso_week[1]:02d}"
        return f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"

    @property
    def key(self) -> str:
        """For file names."""
        if self.iso_week:
            return self.label
        return f"{self.first_day.isoformat()}_{self.last_day.isoformat()}"

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def days(self) -> int:
        return (self.end.date() - self.start.date()).days

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def previous(self) -> "Period":
        """The period of the same length just before this one (the previous ISO week for a week)."""
        if self.iso_week:
            return week_period(*_shift_week(self.iso_week, -1), self.start.tzinfo)
        tz = self.start.tzinfo
        first = self.first_day - timedelta(days=self.days)
        return Period(_midnight(first, tz), self.start)

    def to_dict(self) -> dict:
        return {"label": self.label, "first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat(),
                "start": self.start.isoformat(), "end": self.end.isoformat()}


def zone(name: str | None) -> ZoneInfo:
    name = name or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai or Europe/Berlin") from None


def _midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def week_period(year: int, week: int, tz: tzinfo) -> Period:
    try:
        monday = date.fromisocalendar(year, week, 1)
        end = monday + timedelta(days=7)
    except ValueError:
        if not 1 <= year <= 9999:
            raise PeriodError(f"{year:04d}-W{week:02d}: the year must be between 0001 and 9999") from None
        raise PeriodError(f"{year}-W{week:02d} is not an ISO week ({year} has {_weeks_in(year)} weeks)") from None
    except OverflowError:
        raise PeriodError(f"{year:04d}-W{week:02d} is outside the calendar qa-linter can work with") from None
    return Period(_midnight(monday, tz), _midnight(end, tz), (year, week))


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]


def _shift_week(week: tuple[int, int], by: int) -> tuple[int, int]:
    monday = date.fromisocalendar(week[0], week[1], 1) + timedelta(weeks=by)
    iso = monday.isocalendar()
    return iso[0], iso[1]


def parse_week(text: str, tz: tzinfo) -> Period:
    m = _WEEK.match(text.strip())
    if not m:
        raise PeriodError(f"--week {text!r}: use an ISO week such as 2026-W47")
    return week_period(int(m.group(1)), int(m.group(2)), tz)


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{option} {text!r}: use a date such as 2026-11-16") from None


def date_range(first: date, last: date, tz: tzinfo) -> Period:
    """first..last inclusive; a range that is exactly one ISO week is reported as that week."""
    if last < first:
        raise PeriodError(f"--to {last} is before --from {first}")
    try:
        period = Period(_midnight(first, tz), _midnight(last + timedelta(days=1), tz))
    except OverflowError:
        raise PeriodError(f"--to {last}: too close to the end of the calendar; choose an earlier day") from None
    iso = first.isocalendar()
    if first.weekday() == 0 and period.days == 7:
        return week_period(iso[0], iso[1], tz)
    return period


# A report reads its period, the period before it and `weeks` weeks of trend, with a margin of 14 hours for times
# stored without an offset, all converted to UTC; Python's dates end at years 1 and 9999.
QUERY_MARGIN = timedelta(days=1)


def check_reportable(period: Period, weeks: int) -> None:
    """Raise PeriodError when the period, the one before it or its trend weeks fall off the calendar."""
    try:
        earliest = min(period.previous().start, trailing_weeks(period, weeks)[0].start)
        for moment in (earliest, period.end):
            (moment.astimezone(timezone.utc) - QUERY_MARGIN, moment.astimezone(timezone.utc) + QUERY_MARGIN)
            (moment - QUERY_MARGIN, moment + QUERY_MARGIN)
    except (OverflowError, ValueError, PeriodError):
        raise PeriodError(
            f"{period.label}: too close to the ends of the calendar (year 1 or 9999): the report also reads the "
            f"period before it and {weeks} weeks of trend; choose a period between 0002 and 9998"
        ) from None


def week_of(moment: datetime, tz: tzinfo) -> Period:
    iso = local(moment, tz).isocalendar()
    return week_period(iso[0], iso[1], tz)


def last_complete_week(now: datetime, tz: tzinfo) -> Period:
    """The ISO week before the one `now` falls in: what a Monday-morning run reports."""
    return week_of(now, tz).previous()


def trailing_weeks(period: Period, count: int) -> list[Period]:
    """`count` ISO weeks ending with the week that holds the period's last day, oldest first."""
    tz = period.start.tzinfo
    last = week_of(_midnight(period.last_day, tz), tz)
    weeks = [last]
    for _ in range(count - 1):
        weeks.append(weeks[-1].previous())
    return weeks[::-1]


def local(moment: datetime, tz: tzinfo) -> datetime:
    """A conversation's start time in the report's zone; a time without offset is taken as local already."""
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)

"""Times as exports write them, made into aware datetimes.

A time without an offset is local time in the configured zone (`timezone`, default Asia/Shanghai): help-desk
exports and console logs write wall-clock time and never say which zone.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

from ..model import out_of_range, time_in_range

DEFAULT_TIMEZONE = "Asia/Shanghai"

# 2026-11-20 10:02:11, 2026/11/20 10:02, 2026.11.20T10:02:11.5+08:00, 2026年11月20日 10时02分11秒 ...
_DATE_TIME = re.compile(
    r"""^\s*(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
        (?:\s*(?:T|\s)\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})\s*(?:[:分]\s*(?P<S>\d{1,2})(?:[.,](?P<f>\d{1,6})\d*)?\s*秒?)?)?
        \s*(?P<tz>Z|[+-]\d{2}:?\d{2}|UTC|GMT)?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
EXAMPLE = "2026-11-20 10:02:11"


def local_zone(name: str | None) -> tzinfo:
    """The zone for times without an offset; a fixed +08:00 when the zone database is missing."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        if name and name != DEFAULT_TIMEZONE:
            raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)") from None
        return timezone(timedelta(hours=8), "CST")


def parse_time(value: object, zone: tzinfo) -> datetime:
    """A cell or log time as an aware datetime; ValueError saying what was expected otherwise."""
    moment = _parse_time(value, zone)
    if not time_in_range(moment):
        raise ValueError(out_of_range(value if isinstance(value, datetime) else str(value).strip()))
    return moment


def _parse_time(value: object, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_number(float(value), zone)
    text = str(value).strip()
    if re.fullmatch(r"\d{10}(?:\d{3})?(?:\.\d+)?", text):
        return _from_number(float(text), zone)
    match = _DATE_TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a date and time (e.g. {EXAMPLE})")
    g = match.groupdict()
    try:
        moment = datetime(
            int(g["y"]), int(g["m"]), int(g["d"]),
            int(g["H"] or 0), int(g["M"] or 0), int(g["S"] or 0),
            int((g["f"] or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date and time ({exc})") from None
    return moment.replace(tzinfo=_offset(g["tz"]) or zone)


def _offset(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _from_number(number: float, zone: tzinfo) -> datetime:
    """Unix seconds or milliseconds (what databases export); anything else is not a time."""
    if number > 1e11:
        number /= 1000.0
    if not 1e8 < number < 1e10:
        raise ValueError(f"{number!r} is not a date and time (e.g. {EXAMPLE} or Unix seconds)")
    return datetime.fromtimestamp(number, tz=timezone.utc).astimezone(zone)

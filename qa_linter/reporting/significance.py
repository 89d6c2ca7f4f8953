"""When a change between two periods is news and when it is noise (docs/weekly-reports.md, "Changes and noise").

The weekly report draws a change as up or down (▲▼, green or red) only when it is beyond what chance alone
would make of the same rate; everything else is shown in grey as "within noise". The tests are the usual
95 % ones, chosen to be right for small counts without being clever:

- a rate per conversation (pass rate, auto-fail rate): the difference of two proportions with Newcombe's
  hybrid score interval, built from each period's Wilson interval (Newcombe 1998, method 10); a change is news
  when the interval of the difference leaves out 0. Wilson's interval keeps its coverage at 0 % and 100 %,
  where the textbook normal interval collapses to a point.
- an average score: the difference of two means with each period's own variance (Welch's interval, normal
  quantile); it needs two scored conversations in each period.
- findings per 100 agent messages: two Poisson rates (findings over agent messages), their difference
  against its standard error.
- a count of findings (a rule's, this period against the last): the two counts as Poisson, |a − b| beyond
  1.96·√(a + b).

Below MIN_SAMPLE conversations in either period a group is a "small sample": its changes are shown in grey and
never as a trend, whatever the test says (a two-conversation team going from 0/2 to 2/2 passes Newcombe's
test, yet says little about the team).
"""
from __future__ import annotations

import math
from statistics import fmean, variance

Z = 1.959963984540054  # the two-sided 95 % normal quantile
MIN_SAMPLE = 10  # conversations in each period before a group's change can be called a trend


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson's score interval for k successes in n trials."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_difference(k1: int, n1: int, k0: int, n0: int, z: float = Z) -> tuple[float, float] | None:
    """Newcombe's interval for p1 − p0 (this period − the previous one), or None without data."""
    if n1 <= 0 or n0 <= 0:
        return None
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1, z)
    l0, u0 = wilson(k0, n0, z)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def mean_difference(now: list[float], before: list[float], z: float = Z) -> tuple[float, float] | None:
    """Welch's interval for mean(now) − mean(before), or None with fewer than two values on a side."""
    if len(now) < 2 or len(before) < 2:
        return None
    d = fmean(now) - fmean(before)
    se = math.sqrt(variance(now) / len(now) + variance(before) / len(before))
    return d - z * se, d + z * se


def rate_difference(events1: int, exposure1: int, events0: int, exposure0: int, per: float = 100.0,
                    z: float = Z) -> tuple[float, float] | None:
    """Interval for the difference of two Poisson rates per `per` units of exposure."""
    if exposure1 <= 0 or exposure0 <= 0:
        return None
    d = per * (events1 / exposure1 - events0 / exposure0)
    # With no events on either side the variance estimate is 0; half an event keeps the interval honest.
    se = per * math.sqrt(max(events1, 0.5) / exposure1 ** 2 + max(events0, 0.5) / exposure0 ** 2)
    return d - z * se, d + z * se


def count_difference(now: int, before: int, z: float = Z) -> tuple[float, float]:
    d = now - before
    half = z * math.sqrt(max(now + before, 1))
    return d - half, d + half


def beyond_noise(interval: tuple[float, float] | None) -> bool:
    return interval is not None and (interval[0] > 0 or interval[1] < 0)

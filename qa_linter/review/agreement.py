"""The arithmetic of review statistics: Wilson intervals, Cohen's and Fleiss' kappa, positive agreement.

Pure functions over counts and labels, each checked in tests/test_review_agreement.py against cases computed
by hand. Formulas (also in docs/review.md):

- Wilson score interval for x successes in n trials, z = 1.96 (95 %):
      centre = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²),  p = x/n.
  Unlike p ± z√(p(1−p)/n) it stays inside [0, 1] and is not zero-width at p = 0 or 1, which matters for the
  small counts a review sample gives per rule.
- Cohen's kappa for two raters over the same items: κ = (p_o − p_e) / (1 − p_e), p_o the share of items they
  label alike, p_e = Σ_k (share rater 1 gave k)(share rater 2 gave k). Undefined (None) when p_e = 1: both
  raters gave every item the same single label, so chance explains all agreement.
- Fleiss' kappa for N items each rated by the same number m ≥ 2 of raters (not necessarily the same people):
      P_i = (Σ_k n_ik² − m) / (m(m − 1)),  P̄ = mean P_i,  p_k = Σ_i n_ik / (N m),  P_e = Σ_k p_k²,
      κ = (P̄ − P_e) / (1 − P_e),  undefined when P_e = 1.
- Positive agreement between the machine and a reviewer, 2a / (2a + b + c) with a = findings confirmed,
  b = findings rejected, c = problems the reviewer found that the machine missed. There is no count of
  "neither flagged it" (every unflagged word of every message would be one), so kappa cannot be computed
  for machine against reviewer; positive agreement is the measure made for that case.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Sequence

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion; None when there are no trials."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes in {n} trials")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Kappa:
    items: int
    observed: float | None  # p_o (Cohen) or P̄ (Fleiss)
    expected: float | None  # p_e or P_e
    kappa: float | None  # None: no items, or chance explains everything (expected = 1)

    def to_dict(self) -> dict:
        return {"items": self.items, "observed": _r(self.observed), "expected": _r(self.expected), "kappa": _r(self.kappa)}


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> Kappa:
    """Two raters' labels for the same items, one (label of rater 1, label of rater 2) pair per item."""
    n = len(pairs)
    if n == 0:
        return Kappa(0, None, None, None)
    observed = sum(1 for a, b in pairs if a == b) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first.keys() | second.keys()) / (n * n)
    return Kappa(n, observed, expected, _kappa(observed, expected))


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> Kappa:
    """Each item's labels, one per rater; every item must have the same number (≥ 2) of labels."""
    n_items = len(items)
    if n_items == 0:
        return Kappa(0, None, None, None)
    m = len(items[0])
    if m < 2 or any(len(labels) != m for labels in items):
        raise ValueError("Fleiss' kappa needs the same number (at least 2) of ratings for every item")
    totals: Counter = Counter()
    agreement = 0.0
    for labels in items:
        counts = Counter(labels)
        totals.update(counts)
        agreement += (sum(c * c for c in counts.values()) - m) / (m * (m - 1))
    observed = agreement / n_items
    expected = sum((t / (n_items * m)) ** 2 for t in totals.values())
    return Kappa(n_items, observed, expected, _kappa(observed, expected))


def positive_agreement(confirmed: int, rejected: int, missed: int) -> float | None:
    denominator = 2 * confirmed + rejected + missed
    return 2 * confirmed / denominator if denominator else None


def _kappa(observed: float, expected: float) -> float | None:
    # Rounding can leave 1 − p_e a hair above 0 when it is 0 in exact arithmetic.
    if math.isclose(expected, 1.0, rel_tol=0, abs_tol=1e-12):
        return None
    return (observed - expected) / (1 - expected)


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)

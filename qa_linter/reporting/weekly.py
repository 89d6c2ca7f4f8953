"""The weekly compliance report: figures for a period against the period before, from a results store.

Definitions (docs/weekly-reports.md):
- a conversation belongs to the period its start time falls in, in the report's time zone; each id counts
  once (the store keeps the latest scan of it);
- pass rate = passed / conversations with a verdict; average score = mean of the scores;
- auto-fails = conversations with at least one auto-fail finding;
- findings per 100 agent messages = 100 × findings / agent messages;
- change = this period − previous period (percentage points for the pass rate); `direction` is its sign as
  shown (a change that rounds to 0 at the shown precision is flat); `significant` says whether it is beyond
  noise (significance.py: Wilson/Newcombe for rates, Welch for scores, Poisson for finding counts, and at least
  MIN_SAMPLE conversations in each period, else `small_sample`); `better` says whether a significant change is
  good news (more passes, higher scores; fewer auto-fails and findings), None when it is not significant.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Iterable

from ..labels import category_label
from ..masking import Masker
from ..store.base import ResultStore, StoredConversation
from .periods import Period, local, trailing_weeks
from .significance import (
    MIN_SAMPLE, Z, beyond_noise, count_difference, mean_difference, proportion_difference, rate_difference,
)

# metric -> which direction is good news (None: neither)
HEADLINE = {
    "conversations": None,
    "pass_rate": "up",
    "average_score": "up",
    "auto_fails": "down",
    "findings_per_100": "down",
}
# The smallest change each figure is shown with: a smaller one is drawn as flat, never as "▼ 0.0".
RESOLUTION = {"conversations": 1, "pass_rate": 0.0005, "average_score": 0.05, "auto_fails": 1, "findings_per_100": 0.05}
TOP_RULES = 10
WORST = 10
EXAMPLES_PER_RULE = 2


@dataclass(frozen=True)
class Figures:
    conversations: int
    judged: int
    passed: int
    scored: int
    score_sum: float
    auto_fails: int
    findings: int
    agent_messages: int

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.judged if self.judged else None

    @property
    def average_score(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    @property
    def findings_per_100(self) -> float | None:
        return 100.0 * self.findings / self.agent_messages if self.agent_messages else None

    def metric(self, name: str) -> float | int | None:
        return getattr(self, name)

    def to_dict(self) -> dict:
        return {
            "conversations": self.conversations,
            "passed": self.passed,
            "judged": self.judged,
            "pass_rate": _round(self.pass_rate, 4),
            "average_score": _round(self.average_score, 2),
            "auto_fails": self.auto_fails,
            "findings": self.findings,
            "agent_messages": self.agent_messages,
            "findings_per_100": _round(self.findings_per_100, 2),
        }


def figures(convs: Iterable[StoredConversation]) -> Figures:
    convs = list(convs)
    scores = [c.score for c in convs if c.score is not None]
    return Figures(
        conversations=len(convs),
        judged=sum(1 for c in convs if c.passed is not None),
        passed=sum(1 for c in convs if c.passed),
        scored=len(scores),
        score_sum=sum(scores),
        auto_fails=sum(1 for c in convs if c.auto_fail),
        findings=sum(len(c.findings) for c in convs),
        agent_messages=sum(c.agent_messages for c in convs),
    )


def change(current, previous, good: str | None, interval: tuple[float, float] | None = None,
           small_sample: bool = False, resolution: float = 0.0) -> dict:
    """The change of one figure, its direction, whether it is beyond noise, and whether that is good news."""
    if current is None or previous is None:
        return {"current": current, "previous": previous, "change": None, "direction": None, "better": None,
                "significant": False, "small_sample": small_sample, "interval": None}
    delta = current - previous
    if isinstance(delta, float):
        delta = round(delta, 4)
    direction = "flat" if abs(delta) < resolution or delta == 0 else "up" if delta > 0 else "down"
    significant = direction != "flat" and not small_sample and beyond_noise(interval)
    better = direction == good if significant and good is not None else None
    return {"current": current, "previous": previous, "change": delta, "direction": direction, "better": better,
            "significant": significant, "small_sample": small_sample,
            "interval": None if interval is None else [round(interval[0], 4), round(interval[1], 4)]}


# What a headline's `interval` bounds, when it is not the change itself: auto-fails are compared as a share of the
# conversations (more conversations bring more auto-fails).
INTERVAL_OF = {"auto_fails": "auto_fail_rate"}


def noise_interval(name: str, now: list[StoredConversation], before: list[StoredConversation]):
    """The 95 % interval of this period's figure minus the previous period's (significance.py)."""
    if name == "pass_rate":
        judged = lambda convs: [c for c in convs if c.passed is not None]  # noqa: E731
        a, b = judged(now), judged(before)
        return proportion_difference(sum(1 for c in a if c.passed), len(a), sum(1 for c in b if c.passed), len(b))
    if name == "auto_fails":  # as a share of the conversations: more conversations bring more auto-fails
        return proportion_difference(sum(1 for c in now if c.auto_fail), len(now),
                                     sum(1 for c in before if c.auto_fail), len(before))
    if name == "average_score":
        return mean_difference([c.score for c in now if c.score is not None], [c.score for c in before if c.score is not None])
    if name == "findings_per_100":
        return rate_difference(sum(len(c.findings) for c in now), sum(c.agent_messages for c in now),
                               sum(len(c.findings) for c in before), sum(c.agent_messages for c in before))
    return None


def small(now: list, before: list) -> bool:
    return min(len(now), len(before)) < MIN_SAMPLE


@dataclass
class WeeklyReport:
    period: Period
    previous: Period
    timezone: str
    current: list[StoredConversation]
    before: list[StoredConversation]
    trend: list[tuple[Period, Figures]]
    undated: int = 0  # conversations in the store without a start time (in no period)
    scorecard_links: Any = field(default_factory=dict)  # .get(id) -> href of its scorecard page (render.ScorecardLinks)
    # Shows ids, agent and team names in what the report writes: they may hold PII too (the store keeps them
    # as given, so that the figures group by the real names).
    masker: Masker = field(default_factory=Masker)
    source: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    # -- the figures ----------------------------------------------------------------------------------------
    @property
    def figures(self) -> Figures:
        return figures(self.current)

    @property
    def previous_figures(self) -> Figures:
        return figures(self.before)

    def headline(self) -> dict[str, dict]:
        now, before = self.figures, self.previous_figures
        out = {}
        for name, good in HEADLINE.items():
            current, previous = now.metric(name), before.metric(name)
            if name in ("pass_rate",):
                current, previous = _round(current, 4), _round(previous, 4)
            elif name in ("average_score", "findings_per_100"):
                current, previous = _round(current, 2), _round(previous, 2)
            out[name] = change(current, previous, good, noise_interval(name, self.current, self.before),
                               small(self.current, self.before) if good is not None else False, RESOLUTION[name])
            if name in INTERVAL_OF:
                out[name]["interval_of"] = INTERVAL_OF[name]
        return out

    def groups(self, key: str) -> list[dict]:
        """Rows for the team or agent table: this period against the previous one, worst average first."""
        now, before = _group(self.current, key), _group(self.before, key)
        teams = {c.agent: c.team for c in [*self.before, *self.current]} if key == "agent" else {}
        rows = []
        for name in sorted(set(now) | set(before), key=lambda n: (n is None, n or "")):
            cur_convs, prev_convs = now.get(name, []), before.get(name, [])
            cur, prev = figures(cur_convs), figures(prev_convs)
            few = small(cur_convs, prev_convs)
            score = change(_round(cur.average_score, 2), _round(prev.average_score, 2), "up",
                           noise_interval("average_score", cur_convs, prev_convs), few, RESOLUTION["average_score"])
            rate = change(_round(cur.pass_rate, 4), _round(prev.pass_rate, 4), "up",
                          noise_interval("pass_rate", cur_convs, prev_convs), few, RESOLUTION["pass_rate"])
            row = {
                key: self.masker.mask(name or ""),
                "conversations": cur.conversations,
                "previous_conversations": prev.conversations,
                "pass_rate": _round(cur.pass_rate, 4),
                "average_score": _round(cur.average_score, 2),
                "previous_pass_rate": _round(prev.pass_rate, 4),
                "previous_average_score": _round(prev.average_score, 2),
                "auto_fails": cur.auto_fails,
                "findings": cur.findings,
                "findings_per_100": _round(cur.findings_per_100, 2),
                "score_change": score["change"],
                "pass_rate_change": rate["change"],
                # below MIN_SAMPLE conversations in either period: no change of this group is called a trend
                "small_sample": few,
                "changes": {"average_score": score, "pass_rate": rate},
                "top_categories": _top_categories(now.get(name, [])),
                "status": "new" if not prev.conversations else "absent" if not cur.conversations else "both",
            }
            if key == "agent":
                row["team"] = self.masker.mask(teams.get(name) or "")
            rows.append(row)
        rows.sort(key=lambda r: (r["conversations"] == 0, r["average_score"] if r["average_score"] is not None else 101, r[key]))
        return rows

    def categories(self) -> list[dict]:
        now = Counter(f.category for c in self.current for f in c.findings)
        before = Counter(f.category for c in self.before for f in c.findings)
        section_of = _section_names([*self.current, *self.before])
        rows = [
            {"category": cat, "label": category_label(cat), "section": section_of.get(cat, ""),
             **_counts(now[cat], before[cat])}
            for cat in set(now) | set(before)
        ]
        rows.sort(key=lambda r: (-r["current"], -r["previous"], r["category"]))
        return rows

    def sections(self) -> list[dict]:
        """Per scorecard section: findings and the share of its points kept, where it applied."""
        rows: dict[str, dict] = {}
        for which, convs in (("current", self.current), ("previous", self.before)):
            for c in convs:
                for s in c.sections:
                    row = rows.setdefault(s["id"], {"id": s["id"], "name": s["name"], "points": s["points"],
                                                    "current": _SectionSum(), "previous": _SectionSum()})
                    row[which].add(s)
        out = []
        for row in rows.values():
            cur, prev = row.pop("current"), row.pop("previous")
            out.append({**row, "findings": cur.findings, "previous_findings": prev.findings,
                        "score_rate": _round(cur.rate, 4), "previous_score_rate": _round(prev.rate, 4),
                        "applicable": cur.applicable,
                        "change": change(_round(cur.rate, 4), _round(prev.rate, 4), "up")["change"]})
        order = {sid: i for i, sid in enumerate(s["id"] for c in [*self.current, *self.before] for s in c.sections)}
        return sorted(out, key=lambda r: order.get(r["id"], 0))

    def rules(self, limit: int = TOP_RULES) -> list[dict]:
        now: Counter = Counter()
        before = Counter(f.rule for c in self.before for f in c.findings)
        category: dict[str, str] = {}
        examples: dict[str, list[dict]] = defaultdict(list)
        example_ids: dict[str, set[str]] = defaultdict(set)  # one example per conversation
        for c in self.current:
            for f in c.findings:
                now[f.rule] += 1
                category[f.rule] = f.category
                if len(examples[f.rule]) < EXAMPLES_PER_RULE and c.id not in example_ids[f.rule]:
                    example_ids[f.rule].add(c.id)
                    examples[f.rule].append({"conversation_id": self.masker.mask(c.id), "message_index": f.message_index,
                                             "excerpt": f.excerpt, "href": self.scorecard_links.get(c.id)})
        rows = [
            {"rule": rule, "category": category[rule], "label": category_label(category[rule]),
             **_counts(now[rule], before[rule]), "examples": examples[rule]}
            for rule in now
        ]
        rows.sort(key=lambda r: (-r["current"], r["rule"]))
        return rows[:limit]

    def worst(self, limit: int = WORST) -> list[dict]:
        """Auto-fails first, then the lowest scores, then the most findings: the conversations to coach from.
        Only conversations that failed (or were auto-failed): a passed conversation is no coaching case, however
        few the failures of the week."""
        ranked = sorted(
            (c for c in self.current if c.auto_fail or c.passed is False),
            key=lambda c: (not c.auto_fail, c.score if c.score is not None else 101.0, -len(c.findings), c.id),
        )
        return [
            {"id": self.masker.mask(c.id), "agent": self.masker.mask(c.agent or ""), "team": self.masker.mask(c.team or ""),
             "channel": c.channel,
             "started_at": local(c.started_at, self.period.start.tzinfo).isoformat() if c.started_at else None,
             "score": c.score, "passed": c.passed, "auto_fail": list(c.auto_fail), "findings": len(c.findings),
             "top_categories": _top_categories([c]), "href": self.scorecard_links.get(c.id)}
            for c in ranked[:limit]
        ]

    def trend_rows(self) -> list[dict]:
        return [{"week": p.label, "first_day": p.first_day.isoformat(), **f.to_dict()} for p, f in self.trend]

    def rule_packs(self) -> list[dict]:
        packs = Counter(c.rule_pack for c in self.current)
        return [{"rule_pack": pack, "conversations": n} for pack, n in packs.most_common()]

    def to_dict(self) -> dict:
        return {
            "report": "weekly",
            "period": self.period.to_dict(),
            "previous_period": self.previous.to_dict(),
            "timezone": self.timezone,
            "source": self.source,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "headline": self.headline(),
            "figures": self.figures.to_dict(),
            "previous_figures": self.previous_figures.to_dict(),
            "trend": self.trend_rows(),
            "sections": self.sections(),
            "categories": self.categories(),
            "teams": self.groups("team"),
            "agents": self.groups("agent"),
            "rules": self.rules(),
            "worst": self.worst(),
            "rule_packs": self.rule_packs(),
            "undated_conversations": self.undated,
            "noise": {"confidence": 0.95, "z": round(Z, 4), "min_sample": MIN_SAMPLE},
        }


@dataclass
class _SectionSum:
    findings: int = 0
    applicable: int = 0
    earned: float = 0.0
    points: float = 0.0

    def add(self, section: dict) -> None:
        self.findings += section.get("findings") or 0
        if section.get("applicable"):
            self.applicable += 1
            self.earned += section.get("earned") or 0
            self.points += section.get("points") or 0

    @property
    def rate(self) -> float | None:
        return self.earned / self.points if self.points else None


def build_report(store: ResultStore, period: Period, tz: tzinfo, tz_name: str, weeks: int = 8,
                 scorecard_links=None) -> WeeklyReport:
    """Read what the report needs from the store in one query and place each conversation in its period."""
    previous = period.previous()
    trend = trailing_weeks(period, max(1, weeks))
    since = min(previous.start, trend[0].start)
    until = max(period.end, trend[-1].end)
    convs = [c for c in store.conversations(since, until) if c.started_at is not None]

    def within(p: Period) -> list[StoredConversation]:
        return [c for c in convs if p.contains(local(c.started_at, tz))]

    return WeeklyReport(
        period=period,
        previous=previous,
        timezone=tz_name,
        current=within(period),
        before=within(previous),
        trend=[(w, figures(within(w))) for w in trend],
        undated=store.count(undated=True),
        scorecard_links=scorecard_links if scorecard_links is not None else {},
        source=getattr(store, "location", ""),
        masker=getattr(store, "masker", None) or Masker(),
    )


def _group(convs: list[StoredConversation], key: str) -> dict[str | None, list[StoredConversation]]:
    out: dict[str | None, list[StoredConversation]] = defaultdict(list)
    for c in convs:
        out[getattr(c, key)].append(c)
    return out


def _top_categories(convs: list[StoredConversation], n: int = 3) -> list[dict]:
    counts = Counter(f.category for c in convs for f in c.findings)
    return [{"category": cat, "label": category_label(cat), "count": k}
            for cat, k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _section_names(convs: list[StoredConversation]) -> dict[str, str]:
    names = {}
    for c in convs:
        for s in c.sections:
            for cat in s.get("categories", []):
                names.setdefault(cat, s["name"])
    return names


def _counts(current: int, previous: int) -> dict:
    return {"current": current, "previous": previous, "change": current - previous,
            "significant": current != previous and beyond_noise(count_difference(current, previous))}


def _round(value, digits: int):
    return None if value is None else round(value, digits)

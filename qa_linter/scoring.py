"""The scoring model: a score out of 100 per conversation, with its breakdown by section.

Loaded from YAML (the bundled `reports/scorecard.yaml`, or the file named by the `scorecard` setting or
`--scorecard`). The formula, also in docs/scorecards.md:

    deducted(s) = min(cap(s), sum of deductions[s][severity(f)] for findings f in section s)
    earned(s)   = points(s) - deducted(s)
    score       = 100 * sum(earned(s)) / sum(points(s)), both sums over the sections that apply
    passed      = no auto-fail finding and score >= pass_mark

A section does not apply (N/A) when it cannot be judged for this conversation: it needs timestamps and the
conversation has no timed reply, its channels exclude the conversation's channel, no loaded rule checks
any of its categories, or the conversation has no agent message at all. N/A sections are left out of both
sums, so missing data neither passes nor fails a conversation; when every section is N/A there is no score
(`total is None`, `passed is None`).
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import RuleError, ScorecardError
from .model import Conversation, Finding
from .vocabulary import CATEGORIES, CHANNELS, SEVERITIES
from .yamlfile import line_of

REQUIREMENTS = {"timestamps": "a reply whose message and the customer message it answers both have ts"}
TOP_LEVEL = {"scorecard", "pass_mark", "on_auto_fail", "deductions", "auto_fail", "sections"}
SECTION_FIELDS = {"id", "name", "points", "categories", "cap", "deductions", "requires", "channels"}
CATEGORY_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
NA_NO_TIMESTAMPS = "无时间戳，无法判断"
NA_CHANNEL = "该渠道不考核"
NA_NOT_CHECKED = "未启用相关规则"
NA_NO_AGENT = "没有客服消息"


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    points: float
    categories: tuple[str, ...]
    cap: float
    deductions: dict[str, float]
    requires: tuple[str, ...] = ()
    channels: frozenset[str] | None = None


@dataclass(frozen=True)
class SectionScore:
    section: Section
    applicable: bool
    na_reason: str | None = None
    findings: int = 0
    deducted: float = 0.0

    @property
    def earned(self) -> float:
        return self.section.points - self.deducted if self.applicable else 0.0

    def to_dict(self) -> dict[str, Any]:
        s = self.section
        return {
            "id": s.id,
            "name": s.name,
            "categories": list(s.categories),
            "points": _number(s.points),
            "applicable": self.applicable,
            "na_reason": self.na_reason,
            "findings": self.findings,
            "deducted": _number(self.deducted) if self.applicable else None,
            "earned": _number(self.earned) if self.applicable else None,
        }


@dataclass(frozen=True)
class AutoFailHit:
    category: str
    rule: str
    message_index: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "rule": self.rule, "message_index": self.message_index, "reason": self.reason}


@dataclass(frozen=True)
class ScoreCard:
    conversation_id: str
    total: float | None
    passed: bool | None
    pass_mark: float
    sections: tuple[SectionScore, ...]
    auto_fail: tuple[AutoFailHit, ...] = ()
    unscored_findings: int = 0  # findings of categories no section holds

    @property
    def points_possible(self) -> float:
        return sum(s.section.points for s in self.sections if s.applicable)

    @property
    def points_earned(self) -> float:
        return sum(s.earned for s in self.sections if s.applicable)

    def section_of(self, category: str) -> SectionScore | None:
        return next((s for s in self.sections if category in s.section.categories), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.total,
            "passed": self.passed,
            "pass_mark": _number(self.pass_mark),
            "auto_fail": [a.to_dict() for a in self.auto_fail],
            "points_possible": _number(self.points_possible),
            "points_earned": _number(self.points_earned),
            "unscored_findings": self.unscored_findings,
            "sections": [s.to_dict() for s in self.sections],
        }


@dataclass(frozen=True)
class ScoringModel:
    sections: tuple[Section, ...]
    auto_fail: dict[str, str]
    pass_mark: float = 80.0
    on_auto_fail: str = "keep"
    name: str = "scorecard"
    version: str = "0"
    digest: str = ""
    source: str | None = None
    # category -> channels its loaded rules apply to (None: every channel); None here: not restricted.
    judged: dict[str, frozenset[str] | None] | None = field(default=None, compare=False)

    @property
    def fingerprint(self) -> str:
        return f"{self.name}@{self.version}+{self.digest}"

    def section_for(self, category: str) -> Section | None:
        return next((s for s in self.sections if category in s.categories), None)

    def limited_to(self, rules: Iterable) -> "ScoringModel":
        """This model for a linter running only `rules`: sections none of whose categories is checked are N/A."""
        judged: dict[str, frozenset[str] | None] = {}
        for rule in rules:
            channels = getattr(rule, "channels", None)  # None: the rule runs on every channel
            if channels is None or (rule.category in judged and judged[rule.category] is None):
                judged[rule.category] = None
            else:
                judged[rule.category] = (judged.get(rule.category) or frozenset()) | channels
        return replace(self, judged=judged)

    def unmapped_categories(self, categories: Iterable[str]) -> list[str]:
        """Categories (of the loaded rules) that no section holds: their findings do not change the score."""
        return sorted({c for c in categories if self.section_for(c) is None})

    def score(self, conversation: Conversation, findings: list[Finding]) -> ScoreCard:
        by_section: dict[str, list[Finding]] = {s.id: [] for s in self.sections}
        unscored = 0
        for f in findings:
            section = self.section_for(f.category)
            if section is None:
                unscored += 1
            else:
                by_section[section.id].append(f)
        has_agent = any(m.role == "agent" for m in conversation.messages)
        timed = _has_timed_reply(conversation)
        scores = tuple(
            self._section_score(s, by_section[s.id], conversation.channel, has_agent, timed) for s in self.sections
        )
        hits = tuple(
            AutoFailHit(f.category, f.rule, f.message_index, self.auto_fail[f.category])
            for f in findings
            if f.category in self.auto_fail
        )
        possible = sum(s.section.points for s in scores if s.applicable)
        if possible <= 0:
            total, passed = None, (False if hits else None)
        else:
            earned = sum(s.earned for s in scores if s.applicable)
            total = round(100.0 * earned / possible, 1)
            if hits and self.on_auto_fail == "zero":
                total = 0.0
            passed = not hits and total >= self.pass_mark
        return ScoreCard(conversation.id, total, passed, self.pass_mark, scores, hits, unscored)

    def _section_score(self, section: Section, findings: list[Finding], channel: str, has_agent: bool, timed: bool) -> SectionScore:
        reason = self._not_applicable(section, channel, has_agent, timed)
        if reason is not None and not findings:
            return SectionScore(section, False, reason)
        # A finding proves the section was judged, whatever the data looked like.
        deducted = sum(section.deductions[str(f.severity)] for f in findings)
        return SectionScore(section, True, None, len(findings), min(section.cap, deducted))

    def _not_applicable(self, section: Section, channel: str, has_agent: bool, timed: bool) -> str | None:
        if not has_agent:
            return NA_NO_AGENT
        if section.channels is not None and channel not in section.channels:
            return NA_CHANNEL
        if self.judged is not None and not any(
            c in self.judged and (self.judged[c] is None or channel in self.judged[c]) for c in section.categories
        ):
            return NA_NOT_CHECKED
        if "timestamps" in section.requires and not timed:
            return NA_NO_TIMESTAMPS
        return None


class ScoreFigures(Mapping):
    """{"score", "passed", "scorecard"} of one conversation, as every output reports them; computed on first
    access, as most scans write outputs (JSON Lines, the text of a clean conversation) that never ask."""

    KEYS = ("score", "passed", "scorecard")

    def __init__(self, model: "ScoringModel", conv: Conversation, findings: list[Finding]):
        self._args: tuple | None = (model, conv, findings)
        self._figures: dict | None = None

    def _computed(self) -> dict:
        if self._figures is None:
            model, conv, findings = self._args
            card = model.score(conv, findings)
            self._figures = {"score": card.total, "passed": card.passed, "scorecard": card.to_dict()}
            self._args = None
        return self._figures

    def __getitem__(self, key: str):
        return self._computed()[key]

    def __iter__(self):
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)


def _has_timed_reply(conv: Conversation) -> bool:
    """An agent reply and the customer message before it both carry times: response speed can be judged."""
    waiting = None
    for m in conv.messages:
        if m.role == "customer" and waiting is None:
            waiting = m
        elif m.role == "agent" and waiting is not None:
            if m.ts is not None and waiting.ts is not None and (m.ts.tzinfo is None) == (waiting.ts.tzinfo is None):
                return True
            waiting = None
    return False


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


# -- loading --------------------------------------------------------------------------------------------------
def default_scorecard_path() -> Path:
    from .resources import templates_dir

    return templates_dir() / "scorecard.yaml"


def load_scoring_model(path: str | Path | None = None) -> ScoringModel:
    """Load and validate a scorecard file (the bundled default when `path` is None)."""
    from .yamlfile import load_yaml

    path = Path(path) if path else default_scorecard_path()
    if not path.is_file():
        raise ScorecardError([RuleError(str(path), None, "scorecard file not found")])
    try:
        data = load_yaml(path)
    except RuleError as exc:
        raise ScorecardError([exc]) from None
    return _Builder(path, data).build(hashlib.sha256(path.read_bytes()).hexdigest()[:12])


def scoring_model_from_config(config, path: str | Path | None = None) -> ScoringModel:
    """--scorecard wins over the `scorecard` setting (relative to the config file), else the default."""
    if path:
        return load_scoring_model(path)
    configured = config.paths("scorecard") if config is not None and config.get("scorecard") else []
    return load_scoring_model(configured[0] if configured else None)


class _Builder:
    """Validates a scorecard mapping, collecting every error with its line before giving up."""

    def __init__(self, path: Path, data: Any):
        self.path = path
        self.data = data
        self.errors: list[RuleError] = []

    def error(self, node: Any, reason: str, key: str | None = None) -> None:
        self.errors.append(RuleError(str(self.path), line_of(node, key), reason))

    def build(self, digest: str) -> ScoringModel:
        data = self.data
        if not isinstance(data, dict):
            self.error(data, "a scorecard must be a mapping with sections:, deductions:, auto_fail: and pass_mark:")
            raise ScorecardError(self.errors)
        for key in data:
            if key not in TOP_LEVEL:
                self.error(data, _unknown("setting", key, TOP_LEVEL), key)
        meta = data.get("scorecard") or {}
        if not isinstance(meta, dict):
            self.error(data, "scorecard: must be a mapping with name and version", "scorecard")
            meta = {}
        pass_mark = self._number(data, "pass_mark", 80, upper=100)
        on_auto_fail = data.get("on_auto_fail", "keep")
        if on_auto_fail not in ("keep", "zero"):
            self.error(data, f"on_auto_fail must be keep or zero, not {on_auto_fail!r}", "on_auto_fail")
        defaults = self._deductions(data, {"error": 10, "warning": 5, "info": 2})
        sections = self._sections(data, defaults)
        auto_fail = self._auto_fail(data)
        if self.errors:
            self.errors.sort(key=lambda e: e.line or 0)
            raise ScorecardError(self.errors)
        return ScoringModel(
            sections=tuple(sections),
            auto_fail=auto_fail,
            pass_mark=float(pass_mark),
            on_auto_fail=on_auto_fail,
            name=str(meta.get("name", self.path.stem)),
            version=str(meta.get("version", "0")),
            digest=digest,
            source=str(self.path),
        )

    def _number(self, node: dict, key: str, default: float, upper: float | None = None) -> float:
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (upper is not None and value > upper):
            limit = f" between 0 and {upper:g}" if upper is not None else " of 0 or more"
            self.error(node, f"{key} must be a number{limit}, not {value!r}", key)
            return default
        return float(value)

    def _deductions(self, node: dict, inherited: dict[str, float]) -> dict[str, float]:
        value = node.get("deductions")
        if value is None:
            return dict(inherited)
        if not isinstance(value, dict):
            self.error(node, "deductions must map error, warning and info to points", "deductions")
            return dict(inherited)
        out = dict(inherited)
        for severity in value:
            if severity not in SEVERITIES:
                self.error(value, _unknown("severity", severity, SEVERITIES), severity)
                continue
            out[severity] = self._number(value, severity, inherited[severity])
        return out

    def _sections(self, data: dict, defaults: dict[str, float]) -> list[Section]:
        items = data.get("sections")
        if not isinstance(items, list) or not items:
            self.error(data, "sections must be a non-empty list of {id, name, points, categories}", "sections" if "sections" in data else None)
            return []
        sections: list[Section] = []
        owner: dict[str, str] = {}
        lines = getattr(items, "item_lines", [])
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                self.errors.append(RuleError(str(self.path), lines[position] if position < len(lines) else None,
                                             "a section must be a mapping with id, name, points and categories"))
                continue
            section = self._section(item, defaults, owner)
            if section is not None:
                if any(s.id == section.id for s in sections):
                    self.error(item, f"duplicate section id {section.id!r}", "id")
                sections.append(section)
        return sections

    def _section(self, item: dict, defaults: dict[str, float], owner: dict[str, str]) -> Section | None:
        before = len(self.errors)
        for key in item:
            if key not in SECTION_FIELDS:
                self.error(item, _unknown("section field", key, SECTION_FIELDS), key)
        for key in ("id", "name", "points", "categories"):
            if item.get(key) in (None, "", []):
                self.error(item, f"section is missing {key!r}")
        section_id, name = str(item.get("id") or ""), str(item.get("name") or "")
        points = self._number(item, "points", 0) if "points" in item else 0.0
        if "points" in item and points == 0 and len(self.errors) == before:
            self.error(item, "points must be more than 0", "points")
        cap = self._number(item, "cap", points) if "cap" in item else points
        if cap > points:
            self.error(item, f"cap {cap:g} is more than the section's {points:g} points", "cap")
        categories = self._categories(item, section_id, owner)
        requires = self._list(item, "requires", REQUIREMENTS)
        channels = self._list(item, "channels", CHANNELS)
        deductions = self._deductions(item, defaults)
        if len(self.errors) > before:
            return None
        return Section(section_id, name, points, tuple(categories), cap, deductions, tuple(requires),
                       frozenset(channels) if "channels" in item else None)

    def _categories(self, item: dict, section_id: str, owner: dict[str, str]) -> list[str]:
        value = item.get("categories") or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(item, "categories must be a list of finding categories", "categories")
            return []
        out = []
        for category in value:
            category = str(category)
            problem = _category_problem(category)
            if problem:
                self.error(item, problem, "categories")
            elif category in owner:
                self.error(item, f"category {category!r} is already in section {owner[category]!r}; a category belongs to one section", "categories")
            else:
                owner[category] = section_id
                out.append(category)
        return out

    def _list(self, item: dict, key: str, allowed) -> list[str]:
        value = item.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(item, f"{key} must be a list of {', '.join(allowed)}", key)
            return []
        bad = [v for v in value if v not in allowed]
        for v in bad:
            self.error(item, _unknown(key.rstrip("s") if key != "requires" else "requirement", v, allowed), key)
        return [v for v in value if v in allowed]

    def _auto_fail(self, data: dict) -> dict[str, str]:
        value = data.get("auto_fail", {})
        if value is None:
            return {}
        if isinstance(value, list):  # a plain list of categories: a generic reason each
            value = {str(c): f"一票否决项：{c}" for c in value}
        if not isinstance(value, dict):
            self.error(data, "auto_fail must map categories to the reason shown (pii-exposure: 泄露客户个人信息)", "auto_fail")
            return {}
        out = {}
        for category, reason in value.items():
            problem = _category_problem(str(category))
            if problem:
                self.error(value, problem, str(category))
            elif not isinstance(reason, str) or not reason.strip():
                self.error(value, f"auto_fail {category}: give the reason shown to the reviewer", str(category))
            else:
                out[str(category)] = reason.strip()
        return out


def _category_problem(category: str) -> str | None:
    if category in CATEGORIES:
        return None
    if not CATEGORY_ID.match(category):
        return f"category {category!r} must be lower-case letters, digits, - . _"
    close = difflib.get_close_matches(category, CATEGORIES, n=1, cutoff=0.8)
    if close:
        return f"unknown category {category!r}; did you mean {close[0]!r}?"
    return None  # a custom pack's own category


def _unknown(what: str, key: Any, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"use {', '.join(sorted(known))}"
    return f"unknown {what} {key!r}; {hint}"

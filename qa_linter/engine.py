"""The engine: a loaded rule pack applied to conversations. `Linter` is the Python API."""
from __future__ import annotations

import bisect
import threading
from collections import Counter
from pathlib import Path
from time import perf_counter
from typing import Any, Iterable

from .analysis import ConversationView
from .canonical import conversation_from_dict
from .checks import Draft
from .config import Config, load_config
from .loader import RulePack, load_rule_pack
from .model import Conversation, Finding
from .vocabulary import Severity
from .text.matching import RegexTimeout
from .vocabulary import partial_ends


class RuleTimes:
    """What `scan --timings` tells of each rule, added up over every process: the seconds its check took, the
    conversations it was run on and those it reported something in. A rule is run only where a conversation's
    text can hold what it finds (the block engine's plan); one that runs on many conversations and reports in few
    has a wide gate (a pattern with no literal part, a common word that a condition then rejects)."""

    __slots__ = ("seconds", "looked", "found")

    def __init__(self) -> None:
        self.seconds: "Counter[str]" = Counter()
        self.looked: "Counter[str]" = Counter()
        self.found: "Counter[str]" = Counter()

    def __bool__(self) -> bool:
        return bool(self.looked)

    def add(self, other: "RuleTimes") -> None:
        self.seconds.update(other.seconds)
        self.looked.update(other.looked)
        self.found.update(other.found)

    def to_dict(self) -> dict:
        """The JSON summary's part: `rule_seconds`, and `rule_conversations` (looked at, with findings)."""
        return {
            "rule_seconds": {rule: round(seconds, 3) for rule, seconds in sorted(self.seconds.items())},
            "rule_conversations": {rule: {"looked_at": looked, "with_findings": self.found[rule]}
                                   for rule, looked in sorted(self.looked.items())},
        }

    def taken(self) -> "RuleTimes":
        """What was counted so far, which this then forgets (a worker sends its counts with each block)."""
        kept = RuleTimes()
        kept.add(self)
        for counter in (self.seconds, self.looked, self.found):
            counter.clear()
        return kept


class Linter:
    """Rules loaded once, applied to any number of conversations; safe to share between threads."""

    def __init__(self, pack: RulePack, config: Config | None = None, partial: object = None):
        self.pack = pack
        self.config = config or Config()
        # The ends cut in every conversation that does not say (meta.partial): --partial start|end|both.
        self.partial = partial_ends(partial)
        self._lock = threading.Lock()
        self._draft_rules: tuple | None = None  # (pack, rules judged on a draft, ids of the others)
        # Problems found while scanning (a regex that timed out, a rule that failed), reported once each; a rule
        # left out when it loaded (an unsafe pattern) is one from the start, so every scan reports it (exit 2).
        self.rule_problems: dict[str, str] = {
            str(e.rule_id): f"left out ({e.path}:{e.line}): {e.reason}" for e in getattr(pack, "refused", ())
        }
        # What each rule's check cost, when asked for (`scan --timings`): which rule of a pack costs what.
        self.rule_times: "RuleTimes | None" = None

    @classmethod
    def from_config(
        cls,
        config: Config | str | Path | None = None,
        *,
        rules: Iterable[str | Path] = (),
        builtin: bool | None = None,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        severity: dict[str, str] | None = None,
        discover: bool = False,
        partial: object = None,
        argument_origin: str = "{} argument",
    ) -> "Linter":
        """Load the built-in pack plus `rules`, shaped by a config file and the keyword arguments.

        `config` is a Config, a path to qa-linter.yaml / pyproject.toml, or None (no config unless
        `discover` is true, which looks in the current folder and its parents). `partial`: the ends cut in
        every conversation whose meta.partial does not say (start, end, both; see vocabulary.partial_ends). A select, ignore or severity
        entry that matches no rule is a RuleLoadError naming where it was written: the configuration file and
        line, or `argument_origin` for the keyword arguments (the command line says "--{}").
        """
        if not isinstance(config, Config):
            config = load_config(Path(config) if config else None, discover=discover)
        severities = dict(config.get("severity") or {})
        severities.update(severity or {})
        origins = _origins(config, select, ignore, severity or {}, argument_origin)
        pack = load_rule_pack(
            [*config.paths("rules"), *map(Path, rules)],
            builtin=config.get("builtin", True) if builtin is None else builtin,
            lexicon_dirs=config.paths("lexicons"),
            options=config.get("options"),
            select=list(select) or _as_list(config.get("select")),
            ignore=[*_as_list(config.get("ignore")), *ignore],
            severity=severities,
            allowlist=_as_list(config.get("allowlist")),
            settings=config.data,
            origins=origins,
        )
        return cls(pack, config, partial=partial)

    @property
    def rules(self):
        return self.pack.rules

    def warm_up(self) -> None:
        """Load the dictionaries and build what rules build at their first use now, rather than on the first
        message that needs them (a service's first request, a Spark executor's first partition)."""
        self.pack.toolkit.segmenter.warm_up()
        self.pack.toolkit.term_index.scan("预热")
        for rule in self.pack.rules:
            rule.prepare()

    def scan(self, conversation: Conversation | dict[str, Any], rules=None) -> list[Finding]:
        """All findings for one conversation, in a deterministic order."""
        if isinstance(conversation, dict):
            conversation = conversation_from_dict(conversation)
        return self.scan_view(ConversationView(conversation, self.pack.toolkit), rules)

    def scan_view(self, view: ConversationView, rules=None, opens=None) -> list[Finding]:
        """The rules applied to an already built view (the pre-send check reuses message analyses).

        Where the conversation is partial (meta.partial, else the linter's `partial`: --partial), rules about a
        cut end are not run: no greeting is owed at a cut start, no closing or resolution check at a cut end."""
        findings: list[Finding] = []
        marked = view.partial
        try:
            cut_start, cut_end = self.partial if marked is None else partial_ends(marked)
        except ValueError as exc:
            # The canonical reader refuses such a value; one that came another way (a chat-log header, the Python
            # API) is reported in the summary (exit 2) and the conversation judged whole.
            self._problem("meta.partial", f"{view.id}: {exc}")
            cut_start = cut_end = False
        rules = rules if rules is not None else self.pack.rules
        timed = self.rule_times
        for k, rule in enumerate(rules):
            if (cut_start and rule.judges_start) or (cut_end and rule.judges_end):
                continue
            if not rule.applies_to(view):
                continue
            if rule.READS_META is not None:
                problem = rule.meta_problem(view)
                if problem is not None:
                    # Reported like meta.partial: in the summary (exit 2); the rule judges as if it were absent.
                    self._problem(f"meta.{rule.READS_META}", f"{view.id}: {problem}")
            started = perf_counter() if timed is not None else 0.0
            try:
                # `opens` (the block engine): per rule, the messages its check may find something in, or None.
                view.open_mask = opens[k] if opens is not None else None
                findings.extend(rule.check(view))
            except RegexTimeout as exc:
                self._problem(rule.id, f"regular expression timed out and was skipped: {exc.pattern}")
            except Exception as exc:  # one broken rule must not stop a batch; it is reported in the summary
                self._problem(rule.id, f"rule failed on {view.id}: {type(exc).__name__}: {exc}")
            finally:
                view.open_mask = None
                if timed is not None:
                    timed.seconds[rule.id] += perf_counter() - started
                    timed.looked[rule.id] += 1
        findings.sort(key=Finding.sort_key)
        findings = _one_per_words(findings, self._rule_order())
        if timed is not None:
            timed.found.update({f.rule for f in findings})
        return findings

    def _rule_order(self) -> dict[str, int]:
        cached = self.__dict__.get("_order")
        if cached is None or cached[0] is not self.pack:  # a reload may swap the pack
            cached = self.__dict__["_order"] = (self.pack, {rule.id: i for i, rule in enumerate(self.pack.rules)})
        return cached[1]

    def check_reply(
        self,
        text: str,
        context: "Conversation | dict[str, Any] | list[dict[str, Any]] | None" = None,
        channel: str | None = None,
        *,
        ts=None,
        fail_on: str = "error",
    ):
        """Judge a draft reply as the next agent message of `context`, before it is sent.

        `context` is a Conversation, a canonical conversation dict, or a list of `{role, text, ts?}`
        messages. Returns a presend.CheckResult: the draft's findings, `blocking` (a finding at or above
        `fail_on`), suggestions, elapsed milliseconds. Rules about later messages (closing, resolution
        check) are not run; slow-response is judged only when `ts` (the draft's send time) is given.
        """
        from .presend import check_reply

        return check_reply(self, text, context, channel=channel, ts=ts, fail_on=fail_on)

    def draft_rule_set(self) -> tuple[list, list[str]]:
        """(rules that can judge a draft, ids of those that cannot), computed once per rule pack."""
        cached = self._draft_rules
        if cached is None or cached[0] is not self.pack:
            rules = [r for r in self.pack.rules if r.on_draft is not Draft.LATER]
            skipped = [r.id for r in self.pack.rules if r.on_draft is Draft.LATER]
            cached = self._draft_rules = (self.pack, rules, skipped)
        return cached[1], cached[2]

    def _problem(self, rule_id: str, reason: str) -> None:
        with self._lock:
            self.rule_problems.setdefault(rule_id, reason)


def _origins(config: Config, select, ignore, severity: dict, argument_origin: str) -> dict[tuple[str, str], str]:
    """(setting, entry) -> where it was written, for the loader's messages: the argument's when given there (it
    wins), else the configuration file's line."""
    origins: dict[tuple[str, str], str] = {}
    for setting in ("select", "ignore"):
        for n, value in enumerate(_as_list(config.get(setting))):
            origins[(setting, value.strip())] = f"{config.where(setting, n)}: {setting}"
    for key in config.get("severity") or {}:
        origins[("severity", str(key).strip())] = f"{config.where('severity', key)}: severity"
    for rule_id in config.get("options") or {}:
        origins[("options", str(rule_id))] = config.where("options", rule_id)
    for setting in ("audiences", "audience_segments"):
        for key in config.get(setting) or {}:
            origins[(setting, str(key))] = f"{config.where(setting, key)}: {setting}"
    for setting, values in (("select", select), ("ignore", ignore), ("severity", severity)):
        for value in values:
            origins[(setting, str(value).strip())] = argument_origin.format(setting)
    return origins


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in ([value] if isinstance(value, (str, int)) else value)]


def _one_per_words(findings: list[Finding], order: dict[str, int]) -> list[Finding]:
    """Findings sorted by Finding.sort_key, less those whose words another finding of the same category already
    marks in the same message: two rules of a category (a taboo phrase listed and a pattern for its paraphrases)
    that flag the same words are one mistake to the reader. Of overlapping ones the more severe stays, then the
    longer, then the one of the rule that comes first in the pack (`order`: rule id -> position)."""
    spans = [f for f in findings if f.start is not None and f.end is not None]
    if len(spans) < 2:
        return findings
    dropped: set[int] = set()
    groups: dict[tuple, list[Finding]] = {}
    for f in spans:
        groups.setdefault((f.message_index, f.category), []).append(f)
    for group in groups.values():
        if len(group) < 2:
            continue
        ranked = sorted(group, key=lambda f: (-int(Severity.parse(f.severity)), -(f.end - f.start),
                                              order.get(f.rule, len(order)), f.start, f.rule))
        # The kept spans never overlap each other, so sorted by start they are sorted by end too: the one kept span
        # that can overlap a finding is the last starting before it ends (bisection). Asking every kept span was
        # quadratic: a 200,000-character message with 27,000 findings spent 20 s here.
        starts: list[int] = []
        ends: list[int] = []
        for f in ranked:
            at = bisect.bisect_left(starts, f.end) - 1
            if at >= 0 and ends[at] > f.start:
                dropped.add(id(f))
            else:
                starts.insert(at + 1, f.start)
                ends.insert(at + 1, f.end)
    return findings if not dropped else [f for f in findings if id(f) not in dropped]

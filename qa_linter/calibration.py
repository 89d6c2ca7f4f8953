"""Calibration: findings compared with human labels, per category (precision, recall, F1).

Labels are keyed by (conversation id, message index, category), the format of the sample corpus's
labels.jsonl: `{"id": "s-002", "findings": [{"message_index": 1, "category": "slang", "note": "…"}]}`.
Several findings of one category on one message count once, as labellers count them.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .analysis import ConversationView
from .jsondata import loads
from .model import Conversation, Finding
from .vocabulary import CATEGORIES

Key = tuple[str, int, str]


@dataclass
class CategoryScore:
    category: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    def to_dict(self) -> dict:
        return {
            "category": self.category, "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": _round(self.precision), "recall": _round(self.recall), "f1": _round(self.f1),
        }


def summed(scores) -> CategoryScore:
    """The categories' counts added up: micro precision, recall and F1."""
    total = CategoryScore("micro")
    for c in scores:
        total.tp += c.tp
        total.fp += c.fp
        total.fn += c.fn
    return total


# The interval `--intervals` gives each F1: a percentile bootstrap over product lines. Errors cluster by product
# line (a trade's words, a team's habits), so the labelled conversations are not independent draws: resampling
# whole product lines says how much F1 may move on other product lines like these, which is what a team that
# labels a sample wants to know before it trusts a difference. Fixed rounds and seed: the same input always gives
# the same interval.
INTERVAL_ROUNDS = 2000
INTERVAL_LEVEL = 0.95
INTERVAL_SEED = 20261206
_DRAWS_AT_ONCE = 4_000_000  # product lines times rounds drawn in one go: at most 32 MB of counts


@dataclass
class CalibrationError:
    kind: str  # false-positive | false-negative
    key: Key
    excerpt: str
    detail: str  # the finding's message and matched text, or the label's note
    rule: str | None = None  # the rule that reported a false positive
    why: list[str] = field(default_factory=list)  # for a miss: what the rules of its category decided there
    finding: "Finding | None" = None  # the false positive itself
    context: "str | None" = None  # what the message answers, when a rule needs it read (Rule.context_of)


@dataclass
class Calibration:
    categories: dict[str, CategoryScore] = field(default_factory=dict)
    errors: list[CalibrationError] = field(default_factory=list)
    conversations: int = 0
    unlabelled: list[str] = field(default_factory=list)  # scanned but not in the labels
    unscanned: list[str] = field(default_factory=list)  # labelled but not scanned
    # Per product line (the conversation's team, else meta.product, else the conversation alone): per category,
    # [true hits, false hits, misses]. What f1_intervals resamples.
    groups: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    intervals: "dict[str, tuple[float, float] | None] | None" = None  # set by f1_intervals; None: not asked for
    # Labels of categories no loaded rule checks (--select slang, a pack of one's own): category -> how many. They
    # are not compared: a category the run does not check has no misses to count, and would pull micro down.
    not_compared: dict[str, int] = field(default_factory=dict)

    @property
    def micro(self) -> CategoryScore:
        return summed(self.categories.values())

    def to_dict(self) -> dict:
        return {
            "conversations": self.conversations,
            "categories": [self._scored(c) for c in self.categories.values()],
            "micro": self._scored(self.micro),
            "unlabelled": self.unlabelled,
            "unscanned": self.unscanned,
            "not_compared": self.not_compared,
            "errors": [
                {"kind": e.kind, "conversation_id": e.key[0], "message_index": e.key[1], "category": e.key[2],
                 "excerpt": e.excerpt, "context": e.context, "detail": e.detail, "rule": e.rule, "why": e.why}
                for e in self.errors
            ],
        }

    def _scored(self, score: CategoryScore) -> dict:
        doc = score.to_dict()
        if self.intervals is not None:
            interval = self.intervals.get(score.category)
            doc["f1_interval"] = None if interval is None else [_round(interval[0]), _round(interval[1])]
        return doc

    def product_lines(self) -> int:
        return len(self.groups)


def f1_intervals(cal: Calibration, rounds: int = INTERVAL_ROUNDS, level: float = INTERVAL_LEVEL,
                 seed: int = INTERVAL_SEED) -> "dict[str, tuple[float, float] | None]":
    """Per category and "micro": the `level` percentile interval of F1 when the product lines are drawn again,
    with replacement, `rounds` times (each draw as many product lines as there are). None where the labels give
    no F1 to vary: fewer than two product lines, or no draw with both predictions and labels of the category."""
    import numpy as np

    names = list(cal.categories)
    if len(cal.groups) < 2:
        return {name: None for name in names + ["micro"]}
    counts = np.array([[by_category.get(name, (0, 0, 0)) for name in names] for by_category in cal.groups.values()],
                      dtype=np.int64).reshape(len(cal.groups), len(names), 3)
    lines = len(cal.groups)
    rng = np.random.default_rng(seed)
    # How often each line is drawn, a few rounds at a time: labels without teams make each conversation a line of
    # its own, and 2,000 rounds of 100,000 lines at once would be 1.6 GB.
    step = max(1, _DRAWS_AT_ONCE // lines)
    totals = np.concatenate([
        np.einsum("rg,gck->rck", rng.multinomial(lines, np.full(lines, 1.0 / lines), size=min(step, rounds - done)),
                  counts)
        for done in range(0, rounds, step)
    ])
    totals = np.concatenate([totals, totals.sum(axis=1, keepdims=True)], axis=1)  # the micro column last
    tp, fp, fn = totals[..., 0], totals[..., 1], totals[..., 2]
    defined = (tp + fp > 0) & (tp + fn > 0)  # as CategoryScore.f1: no precision or no recall, no F1
    f1 = np.where(defined, 2 * tp / np.maximum(2 * tp + fp + fn, 1), np.nan)
    tail = (1.0 - level) / 2 * 100
    out: dict[str, tuple[float, float] | None] = {}
    for k, name in enumerate(names + ["micro"]):
        column = f1[:, k]
        if np.isnan(column).all():
            out[name] = None
            continue
        low, high = np.nanpercentile(column, [tail, 100 - tail])
        out[name] = (float(low), float(high))
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


class LabelError(ValueError):
    pass


def read_labels(path: Path) -> dict[str, dict[tuple[int, str], str]]:
    """id -> {(message_index, category): note}. Raises LabelError naming file and line."""
    labels: dict[str, dict[tuple[int, str], str]] = {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"{path}: cannot read labels: {exc}") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = loads(line)
            conv_id = str(obj["id"])
            items = {(int(f["message_index"]), str(f["category"])): str(f.get("note", "")) for f in obj["findings"]}
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise LabelError(f"{path}:{lineno}: not a label line ({exc}); expected {{\"id\", \"findings\": [{{\"message_index\", \"category\"}}]}}") from None
        labels[conv_id] = items
    return labels


def categories_of(rules) -> list[str]:
    """The categories the rules check, in the built-in order (vocabulary.CATEGORIES), then any custom ones sorted."""
    categories = [c for c in CATEGORIES if any(r.category == c for r in rules)]
    return categories + sorted({r.category for r in rules} - set(categories))


def calibrate(
    scanned: list[tuple[Conversation, list[Finding]]],
    labels: dict[str, dict[tuple[int, str], str]],
    categories: list[str],
) -> Calibration:
    result = Calibration(categories={c: CategoryScore(c) for c in categories})
    seen = set()
    for conv, findings in scanned:
        if conv.id not in labels:
            result.unlabelled.append(conv.id)
            continue
        seen.add(conv.id)
        result.conversations += 1
        group = result.groups.setdefault(_product_line(conv), {})
        predicted: dict[tuple[int, str], list[Finding]] = defaultdict(list)
        for f in findings:
            predicted[(f.message_index, f.category)].append(f)
        gold = labels[conv.id]
        for key in gold:
            if key[1] not in result.categories and key not in predicted:
                result.not_compared[key[1]] = result.not_compared.get(key[1], 0) + 1
        gold = {key: note for key, note in gold.items() if key[1] in result.categories or key in predicted}
        for key in sorted(set(predicted) | set(gold)):
            score = result.categories.setdefault(key[1], CategoryScore(key[1]))
            text = conv.messages[key[0]].text if 0 <= key[0] < len(conv.messages) else ""
            tally = group.setdefault(key[1], [0, 0, 0])
            if key in predicted and key in gold:
                score.tp += 1
                tally[0] += 1
            elif key in predicted:
                score.fp += 1
                tally[1] += 1
                f = predicted[key][0]
                detail = f"{f.rule}: {f.message}" + (f" «{f.text}»" if f.text else "")
                result.errors.append(CalibrationError("false-positive", (conv.id, *key), _short(text), detail, f.rule,
                                                     finding=f))
            else:
                score.fn += 1
                tally[2] += 1
                result.errors.append(CalibrationError("false-negative", (conv.id, *key), _short(text), gold[key]))
    result.unscanned = sorted(set(labels) - seen)
    return result


@dataclass
class Agreement:
    """A second reviewer's labels of some of the same conversations: how far the two reviewers agree per category
    (`reviewers`: tp labelled by both, fn by the first only, fp by the second only; F1 is the same whichever is
    taken as the reference), and the rules against each of them on those conversations. How far people who read
    the same standard agree is about as far as any rule can be expected to agree with one of them."""

    conversations: int
    reviewers: dict[str, CategoryScore]
    against_first: Calibration
    against_second: Calibration
    only_second: list[str] = field(default_factory=list)  # labelled by the second reviewer, not in the set

    @property
    def micro(self) -> CategoryScore:
        return summed(self.reviewers.values())

    def to_dict(self) -> dict:
        return {
            "conversations": self.conversations,
            "reviewers": [{**c.to_dict(), "f1": _round(agreement_f1(c))} for c in [*self.reviewers.values(), self.micro]],
            "rules_against_first": self.against_first.to_dict(),
            "rules_against_second": self.against_second.to_dict(),
            "labelled_by_second_only": self.only_second,
        }


def agreement_f1(score: CategoryScore) -> float | None:
    """2·both / (2·both + first only + second only): 0 where one reviewer labelled and the other never agreed,
    None where neither labelled anything."""
    total = 2 * score.tp + score.fp + score.fn
    return 2 * score.tp / total if total else None


def reviewer_agreement(first: dict, second: dict, categories: list[str]) -> dict[str, CategoryScore]:
    """Per category, over the conversations both label files name: labels of both reviewers (tp), of the first
    only (fn), of the second only (fp). Categories outside `categories` are left out."""
    scores = {c: CategoryScore(c) for c in categories}
    for conv_id in second.keys() & first.keys():
        ours, theirs = set(first[conv_id]), set(second[conv_id])
        for keys, slot in ((ours & theirs, "tp"), (ours - theirs, "fn"), (theirs - ours, "fp")):
            for _, category in keys:
                if category in scores:
                    setattr(scores[category], slot, getattr(scores[category], slot) + 1)
    return scores


def agreement(scanned: list[tuple[Conversation, list[Finding]]], first: dict, second: dict,
              categories: list[str]) -> Agreement:
    """Two reviewers and the rules, on the scanned conversations both reviewers labelled."""
    scanned_ids = {conv.id for conv, _ in scanned}
    shared = second.keys() & first.keys() & scanned_ids
    both = [(conv, findings) for conv, findings in scanned if conv.id in shared]

    def pick(labels: dict) -> dict:
        return {conv_id: labels[conv_id] for conv_id in shared}

    return Agreement(
        conversations=len(shared),
        reviewers=reviewer_agreement(pick(first), pick(second), categories),
        against_first=calibrate(both, pick(first), categories),
        against_second=calibrate(both, pick(second), categories),
        only_second=sorted(second.keys() - shared),
    )


def render_agreement(agreed: Agreement) -> str:
    """The reviewers' agreement per category beside the rules' F1 against each reviewer."""
    lines = [f"two reviewers on {agreed.conversations} conversations: where they agree, and the rules against each",
             f"{'category':<22}{'both':>6}{'1st':>6}{'2nd':>6}{'agree F1':>10}{'rules/1st':>11}{'rules/2nd':>11}"]
    for category, score in [*agreed.reviewers.items(), ("micro", agreed.micro)]:
        if category != "micro" and not (score.tp or score.fp or score.fn):
            continue  # neither reviewer labelled it here
        first = agreed.against_first.micro if category == "micro" else agreed.against_first.categories[category]
        second = agreed.against_second.micro if category == "micro" else agreed.against_second.categories[category]
        lines.append(f"{category:<22}{score.tp:>6}{score.fn:>6}{score.fp:>6}{_fmt(agreement_f1(score)):>10}"
                     f"{_fmt(first.f1):>11}{_fmt(second.f1):>11}")
    lines.append("both: labels of both reviewers; 1st, 2nd: of one of them only")
    lines.append("agree F1: one reviewer against the other; rules/…: the rules against each")
    if agreed.only_second:
        lines.append(f"labelled by the second reviewer but not in the set (ignored): {', '.join(agreed.only_second[:10])}"
                     + (" …" if len(agreed.only_second) > 10 else ""))
    return "\n".join(lines)


def _product_line(conv: Conversation) -> str:
    """What f1_intervals resamples a conversation with: its team, else its meta.product, else itself."""
    product = (conv.meta or {}).get("product") if isinstance(conv.meta, dict) else None
    return f"team:{conv.team}" if conv.team else f"product:{product}" if product else f"conversation:{conv.id}"


def explain_errors(linter, result: Calibration, conversations: dict[str, Conversation]) -> None:
    """Say, for every miss, what the rules of its category decided at that message: which candidate hits an
    exception or a condition cancelled (the toolkit's trace), or that no rule had a candidate there at all.
    Only the missed conversations are scanned again, with tracing on. For a false positive, what its rule
    decided about the whole conversation that made the finding (Rule.decided_by: jargon's audience)."""
    toolkit = linter.pack.toolkit
    rules_by_id = {r.id: r for r in linter.rules}
    for error in result.errors:
        if error.key[0] not in conversations:
            continue
        # What the message answers, where a rule of its category judges it by that (a reply by the turn before).
        view = ConversationView(conversations[error.key[0]], toolkit)
        owners = [rules_by_id[error.rule]] if error.rule in rules_by_id else \
            [r for r in linter.rules if r.category == error.key[2]]
        error.context = next((c for c in (r.context_of(view, error.key[1]) for r in owners) if c), None)
        if error.kind == "false-positive":
            rule = rules_by_id.get(error.rule or "")
            if rule is not None and error.finding is not None:
                error.why = rule.decided_by(view, error.finding)
            continue
        conv_id, index, category = error.key
        rules = [r for r in linter.rules if r.category == category]
        if not rules:
            error.why = [f"no rule of category {category} is loaded"]
            continue
        toolkit.trace = []
        try:
            linter.scan(conversations[conv_id], rules=rules)
            notes = [(owner, text, reason) for owner, at, text, reason in toolkit.trace if at == index]
        finally:
            toolkit.trace = None
        if notes:
            error.why = [f"{owner}: «{text}» cancelled by {reason}" for owner, text, reason in dict.fromkeys(notes)]
            error.rule = notes[0][0]
        else:
            error.rule = ", ".join(r.id for r in rules)
            error.why = ["no hit of these rules here, and none cancelled: the wording is not covered"]


def read_set(folder: Path) -> tuple[Path, Path]:
    """A labelled set is a folder with transcripts.jsonl and labels.jsonl (the sample corpus's layout)."""
    transcripts, labels = folder / "transcripts.jsonl", folder / "labels.jsonl"
    missing = [p.name for p in (transcripts, labels) if not p.is_file()]
    if missing:
        raise LabelError(f"{folder}: a labelled set needs {' and '.join(missing)} in the folder")
    return transcripts, labels


def render_sets(named: list[tuple[str, Calibration]]) -> str:
    """Per-category F1 of several labelled sets side by side (precision/recall in each set's own table)."""
    names = [name for name, _ in named]
    width = max(10, *(len(n) + 2 for n in names))
    lines = [f"{'category':<22}" + "".join(f"{n:>{width}}" for n in names)]
    categories = list(dict.fromkeys(c for _, cal in named for c in cal.categories))
    for category in categories + ["micro"]:
        row = f"{category:<22}"
        for _, cal in named:
            score = cal.micro if category == "micro" else cal.categories.get(category)
            row += f"{_fmt(score.f1 if score else None):>{width}}"
        lines.append(row)
    lines.append("F1 per category; each set's table above has precision and recall")
    return "\n".join(lines)


def _short(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width] + "…"


def _tail(text: str, width: int) -> str:
    """The end of `text` (what a reply answers is the end of the turn before it), a leading `role: ` kept."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    role, said = flat.split(": ", 1) if ": " in flat[:24] else ("", flat)
    return f"{role}: …{said[-width:]}" if role else f"…{said[-width:]}"


def render_text(cal: Calibration, show_errors: bool) -> str:
    intervals = cal.intervals
    header = f"{'category':<22}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}{'F1':>7}"
    lines = [header + (f"{'F1 95%':>13}" if intervals is not None else "")]
    rows = list(cal.categories.values()) + [cal.micro]
    for i, c in enumerate(rows):
        if i == len(rows) - 1:
            lines.append("-" * len(lines[0]))
        row = f"{c.category:<22}{c.tp:>5}{c.fp:>5}{c.fn:>5}{_fmt(c.precision):>11}{_fmt(c.recall):>8}{_fmt(c.f1):>7}"
        if intervals is not None:
            interval = intervals.get(c.category)
            row += f"{'-' if interval is None else f'{interval[0]:.3f}-{interval[1]:.3f}':>13}"
        lines.append(row)
    lines.append(f"{cal.conversations} labelled conversations compared")
    if intervals is not None:
        lines.append(f"F1 95%: middle 95% of F1 over {INTERVAL_ROUNDS:,} redraws of the {cal.product_lines()} product "
                     "lines (teams)")
    if cal.unlabelled:
        lines.append(f"not in the labels (ignored): {', '.join(cal.unlabelled[:10])}" + (" …" if len(cal.unlabelled) > 10 else ""))
    if cal.unscanned:
        lines.append(f"labelled but not scanned: {', '.join(cal.unscanned[:10])}" + (" …" if len(cal.unscanned) > 10 else ""))
    if cal.not_compared:
        lines.append("not compared, no loaded rule checks them: "
                     + ", ".join(f"{category} ({n:,} labels)" for category, n in sorted(cal.not_compared.items())))
    if show_errors and cal.errors:
        lines.extend(_grouped_errors(cal.errors))
    return "\n".join(lines)


def _grouped_errors(errors: list[CalibrationError]) -> list[str]:
    """Errors grouped by category, then by the rule (and, for misses, the condition) that decided them."""
    lines: list[str] = []
    by_category: dict[str, list[CalibrationError]] = defaultdict(list)
    for e in errors:
        by_category[e.key[2]].append(e)
    for category, items in by_category.items():
        fp = sum(e.kind == "false-positive" for e in items)
        lines += ["", f"{category}: {fp} false positives, {len(items) - fp} misses"]
        by_rule: dict[str, list[CalibrationError]] = defaultdict(list)
        for e in items:
            by_rule[e.rule or "(no rule)"].append(e)
        for rule, rule_items in by_rule.items():
            lines.append(f"  {rule}")
            lines.extend(_tally(rule_items))
            for e in sorted(rule_items, key=lambda e: (e.kind, e.key)):
                tag = "FP" if e.kind == "false-positive" else "FN"
                lines.append(f"    {tag} {e.key[0]} #{e.key[1]} {e.key[2]}: {e.detail}")
                if e.context:
                    lines.append(f"       answers {_tail(e.context, 100)}")
                lines.append(f"       {e.excerpt}")
                lines.extend(f"       why: {why}" for why in e.why)
    return lines


# The particulars of a reason (the words «…», a probability and the words behind it), left out when reasons are
# counted: "audience business: a business speaks: «贵司»" and "…«我司»" are one kind of decision.
_PARTICULARS = re.compile(r"«[^»]*»|\s*\((?:\d[^()]*|[^()]*\d\.\d+[^()]*|message \d+)\)|:\s*$")
_NUMBERED = re.compile(r"#\d+")  # met by 请您确认 in message #3
_QUOTED = re.compile(r"「[^」]*」")  # the words a finding's message quotes
_TALLY_AT_LEAST = 3  # a rule with fewer errors is read error by error
_TALLY_KINDS = 10


def _tally(items: list[CalibrationError]) -> list[str]:
    """How many of a rule's false positives and misses each kind of decision accounts for, most first: where a
    rule author should look before reading the errors one by one."""
    if len(items) < _TALLY_AT_LEAST:
        return []
    counts: Counter = Counter()
    for e in items:
        tag = "FP" if e.kind == "false-positive" else "FN"
        kinds = {_decision(why) for why in e.why}
        if not kinds:  # a finding its rule gives no reason for: told apart by what it says (用户随后问「…」…)
            kinds = {f"reported as: {_QUOTED.sub('「…」', e.finding.message)}" if e.finding is not None
                     else "(no further reason given)"}
        for kind in kinds:
            counts[(tag, kind)] += 1
    width = len(str(max(counts.values())))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    lines = ["    what decided them:"] + [f"      {tag} {n:>{width}}  {kind}" for (tag, kind), n in ranked[:_TALLY_KINDS]]
    if len(ranked) > _TALLY_KINDS:
        rest = ranked[_TALLY_KINDS:]
        lines.append(f"      … {len(rest)} more kinds, {sum(n for _, n in rest)} errors (below, one by one)")
    return lines


def _decision(why: str) -> str:
    """A reason without its particulars (_PARTICULARS)."""
    kind = " ".join(_PARTICULARS.sub("", _NUMBERED.sub("#…", why)).split()).replace(": (", " (").rstrip(":").strip()
    return kind or why


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"

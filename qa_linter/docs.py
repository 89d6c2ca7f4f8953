"""Rule documentation generated from the rules themselves (`rules list`, `rules show`, README reference)."""
from __future__ import annotations

import json

from .checks.fields import COMMON_FIELDS


def rules_table(rules, fmt: str = "text") -> str:
    rows = [(r.id, r.TYPE, r.category, str(r.severity), str(r.manual or "")) for r in rules]
    if fmt == "json":
        return json.dumps(
            [dict(zip(("id", "type", "category", "severity", "manual"), row)) | {"message": r.message_template}
             for row, r in zip(rows, rules)],
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "markdown":
        lines = ["| rule | type | category | severity | manual | message |", "|---|---|---|---|---|---|"]
        for row, r in zip(rows, rules):
            cells = [f"`{row[0]}`", row[1], f"`{row[2]}`", row[3], row[4], r.message_template]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in rows + [("rule", "type", "category", "severity", "manual")]) for i in range(4)]
    header = ("rule", "type", "category", "severity", "manual")
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  " + header[4]]
    for row in sorted(rows, key=lambda r: (r[2], r[0])):
        lines.append(("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[4]).rstrip())
    lines.append(f"{len(rows)} rules")
    return "\n".join(lines)


def rule_details(rule) -> str:
    lines = [
        f"{rule.id}  ({rule.TYPE}, {rule.category}, {rule.severity})",
        f"manual:   {rule.manual or '-'}",
        f"scope:    {rule.scope.describe()}" + (f", channels: {', '.join(sorted(rule.channels))}" if rule.channels else ""),
        f"message:  {rule.message_template}",
    ]
    if rule.suggest:
        lines.append(f"suggest:  {rule.suggest}")
    checks = _what_it_matches(rule)
    if checks:
        lines += ["", "Checks:"] + [f"  {line}" for line in checks]
    if rule.description:
        lines += ["", str(rule.description).strip()]
    if rule.source:
        lines += ["", f"defined in {rule.source}"]
    examples = rule.examples if isinstance(rule.examples, dict) else {}
    for kind, label in (("flag", "Flags (must be reported)"), ("pass", "Passes (must not be reported)")):
        if examples.get(kind):
            lines += ["", label + ":"]
            for ex in examples[kind]:
                lines.append(f"  - {_example_text(ex)}")
    return "\n".join(lines)


# Fields every rule has are shown above; the rest of a rule's fields say what it matches and are shown under
# "Checks", with scope and channels as the rule wrote them.
_COMMON = set(COMMON_FIELDS.names()) - {"scope", "channels"}
_LIST_SHOWN = 8  # items of a long term list shown before "… (+N more)"


def _what_it_matches(rule) -> list[str]:
    spec = rule.spec if isinstance(rule.spec, dict) else {}
    return [f"{key}: {_compact(value)}" for key, value in spec.items() if key not in _COMMON]


def _compact(value) -> str:
    """One line for a rule field: lists shortened, {term, suggest} mappings as term → suggestion."""
    if isinstance(value, dict):
        if "term" in value:
            return str(value["term"]) + (f" → {value['suggest']}" if value.get("suggest") else "")
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        shown = ", ".join(_compact(v) for v in value[:_LIST_SHOWN])
        more = f" … (+{len(value) - _LIST_SHOWN} more)" if len(value) > _LIST_SHOWN else ""
        return f"[{shown}{more}]"
    return str(value)


def _example_text(example) -> str:
    if isinstance(example, str):
        return example
    prefix = ""
    if isinstance(example, dict) and "messages" in example:
        prefix = f"({example['channel']}) " if example.get("channel") else ""
        example = example["messages"]
    if isinstance(example, list):
        parts = []
        for m in example:
            if isinstance(m, dict) and len(m) == 1:
                role, text = next(iter(m.items()))
            elif isinstance(m, dict):
                role, text = m.get("role"), m.get("text")
                if m.get("ts"):  # timing examples: the times are what the example is about
                    role = f"{role} {m['ts']}"
            else:
                role, text = "?", m
            parts.append(f"{role}: {text}")
        return prefix + " / ".join(parts)
    return repr(example)

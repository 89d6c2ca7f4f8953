"""Rule documentation generated from the rules themselves (`rules list`, `rules show`, README reference) and from
the rule types' declarations (the field and type reference of docs/rule-language.md, `rules types`).

    python -m qa_linter.docs docs/rule-language.md    # rewrite the generated parts of the reference in place
"""
from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

from .checks.fields import COMMON_FIELDS, MATCHER_FIELDS, FieldSet


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


# -- the rule-language reference, from the rule types' declarations ----------------------------------------------
def field_table(fields, prefix: str = "") -> list[str]:
    """A markdown table of fields: name, what the value is, its default (or "required"), what it means."""
    lines = ["| field | value | default | meaning |", "|---|---|---|---|"]
    for row in _field_rows(fields, prefix):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return lines


def _field_rows(fields, prefix: str = ""):
    for f in fields:
        if isinstance(f, FieldSet):
            names = ", ".join(f"`{n}`" for n in f.names())
            yield [f"the [{f.name}](#{f.anchor})", "", "", names]
            continue
        default = "required" if f.required else (f"`{f.default}`" if f.default is not None else "")
        meaning = f.doc + (f" (instead of {' and '.join(f'`{x}`' for x in f.excludes)})" if f.excludes else "")
        meaning += f"; e.g. `{f.example_yaml}`" if f.example is not None else ""
        yield [f"`{prefix}{f.name}`", f.kind, default, meaning]
        yield from _field_rows(f.documented_parts(), f"{prefix}{f.name}.")


def common_fields_reference() -> str:
    return "\n".join(field_table(COMMON_FIELDS))


def matcher_fields_reference() -> str:
    return "\n".join(field_table(MATCHER_FIELDS))


def rule_types_reference() -> str:
    """Every rule type: what it does (its docstring), its fields, and its documented example rules."""
    from .checks import RULE_TYPES

    parts = []
    for name, cls in RULE_TYPES.items():
        parts.append(f"### {name}\n\n{inspect.cleandoc(cls.__doc__ or '')}\n")
        parts.append("\n".join(field_table([*cls.SHARED, *cls.own_fields()])) + "\n")
        if cls.EXAMPLES:
            parts.append("Example (the test suite loads it and runs its `examples`):\n\n```yaml\n"
                         + cls.EXAMPLES.rstrip() + "\n```\n")
    return "\n".join(parts).rstrip()


def rule_types_text() -> str:
    """`qa-lint rules types`: each rule type and the fields it takes, one line each."""
    from .checks import RULE_TYPES

    lines = []
    for name, cls in RULE_TYPES.items():
        shared = [n for field_set in cls.SHARED for n in field_set.names()]
        lines.append(f"{name:<10} {', '.join([*shared, *(f.name for f in cls.own_fields())])}")
    lines.append(f"every rule: {', '.join(COMMON_FIELDS.names())}")
    return "\n".join(lines)


# The generated parts of docs/rule-language.md, each between <!-- NAME:start --> and <!-- NAME:end -->.
REFERENCE_PARTS = {
    "common-fields": common_fields_reference,
    "matcher-fields": matcher_fields_reference,
    "rule-types": rule_types_reference,
}


def _part(name: str) -> "re.Pattern[str]":
    return re.compile(f"(<!-- {name}:start -->\n)(.*?)(<!-- {name}:end -->)", flags=re.S)


def reference_part(text: str, name: str) -> str | None:
    """The generated part `name` of a document as it stands (None when its markers are missing)."""
    m = _part(name).search(text)
    return m.group(2).strip() if m else None


def update_reference(text: str) -> str:
    """`text` with every generated part written afresh."""
    for name, build in REFERENCE_PARTS.items():
        text = _part(name).sub(lambda m: m.group(1) + build() + "\n" + m.group(3), text)
    return text


def main(argv: list[str]) -> int:
    for name in argv or ["docs/rule-language.md"]:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        updated = update_reference(text)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))

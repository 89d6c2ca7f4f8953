"""`qa-lint scan --statistics`: findings counted per rule, most frequent first, as text or JSON."""
from __future__ import annotations

import json

from .excerpt import json_safe


def write_statistics(fmt: str, out, summary, linter, color: str = "auto") -> None:
    from .text import make_console, print_statistics

    if fmt == "text":
        print_statistics(make_console(out, color), summary, linter)
        return
    categories = {r.id: r.category for r in linter.rules}
    rows = [{"rule": k, "category": categories.get(k), "count": v}
            for k, v in sorted(summary.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))]
    out.write(json_safe(json.dumps(rows, ensure_ascii=False, indent=2)) + "\n")

"""Terminal output of `qa-lint check`: each finding of the draft with its excerpt and what to do about it."""
from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..vocabulary import SEVERITIES, plural
from .excerpt import excerpt, terminal_safe
from .text import SEVERITY_STYLES

SUGGESTION_LABELS = {"replacement": "改为：", "advice": "建议："}


def print_check(console: Console, draft: str, result) -> None:
    """Findings to stdout (nothing when the draft is clean); the one-line verdict goes to stderr separately."""
    plain = console.no_color or not console.is_terminal
    by_finding = {s.finding: s for s in result.suggestions}
    for position, f in enumerate(result.findings):
        line = Text()
        line.append(f"{str(f.severity):<8}", style=SEVERITY_STYLES.get(str(f.severity), ""))
        line.append(f" {terminal_safe(f.message)}")
        line.append(f"  {f.rule}", style="dim")
        if f.start is not None:
            before, match, after = excerpt(draft, f)
            line.append("\n         ")
            line.append(before, style="dim")
            line.append(f"«{match}»" if plain else match, style="bold reverse red")
            line.append(after, style="dim")
        suggestion = by_finding.get(position)
        if suggestion is not None and suggestion.replacement == "":
            line.append("\n         建议：删除「" + terminal_safe(f.text or "") + "」", style="green")
        elif suggestion is not None:
            line.append("\n         " + SUGGESTION_LABELS[suggestion.kind], style="green")
            line.append(terminal_safe(suggestion.replacement or suggestion.text), style="green")
        console.print(line)


def verdict(result) -> str:
    """One line: how many findings of which severity, whether the draft may be sent, how long it took."""
    counts = {}
    for f in result.findings:
        counts[str(f.severity)] = counts.get(str(f.severity), 0) + 1
    if not result.findings:
        head = "no findings"
    else:
        parts = ", ".join(plural(counts[k], k) for k in SEVERITIES if counts.get(k))
        head = f"{plural(len(result.findings), 'finding')} ({parts})"
    send = f"blocks sending (--fail-on {result.fail_on})" if result.blocking else "ok to send"
    return f"{head} · {send} · {result.elapsed_ms:.1f} ms"

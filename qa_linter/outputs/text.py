"""Terminal output: findings grouped by conversation, matched words marked, then the summary on stderr."""
from __future__ import annotations

import os
from typing import IO

from rich.console import Console
from rich.text import Text

from ..model import Conversation, Finding, split_location
from ..vocabulary import SEVERITIES, plural
from .excerpt import excerpt, terminal_safe

ROLE_LABELS = {"agent": "客服", "customer": "客户", "system": "系统"}
SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def make_console(out: IO[str], color: str = "auto", width: int | None = None) -> Console:
    # no-color.org: NO_COLOR set to a non-empty value turns colour off; an explicit --color always still wins.
    no_color = color == "never" or (color == "auto" and bool(os.environ.get("NO_COLOR")))
    console = Console(
        file=out,
        force_terminal=True if color == "always" else None,
        no_color=no_color,
        color_system=None if no_color else "auto",
        highlight=False,
        emoji=False,
        markup=False,
        width=width,
        soft_wrap=False,
    )
    # Wrap lines only for a person at a terminal; in a file or a pipe a line stays whole (grep, file:line).
    console.soft_wrap = not console.is_terminal
    return console


class TextWriter:
    def __init__(self, console: Console, show_clean: bool = False):
        self.console = console
        self.show_clean = show_clean
        self.plain = console.no_color or not console.is_terminal
        # A file or a pipe: no colour, no wrapping (see make_console), so the plain text is the output.
        self.unstyled = not console.is_terminal and console.color_system is None and console.soft_wrap

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        if not findings and not self.show_clean:
            return
        c = self.console
        # path:line first, as compilers and ruff print it, so terminals and editors open the file at the line.
        head = Text(f"{terminal_safe(shown_location(conv.source))}: " if conv.source else "", style="")
        head.append(terminal_safe(conv.id), style="bold")
        details = [conv.channel, conv.agent and terminal_safe(conv.agent), conv.team and terminal_safe(conv.team)]
        start = conv.start_time
        if start:
            details.append(start.strftime("%Y-%m-%d %H:%M"))
        head.append("  " + " · ".join(d for d in details if d), style="dim")
        if extra and extra.get("score") is not None:
            head.append(f"  得分 {extra['score']}", style="bold")
        # One print per conversation: each call through rich costs far more than the text it writes.
        block = Text("\n").join([head, *(self._finding(conv, f) for f in findings)])
        block.append("\n")
        if self.unstyled:
            c.file.write(block.plain + "\n")  # what rich would write, without its rendering pipeline
        else:
            c.print(block)

    def _finding(self, conv: Conversation, f: Finding) -> Text:
        line = Text("  ")
        line.append(f"#{f.message_index}", style="bold")
        line.append(f" {ROLE_LABELS.get(f.role, f.role)}  ")
        line.append(str(f.severity), style=SEVERITY_STYLES.get(str(f.severity), ""))
        line.append(f"  {f.rule}", style="dim")
        where = conv.message_location(f.message_index)
        if where is not None and where != conv.source:
            # A chat log or a spreadsheet row: the message's own line, to open it there.
            line.append(f"  {terminal_safe(shown_location(where))}", style="dim")
        line.append(f"\n     {terminal_safe(f.message)}")
        text = conv.messages[f.message_index].text if f.message_index < len(conv.messages) else ""
        before, match, after = excerpt(text, f)
        line.append("\n     ")
        line.append(before, style="dim")
        if match:
            line.append(f"«{match}»" if self.plain else match, style="bold reverse red")
        line.append(after, style="dim")
        if f.suggestion:
            line.append("\n     建议：", style="green")
            line.append(terminal_safe(f.suggestion), style="green")
        return line

    def close(self, summary: dict, header: dict) -> None:
        pass


def shown_location(source: str) -> str:
    """A conversation's "path:line" as the text output shows it: relative to the current folder when the file
    is inside it (shorter, and what a user typed), else as read."""
    path, line = split_location(source)
    if path is None or not os.path.isabs(path):
        return source
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return source
    if relative.startswith(os.pardir):
        return source
    return f"{relative}:{line}" if line is not None else relative


def print_summary(console: Console, summary, quiet: bool = False) -> None:
    """The closing summary (stderr): counts, findings by category, what was skipped and why."""
    s = summary
    if not quiet:
        sev = ", ".join(plural(s.by_severity[k], k) for k in SEVERITIES if s.by_severity.get(k))
        console.print(
            Text(
                f"{plural(s.conversations, 'conversation')}, {plural(s.messages, 'message')}, "
                f"{plural(s.findings, 'finding')}"
                + (f" ({sev})" if sev else "")
                + (f", {s.suppressed} suppressed" if getattr(s, "suppressed", 0) else "")
                + f" in {s.elapsed:.1f} s",
                style="bold",
            )
        )
        if s.by_category:
            cats = "  ".join(f"{cat} {n}" for cat, n in sorted(s.by_category.items(), key=lambda kv: (-kv[1], kv[0])))
            console.print(Text("  " + terminal_safe(cats)))
    if s.skipped_count:
        console.print(Text(f"Skipped {plural(s.skipped_count, 'input record')}:", style="bold yellow"))
        for p in s.skipped:
            console.print(Text(terminal_safe(f"  {p.where()}: {p.reason}")))
        if s.skipped_count > len(s.skipped):
            console.print(Text(f"  … and {s.skipped_count - len(s.skipped)} more"))
    duplicates = getattr(s, "duplicates", [])
    if duplicates:
        # A warning, not an error: every record was checked; where results are kept by id the last one wins.
        # (Kept within 80 columns; the README says that the HTML scorecards keep the last one too.)
        console.print(Text(f"Warning: {plural(len(duplicates), 'conversation id')} read more than once; the last "
                           "one is stored:", style="bold yellow"))
        for d in duplicates[: s.MAX_LISTED]:
            console.print(Text(terminal_safe(f"  {d.id}: {', '.join(d.sources)}")))
        if len(duplicates) > s.MAX_LISTED:
            console.print(Text(f"  … and {len(duplicates) - s.MAX_LISTED} more"))
    for rule_id, reason in sorted(s.rule_problems.items()):
        console.print(Text(terminal_safe(f"Rule {rule_id}: {reason}"), style="bold yellow"))


RULES_TIMED = 10  # rules listed by --timings, the slowest first; the rest are summed on one line


def print_rule_times(console: Console, summary) -> None:
    """`scan --timings` (stderr): the time each rule's checks took, the slowest first, so that a rule that holds a
    scan up is seen (a pattern that backtracks, a list run over every message), and how widely it looked: the
    conversations its check ran on against those it reported something in (a rule that runs on most of them and
    reports in few has a wide gate: a pattern with no literal part, a common word a condition then rejects)."""
    times = summary.rule_times
    seconds = times.seconds if times is not None else {}
    total = sum(seconds.values())
    console.print(Text(f"Time in rule checks: {total:.2f} s (all processes added up), the slowest rules:", style="bold"))
    ranked = sorted(seconds.items(), key=lambda kv: (-kv[1], kv[0]))
    width = max((len(rule) for rule, _ in ranked[:RULES_TIMED]), default=0)
    if ranked:
        console.print(Text(f"  {'':<{width}}  {'time':>9}  share  {'looked at':>9}  {'found in':>8}", style="dim"))
    for rule, spent in ranked[:RULES_TIMED]:
        share = spent / total if total else 0.0
        console.print(Text(terminal_safe(f"  {rule:<{width}}  {spent:7.2f} s  {share:5.0%}  "
                                         f"{times.looked[rule]:9,d}  {times.found[rule]:8,d}")))
    rest = ranked[RULES_TIMED:]
    if rest:
        console.print(Text(f"  … {plural(len(rest), 'more rule')}, {sum(s for _, s in rest):.2f} s"))
    if ranked:
        console.print(Text(f"  looked at: the conversations (of {summary.conversations:,}) a rule's check ran on;\n"
                           "  found in: those it reported something in", style="dim"))


def print_statistics(console: Console, summary, linter) -> None:
    categories = {r.id: r.category for r in linter.rules}
    for rule_id, n in sorted(summary.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        console.print(Text(terminal_safe(f"{n:>6}  {rule_id:<32} {categories.get(rule_id, '')}")))

"""The `qa-lint` command line: one module per command group, each a thin layer over a run.Run.

A command module defines `command` (a click command or group) and reads its options into a Run (common.make_run),
which builds the rules, scoring model, masker, readers and outputs from the merged configuration. Adding a
command group is one module here and its name in COMMANDS.
"""
from __future__ import annotations

import atexit
import gc
import sys
import warnings
from importlib import import_module

import click

from .. import __version__

COMMANDS = ("scan", "convert", "calibrate", "rules", "check", "serve", "report", "review", "replay", "config")


def version_text() -> str:
    """The program's version and the versions of the rule pack and scorecard it ships: results (the store, the
    JSON header) name these, so a question about a result starts from them. What a project's configuration
    makes of them (its own packs, scorecard) is `qa-lint config show`."""
    from ..errors import QALinterError
    from ..resources import builtin_rules
    from ..scoring import load_scoring_model
    from ..yamlfile import load_yaml

    lines = [f"qa-lint {__version__}"]
    try:
        pack = (load_yaml(builtin_rules() / "_pack.yaml") or {}).get("pack") or {}
        lines.append(f"rule pack  {pack.get('name', '?')} {pack.get('version', '?')} (built-in)")
    except (QALinterError, AttributeError) as exc:
        lines.append(f"rule pack  unreadable: {exc}")
    try:
        card = load_scoring_model()
        lines.append(f"scorecard  {card.name} {card.version} (bundled; fingerprint {card.fingerprint})")
    except QALinterError as exc:
        lines.append(f"scorecard  unreadable: {exc}")
    return "\n".join(lines)


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


class _Program(click.Group):
    """The top-level group; as a process's own command line it also makes that process's exit quick."""

    def main(self, args=None, *rest, **extra):
        if args is None:  # the command line of a process (args from sys.argv), not a call from Python (tests)
            atexit.register(_freeze_collector)
            warnings.showwarning = _show_warning
        return super().main(args, *rest, **extra)


_python_show_warning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """The tool's own runtime warnings (a block scanned message by message) as one line for the user, without the
    source line Python would print; every other warning as Python shows it."""
    if issubclass(category, RuntimeWarning) and category.__module__.startswith("qa_linter."):
        print(f"qa-lint: warning: {message}", file=file or sys.stderr)
        return
    _python_show_warning(message, category, filename, lineno, file, line)


def _freeze_collector() -> None:
    """At the interpreter's exit, before its final collections: whatever the process still holds (the rules,
    jieba's dictionary parts, caches: millions of objects) is freed anyway, and those collections would walk all
    of it again and again (0.1-0.2 s after a 20 MB scan, measured from outside; 0.03 s frozen). Outputs
    are closed by then and the other exit handlers have run or still run: only the collector's walks are skipped."""
    gc.disable()
    gc.freeze()


@click.group(cls=_Program, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version, the built-in rule pack's and the bundled scorecard's, and exit.")
def main():
    """qa-lint: check customer-service transcripts against service standards written as YAML rules."""


for _name in COMMANDS:
    main.add_command(import_module(f"{__name__}.{_name}").command)

__all__ = ["COMMANDS", "main", "version_text"]

"""What every command shares: exit codes, user errors, the rule options, building the Run, output files.

Exit codes, as linters do it: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration or input
errors. Data goes to stdout, summaries and errors to stderr.
"""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator

import click

from ..errors import QALinterError, RuleLoadError, ScorecardError, SuppressionError
from ..run import Run, RunOptions
from ..vocabulary import plural

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UserError(click.ClickException):
    exit_code = EXIT_ERROR

    def format_message(self) -> str:
        return safe(self.message, lines=True)  # it may quote a file name or a value from a file


def safe(text: str, lines: bool = False) -> str:
    """Text from files (names, values, transcript snippets) made harmless for the terminal (see outputs/excerpt.py)."""
    from ..outputs.excerpt import terminal_safe

    return terminal_safe(text, lines)


def json_text(value) -> str:
    """JSON for stdout, with C1 and bidi controls written as \\u escapes (see outputs/excerpt.json_safe)."""
    import json

    from ..outputs.excerpt import json_safe

    return json_safe(json.dumps(value, ensure_ascii=False, indent=2))


def echo_err(text: str) -> None:
    click.echo(safe(text), err=True)


def stderr_console(color: str = "auto"):
    from ..outputs.text import make_console

    return make_console(sys.stderr, color)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Every mistake the user can fix becomes its message(s) on stderr and exit code 2, never a traceback."""
    try:
        yield
    except RuleLoadError as exc:
        for error in exc.errors:
            echo_err(f"error: {error.describe()}")
        raise UserError(f"{plural(len(exc.errors), 'error')} in the rules or their settings; nothing was scanned") from None
    except ScorecardError as exc:
        for error in exc.errors:
            echo_err(f"error: {error.describe()}")
        raise UserError(f"{plural(len(exc.errors), 'error')} in the scorecard; nothing was scanned") from None
    except SuppressionError as exc:
        for error in exc.errors:
            echo_err(f"error: {error.describe()}")
        raise UserError(f"{plural(len(exc.errors), 'error')} in the suppressions file; nothing was scanned") from None
    except QALinterError as exc:
        raise UserError(str(exc)) from None


# -- the options every rule-loading command takes ---------------------------------------------------------------
RULE_OPTIONS = [
    click.option("--config", "config_path", type=click.Path(dir_okay=False), help="qa-linter.yaml or pyproject.toml to use."),
    click.option("--rules", "rules", multiple=True, type=click.Path(), help="Extra rule file or folder (repeatable)."),
    click.option("--no-builtin", is_flag=True, help="Do not load the built-in rule pack."),
    click.option("--select", multiple=True, help="Only these rule ids, categories or prefixes (comma-separated)."),
    click.option("--ignore", multiple=True, help="Skip these rule ids, categories or prefixes (comma-separated)."),
    click.option("--severity", multiple=True, help="Override a severity: RULE_OR_CATEGORY=error|warning|info."),
]
CONFIG_OPTION = RULE_OPTIONS[0]


def with_rule_options(func):
    for option in reversed(RULE_OPTIONS):
        func = option(func)
    return func


def make_run(config_path=None, rules=(), no_builtin=False, select=(), ignore=(), severity=(), **more) -> Run:
    """The Run of a command: the rule options plus whatever else the command says (`more`: RunOptions fields)."""
    return Run(RunOptions(config_path=config_path, rules=tuple(rules), no_builtin=no_builtin, select=tuple(select),
                          ignore=tuple(ignore), severity=tuple(severity), **more),
               warn=lambda message: echo_err(f"warning: {message}"))


def input_format_option(func):
    """--input-format: one of the formats; the old spelling `chatlog` is still taken (Run warns about it)."""
    from ..vocabulary import DEPRECATED_INPUT_FORMATS, INPUT_FORMATS

    class FormatChoice(click.Choice):
        # The deprecated spellings are accepted but not offered: help and errors list the current names only.
        def convert(self, value, param, ctx):
            return value if value in DEPRECATED_INPUT_FORMATS else super().convert(value, param, ctx)

    return click.option("--input-format", type=FormatChoice(INPUT_FORMATS), default=None,
                        help="Read inputs as this format regardless of extension.")(func)


def load_rules(run: Run, quiet: bool = False):
    """The run's linter, its load warnings (a deprecated field name) printed unless `quiet`."""
    linter = run.linter
    if not quiet:
        for warning in linter.pack.warnings:
            echo_err(f"warning: {warning.describe()}")
    return linter


def load_scoring(run: Run):
    """The run's scoring model, with a warning for categories no section holds."""
    model = run.scoring
    unmapped = run.unmapped_categories()
    if unmapped:
        echo_err(f"warning: no scorecard section holds {', '.join(unmapped)}; those findings do not change the score")
    return model


# -- output files -----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def output_file(path: str | None, default=None):
    """The -o/--output file (or `default`, stdout), written whole or not at all (outputs/atomic.py): put in place
    when the block completes, left as it was (or absent) after a failure or an interruption. A folder that does
    not exist or a read-only place is exit 2, not a traceback."""
    if not path:
        yield default if default is not None else sys.stdout
        return
    from ..outputs.atomic import AtomicOutput

    try:
        out = AtomicOutput(path)
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
    completed = False
    try:
        yield out
        completed = True
    finally:
        try:
            out.finish(completed)
        except OSError as exc:
            raise UserError(f"{out.path}: cannot write: {exc.strerror or exc}") from None

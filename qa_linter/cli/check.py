"""`qa-lint check`: the pre-send check of one draft reply (docs/presend.md)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..vocabulary import CHANNELS, FAIL_ON
from .common import (
    EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UserError, echo_err, json_text, load_rules, make_run, user_errors,
    with_rule_options,
)


@click.command("check")
@click.argument("text")
@click.option("--context", "context_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="The conversation so far: canonical JSON, one JSON Lines record, or a list of messages.")
@click.option("--channel", type=click.Choice(CHANNELS), default=None,
              help="Channel of the reply [default: the context's, else chat].")
@click.option("--ts", help="When the reply would be sent (ISO 8601); slow-response is judged only with it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Lowest severity that blocks sending (exit 1) [default: error].")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@with_rule_options
def command(text, context_path, channel, ts, fmt, color, **options):
    """Check a draft reply (TEXT, or - to read it from stdin) as the next agent message of --context.

    Exit 1 when a finding at or above --fail-on would block sending, 0 when the reply may be sent.
    """
    from ..canonical import InvalidTranscript

    draft = _read_draft(text)
    if not draft.strip():
        raise UserError("nothing to check: the draft is empty")
    if context_path == "-" and text == "-":
        raise click.UsageError("the draft and --context cannot both come from stdin")
    context = _read_context(context_path) if context_path else None
    with user_errors():
        run = make_run(**options)
        linter = load_rules(run)
        try:
            result = linter.check_reply(draft, context=context, channel=channel, ts=ts, fail_on=run.fail_on)
        except (InvalidTranscript, ValueError) as exc:
            raise UserError(str(exc)) from None
    if fmt == "json":
        click.echo(json_text(result.to_dict()))
    else:
        from ..outputs.check_text import print_check, verdict
        from ..outputs.text import make_console

        print_check(make_console(sys.stdout, color), draft, result)
        click.echo(verdict(result), err=True)
    for rule_id, reason in sorted(linter.rule_problems.items()):
        echo_err(f"Rule {rule_id}: {reason}")
    sys.exit(EXIT_ERROR if linter.rule_problems else EXIT_FINDINGS if result.blocking else EXIT_CLEAN)


def _read_draft(text: str) -> str:
    if text != "-":
        from ..jsondata import without_surrogates

        return without_surrogates(text)  # bytes of the argument that were not UTF-8 arrive as lone surrogates
    try:
        draft = sys.stdin.buffer.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"<stdin>: the draft is not UTF-8 (byte {exc.start})") from None
    draft = draft[:-1] if draft.endswith("\n") else draft  # the newline `echo` adds is not part of the reply
    draft = draft[:-1] if draft.endswith("\r") else draft
    if not draft.strip():
        raise UserError("nothing to check: the draft on stdin is empty")
    return draft


def _read_context(context_path: str):
    from ..canonical import InvalidTranscript
    from ..presend import parse_context

    try:
        data = sys.stdin.buffer.read() if context_path == "-" else Path(context_path).read_bytes()
        return parse_context(data, "<stdin>" if context_path == "-" else context_path)
    except OSError as exc:
        raise UserError(f"{context_path}: cannot read: {exc.strerror or exc}") from None
    except InvalidTranscript as exc:
        raise UserError(str(exc)) from None

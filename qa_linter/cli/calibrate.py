"""`qa-lint calibrate`: the rules' findings against human labels, precision, recall and F1 per category."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import EXIT_ERROR, UserError, load_rules, make_run, safe, stderr_console, user_errors, with_rule_options


@click.command("calibrate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--gold", required=True, type=click.Path(exists=True, dir_okay=False), help="Human labels (JSON Lines, see README).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--show-errors", is_flag=True, help="List every false positive and false negative with its excerpt.")
@with_rule_options
def command(paths, gold, fmt, show_errors, **rule_options):
    """Compare findings with human labels: precision, recall and F1 per category."""
    import json

    from ..batch import ScanSummary
    from ..calibration import LabelError, calibrate, categories_of, read_labels, render_text
    from ..outputs.text import print_summary

    try:
        labels = read_labels(Path(gold))
    except LabelError as exc:
        raise UserError(str(exc)) from None
    summary = ScanSummary()
    with user_errors():
        run = make_run(**rule_options, jobs=1)
        linter = load_rules(run)
        scanned = list(run.scan(run.read(paths), summary))
    result = calibrate(scanned, labels, categories_of(linter.rules))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(safe(render_text(result, show_errors), lines=True))
    summary.finish(linter)
    if summary.skipped_count or summary.rule_problems:
        print_summary(stderr_console(), summary, quiet=True)
        sys.exit(EXIT_ERROR)

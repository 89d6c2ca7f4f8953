"""`qa-lint replay`: what a changed rule pack or configuration would have done to the stored results (docs/review.md)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import EXIT_CLEAN, EXIT_ERROR, UserError, echo_err, load_rules, load_scoring, make_run, user_errors, with_rule_options
from .review import STORE_OPTION, TIMEZONE_OPTION, WEEK_OPTION, open_store


@click.command("replay")
@STORE_OPTION
@WEEK_OPTION
@click.option("--scorecard", type=click.Path(exists=True, dir_okay=False), help="Scoring model YAML for the new scores [default: setting `scorecard`, else the bundled one].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--html", "html_path", type=click.Path(), help="Also write the difference as an HTML page (a file, or a folder for replay-<week>.html).")
@click.option("--no-suppress", is_flag=True, help="Do not apply the suppressions file to the new findings.")
@TIMEZONE_OPTION
@with_rule_options
def command(week, fmt, html_path, tz_name, **options):
    """What-if: re-scan the stored conversations with changed rules or configuration and show the difference.

    Give the change as you would to scan (--rules NEW_PACK, --config NEW_CONFIG, --ignore RULE …).
    """
    from ..outputs.html_common import atomic_write_text
    from ..review.replay import run_replay
    from ..review.replay_render import to_html, to_json, to_text
    from ..review.scope import conversations_in, period_of

    with user_errors():
        run = make_run(**options)
        linter = load_rules(run)
        scoring = load_scoring(run)
        run.settle("suppressions")
        period, tz = period_of(week, tz_name, run.config)
        scope = period.label if period else "all"
        with open_store(run) as store:
            result = run_replay(store, conversations_in(store, period, tz), linter, scoring, run.store_masker,
                                run.suppressions, scope)
        data = result.to_dict()
        click.echo(to_json(data) if fmt == "json" else to_text(data), nl=False)
        if html_path:
            target = Path(html_path)
            try:
                if target.is_dir() or html_path.endswith(("/", "\\")):
                    target.mkdir(parents=True, exist_ok=True)
                    target = target / f"replay-{scope}.html"
                atomic_write_text(target, to_html(data))
            except OSError as exc:
                raise UserError(f"{html_path}: cannot write: {exc.strerror or exc}") from None
            echo_err(f"html: {target}")
    for rule_id, reason in sorted(linter.rule_problems.items()):
        echo_err(f"Rule {rule_id}: {reason}")
    sys.exit(EXIT_ERROR if linter.rule_problems else EXIT_CLEAN)

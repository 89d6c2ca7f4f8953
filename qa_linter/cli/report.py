"""`qa-lint report …`: reports over scan results (docs/weekly-reports.md)."""
from __future__ import annotations

import sys

import click

from ..vocabulary import plural
from .common import (
    EXIT_ERROR, UserError, load_rules, load_scoring, make_run, stderr_console, user_errors, with_rule_options,
)


@click.group("report")
def command():
    """Reports over scan results."""


@command.command("weekly")
@click.argument("transcripts", nargs=-1, type=click.Path())
@click.option("--week", help="ISO week, e.g. 2026-W47 [default: the last complete week].")
@click.option("--from", "date_from", metavar="DATE", help="First day of a custom period (YYYY-MM-DD), with --to.")
@click.option("--to", "date_to", metavar="DATE", help="Last day of a custom period (YYYY-MM-DD), with --from.")
@click.option("--store", type=click.Path(dir_okay=False), help="Results store to read [default: setting `store`].")
@click.option("--results", "results", multiple=True, type=click.Path(), metavar="PATH",
              help="Read the results table of a Spark scan (scan --engine spark -o OUT: OUT, OUT/results or a Parquet file; repeatable) instead of a store.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True, help="Folder for the HTML, CSV and JSON files.")
@click.option("--format", "fmt", type=click.Choice(["html", "text"]), default="html", show_default=True)
@click.option("--weeks", type=click.IntRange(1, 104), default=8, show_default=True, help="Weeks in the trend chart.")
@click.option("--timezone", "tz_name", metavar="ZONE", help="IANA time zone of the weeks [default: setting `timezone`, else Asia/Shanghai].")
@click.option("--scorecards", "scorecards_dir", type=click.Path(file_okay=False, exists=True), help="Scorecard pages (scan --html DIR) to link conversations to.")
@click.option("--scorecard", type=click.Path(exists=True, dir_okay=False), help="Scoring model when scanning TRANSCRIPTS.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@with_rule_options
def weekly(transcripts, results, week, date_from, date_to, out_dir, fmt, weeks, tz_name, scorecards_dir, color, **options):
    """Weekly compliance report: figures against the previous week, trends, teams, agents, rules, worst conversations.

    Reads the results store (scan --store), the results table of a Spark scan (--results), or scans
    TRANSCRIPTS now.
    """
    from ..batch import ScanSummary
    from ..outputs.text import make_console, print_summary
    from ..reporting.command import WeeklyOptions, choose_period, open_report_store, run_weekly, scan_into_memory

    weekly_options = WeeklyOptions(week, date_from, date_to, tz_name, weeks, out_dir, fmt, scorecards_dir)
    summary = ScanSummary() if transcripts else None
    with user_errors():
        given = [name for name, value in (("transcript files", transcripts), ("--store", options["store"]),
                                          ("--results", results)) if value]
        if len(given) > 1:
            raise UserError(f"give either {' or '.join(given)}, not both")
        run = make_run(**options)
        if transcripts:
            linter = load_rules(run)
            period, zone_name = choose_period(weekly_options, run.config)
            scoring = load_scoring(run)
            store = scan_into_memory(linter, scoring, run.read(transcripts), summary, run.store_masker)
        elif results:
            from ..store.parquet import ParquetResults

            period, zone_name = choose_period(weekly_options, run.config)
            store = ParquetResults(results, masker=run.store_masker)
        else:
            period, zone_name = choose_period(weekly_options, run.config)
            store = open_report_store(run.store_location, run.store_masker)
        try:
            result, written = run_weekly(store, period, zone_name, weekly_options, lambda: make_console(sys.stdout, color))
        finally:
            store.close()
    for kind in ("html", "csv", "json"):
        if kind in written:
            click.echo(f"{kind}: {written[kind]}", err=True)
    if fmt == "html":
        click.echo(f"{period.label}: {plural(result.figures.conversations, 'conversation')}, previous period "
                   f"{result.previous_figures.conversations}", err=True)
    if summary is not None and (summary.skipped_count or summary.rule_problems):
        print_summary(stderr_console(color), summary, quiet=True)
        sys.exit(EXIT_ERROR)

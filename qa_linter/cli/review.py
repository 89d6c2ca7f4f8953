"""`qa-lint review …`: review sheets, verdicts, statistics and suppressions over the results store (docs/review.md)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..vocabulary import plural
from .common import CONFIG_OPTION, EXIT_CLEAN, EXIT_ERROR, UserError, echo_err, make_run, user_errors

STORE_OPTION = click.option("--store", type=click.Path(dir_okay=False), help="Results store [default: setting `store`].")
WEEK_OPTION = click.option("--week", help="Only conversations that started in this ISO week, e.g. 2026-W48 [default: all].")
TIMEZONE_OPTION = click.option("--timezone", "tz_name", metavar="ZONE",
                               help="IANA time zone of the weeks [default: setting `timezone`, else Asia/Shanghai].")


def open_store(run):
    """The store the review commands read and write: it must exist (a scan made it)."""
    from ..reporting.command import open_report_store

    return open_report_store(run.store_location, run.store_masker)


@click.group("review")
def command():
    """The review loop: sample findings into a sheet, import verdicts, measure precision and agreement."""


@command.command("sample")
@STORE_OPTION
@WEEK_OPTION
@click.option("--per-agent", type=click.IntRange(0), required=True, help="Random conversations per agent.")
@click.option("--all-auto-fail", is_flag=True, help="Also take every auto-fail conversation.")
@click.option("--seed", type=int, default=None, help="Random seed: the same seed gives the same sample [default: a new one, printed].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The sheet to write: .xlsx or .csv.")
@TIMEZONE_OPTION
@CONFIG_OPTION
def sample(week, per_agent, all_auto_fail, seed, output, tz_name, **options):
    """Write a review sheet: one row per finding of the sampled conversations, one row per conversation for misses."""
    import secrets

    from ..review.sample import REASON_AUTO_FAIL, build_sheet, choose
    from ..review.scope import conversations_in, period_of
    from ..review.sheet_io import write_sheet
    from ..vocabulary import CATEGORIES

    if Path(output).suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError(f"-o {output}: the sheet is .xlsx or .csv")
    seed = secrets.randbelow(10**6) if seed is None else seed
    with user_errors():
        run = make_run(**options)
        period, tz = period_of(week, tz_name, run.config)
        with open_store(run) as store:
            sampled = choose(conversations_in(store, period, tz), per_agent, all_auto_fail, seed)
            transcripts = store.transcripts(s.conversation.id for s in sampled)
            categories = sorted(set(CATEGORIES) | set(store.finding_categories()))
        sheet = build_sheet(sampled, transcripts, run.store_masker)
        write_sheet(Path(output), sheet, categories, run.store_masker)
    auto = sum(1 for s in sampled if s.reason == REASON_AUTO_FAIL)
    echo_err(f"{output}: {plural(len(sampled), 'conversation')} ({auto} auto-fail, {len(sampled) - auto} random), "
             f"{plural(sheet.findings, 'finding')}; seed {seed} (--seed {seed} draws the same sample)")
    if sheet.without_ids:
        one = sheet.without_ids == 1
        echo_err(f"warning: {plural(sheet.without_ids, 'finding')} {'was' if one else 'were'} recorded before finding "
                 f"ids and {'is' if one else 'are'} not on the sheet; scan their transcripts again with --store to "
                 "review them")


@command.command("import")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(dir_okay=False))
@STORE_OPTION
@click.option("--reviewer", help="Reviewer for rows whose reviewer cell is empty.")
@CONFIG_OPTION
def import_(sheets, reviewer, **options):
    """Import filled review sheets (several reviewers, several rounds); bad rows are reported, the rest imported."""
    from ..review.verdicts import import_sheets

    with user_errors():
        run = make_run(**options)
        with open_store(run) as store:
            result = import_sheets(store, [Path(s) for s in sheets], reviewer)
    for error in result.errors:
        echo_err(f"error: {error}")
    c = result.counts
    click.echo(f"imported {plural(result.verdicts, 'verdict')} and {plural(result.misses, 'miss')}: {c['added']} new, "
               f"{c['changed']} changed, {c['unchanged']} unchanged; {plural(result.not_judged, 'row')} without a verdict"
               + (f"; {plural(len(result.errors), 'row')} with errors" if result.errors else ""), err=True)
    sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)


@command.command("stats")
@STORE_OPTION
@WEEK_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
@click.option("--export-labels", type=click.Path(dir_okay=False), help="Write the verdicts as gold labels (calibrate --gold) to FILE.")
@TIMEZONE_OPTION
@CONFIG_OPTION
def stats(week, fmt, output, export_labels, tz_name, **options):
    """Precision per rule and category (with confidence intervals), misses, machine and reviewer agreement."""
    from ..outputs.html_common import atomic_write_text
    from ..review.scope import conversations_in, period_of
    from ..review.stats import build_stats, export_labels as build_labels
    from ..review.stats_render import to_html, to_json, to_text

    with user_errors():
        run = make_run(**options)
        period, tz = period_of(week, tz_name, run.config)
        with open_store(run) as store:
            verdicts, misses = store.verdicts(), store.misses()
            convs = conversations_in(store, period, tz) if period is not None or export_labels else []
        if period is not None:
            ids = {c.id for c in convs}
            verdicts = [v for v in verdicts if v.conversation_id in ids]
            misses = [m for m in misses if m.conversation_id in ids]
        figures = build_stats(verdicts, misses, period.label if period else "all")
        text = {"text": to_text, "json": to_json, "html": to_html}[fmt](figures)
        try:
            if output:
                atomic_write_text(Path(output), text)
            else:
                click.echo(text, nl=False)
            if export_labels:
                exported = build_labels(figures, {c.id: [f.finding_id for f in c.findings] for c in convs})
                atomic_write_text(Path(export_labels),
                                  "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in exported.lines))
        except OSError as exc:
            raise UserError(f"{exc.filename or output}: cannot write: {exc.strerror or exc}") from None
    if export_labels:
        echo_err(f"{export_labels}: gold labels for {plural(len(exported.lines), 'conversation')}")
        for conv_id, why in sorted(exported.left_out.items()):
            echo_err(f"  not exported: {conv_id}: {why}")


@command.command("suppress")
@click.argument("finding_ids", nargs=-1)
@STORE_OPTION
@click.option("--file", "file_path", type=click.Path(dir_okay=False), help="Suppressions file [default: setting `suppressions`, else qa-linter-suppressions.yaml beside the configuration].")
@click.option("--who", help="Who suppresses [default: the reviewers who judged the finding wrong].")
@click.option("--why", help="Why, for findings whose wrong verdicts carry no note.")
@CONFIG_OPTION
def suppress(finding_ids, file_path, who, why, **options):
    """Suppress findings judged wrong (all of them, or the FINDING_IDS given) in the suppressions file."""
    from ..review.suppress import suppress_wrong
    from ..review.suppressions import SuppressionError, suppressions_path

    with user_errors():
        run = make_run(**options)
        path = suppressions_path(run.config, file_path)
        try:
            with open_store(run) as store:
                outcome = suppress_wrong(store, path, list(finding_ids), who, why, run.store_masker)
        except SuppressionError as exc:
            for error in exc.errors:
                echo_err(f"error: {error.describe()}")
            raise UserError(f"{plural(len(exc.errors), 'error')} in the suppressions file; nothing was added") from None
        except OSError as exc:
            raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
    for problem in outcome.problems:
        echo_err(f"error: {problem}")
    echo_err(f"{path}: {plural(outcome.added, 'finding')} suppressed, {outcome.already} already there")
    sys.exit(EXIT_ERROR if outcome.problems else EXIT_CLEAN)

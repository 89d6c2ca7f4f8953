"""The `qa-lint review …` commands and `qa-lint replay`: thin layers over the review modules.

Registered on the main command group in qa_linter/cli (which also gives replay the rule options); the
helpers of the command line (UserError, load_linter …) are imported when a command runs, as this module is
imported while qa_linter.cli itself is still loading.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import QALinterError

EXIT_CLEAN, EXIT_ERROR = 0, 2  # = qa_linter.cli's


def _cli():
    from .. import cli

    return cli


def _safe(text: str) -> str:
    return _cli()._safe(text)


def _user_error(message: str) -> click.ClickException:
    return _cli().UserError(message)

store_option = click.option("--store", "store_path", type=click.Path(dir_okay=False),
                            help="Results store [default: setting `store`].")
week_option = click.option("--week", help="Only conversations that started in this ISO week, e.g. 2026-W48 [default: all].")
tz_option = click.option("--timezone", "tz_name", metavar="ZONE",
                         help="IANA time zone of the weeks [default: setting `timezone`, else Asia/Shanghai].")
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             help="qa-linter.yaml or pyproject.toml to use.")


def _open(store_path, config):
    from ..reporting.command import open_report_store

    return open_report_store(store_path, config)


@click.group()
def review():
    """The review loop: sample findings into a sheet, import verdicts, measure precision and agreement."""


@review.command("sample")
@store_option
@week_option
@click.option("--per-agent", type=click.IntRange(0), required=True, help="Random conversations per agent.")
@click.option("--all-auto-fail", is_flag=True, help="Also take every auto-fail conversation.")
@click.option("--seed", type=int, default=None, help="Random seed: the same seed gives the same sample [default: a new one, printed].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The sheet to write: .xlsx or .csv.")
@tz_option
@config_option
def review_sample(store_path, week, per_agent, all_auto_fail, seed, output, tz_name, config_path):
    """Write a review sheet: one row per finding of the sampled conversations, one row per conversation for misses."""
    import secrets

    from ..masking import Masker
    from ..vocabulary import CATEGORIES
    from .sample import REASON_AUTO_FAIL, build_sheet, choose
    from .scope import config_of, conversations_in, period_of
    from .sheet_io import write_sheet

    if Path(output).suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError(f"-o {output}: the sheet is .xlsx or .csv")
    try:
        config = config_of(config_path)
        period, tz = period_of(week, tz_name, config)
        seed = secrets.randbelow(10**6) if seed is None else seed
        masker = Masker.from_config(config)
        with _open(store_path, config) as store:
            sampled = choose(conversations_in(store, period, tz), per_agent, all_auto_fail, seed)
            transcripts = store.transcripts(s.conversation.id for s in sampled)
            categories = sorted(set(CATEGORIES) | set(store.finding_categories()))
        sheet = build_sheet(sampled, transcripts, masker)
        write_sheet(Path(output), sheet, categories, masker)
    except QALinterError as exc:
        raise _user_error(str(exc)) from None
    auto = sum(1 for s in sampled if s.reason == REASON_AUTO_FAIL)
    click.echo(_safe(f"{output}: {len(sampled)} conversations ({auto} auto-fail, {len(sampled) - auto} random), "
                     f"{sheet.findings} findings; seed {seed} (--seed {seed} draws the same sample)"), err=True)
    if sheet.without_ids:
        click.echo(f"warning: {sheet.without_ids} finding(s) were recorded before finding ids and are not on the sheet; "
                   f"scan their transcripts again with --store to review them", err=True)


@review.command("import")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(dir_okay=False))
@store_option
@click.option("--reviewer", help="Reviewer for rows whose reviewer cell is empty.")
@config_option
def review_import(sheets, store_path, reviewer, config_path):
    """Import filled review sheets (several reviewers, several rounds); bad rows are reported, the rest imported."""
    from .scope import config_of
    from .verdicts import import_sheets

    try:
        config = config_of(config_path)
        with _open(store_path, config) as store:
            result = import_sheets(store, [Path(s) for s in sheets], reviewer)
    except QALinterError as exc:
        raise _user_error(str(exc)) from None
    for error in result.errors:
        click.echo(_safe(f"error: {error}"), err=True)
    c = result.counts
    click.echo(f"imported {result.verdicts} verdict(s) and {result.misses} miss(es): {c['added']} new, "
               f"{c['changed']} changed, {c['unchanged']} unchanged; {result.not_judged} row(s) without a verdict"
               + (f"; {len(result.errors)} row(s) with errors" if result.errors else ""), err=True)
    sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)


@review.command("stats")
@store_option
@week_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
@click.option("--export-labels", type=click.Path(dir_okay=False), help="Write the verdicts as gold labels (calibrate --gold) to FILE.")
@tz_option
@config_option
def review_stats(store_path, week, fmt, output, export_labels, tz_name, config_path):
    """Precision per rule and category (with confidence intervals), misses, machine and reviewer agreement."""
    from ..outputs.html_common import atomic_write_text
    from .scope import config_of, conversations_in, period_of
    from .stats import build_stats, export_labels as build_labels
    from .stats_render import to_html, to_json, to_text

    try:
        config = config_of(config_path)
        period, tz = period_of(week, tz_name, config)
        with _open(store_path, config) as store:
            verdicts, misses = store.verdicts(), store.misses()
            convs = conversations_in(store, period, tz) if period is not None or export_labels else None
        if period is not None:
            ids = {c.id for c in convs}
            verdicts = [v for v in verdicts if v.conversation_id in ids]
            misses = [m for m in misses if m.conversation_id in ids]
        stats = build_stats(verdicts, misses, period.label if period else "all")
        text = {"text": to_text, "json": to_json, "html": to_html}[fmt](stats)
        if output:
            atomic_write_text(Path(output), text)
        else:
            click.echo(text, nl=False)
        if export_labels:
            exported = build_labels(stats, {c.id: [f.finding_id for f in c.findings] for c in convs})
            atomic_write_text(Path(export_labels), "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in exported.lines))
            click.echo(f"{export_labels}: gold labels for {len(exported.lines)} conversation(s)", err=True)
            for conv_id, why in sorted(exported.left_out.items()):
                click.echo(_safe(f"  not exported: {conv_id}: {why}"), err=True)
    except QALinterError as exc:
        raise _user_error(str(exc)) from None
    except OSError as exc:
        raise _user_error(f"{exc.filename or output}: cannot write: {exc.strerror or exc}") from None


@review.command("suppress")
@click.argument("finding_ids", nargs=-1)
@store_option
@click.option("--file", "file_path", type=click.Path(dir_okay=False), help="Suppressions file [default: setting `suppressions`, else qa-linter-suppressions.yaml beside the configuration].")
@click.option("--who", help="Who suppresses [default: the reviewers who judged the finding wrong].")
@click.option("--why", help="Why, for findings whose wrong verdicts carry no note.")
@config_option
def review_suppress(finding_ids, store_path, file_path, who, why, config_path):
    """Suppress findings judged wrong (all of them, or the FINDING_IDS given) in the suppressions file."""
    from ..masking import Masker
    from .scope import config_of
    from .suppress import suppress_wrong
    from .suppressions import SuppressionError, suppressions_path

    try:
        config = config_of(config_path)
        path = suppressions_path(config, file_path)
        with _open(store_path, config) as store:
            outcome = suppress_wrong(store, path, list(finding_ids), who, why, Masker.from_config(config))
    except SuppressionError as exc:
        for error in exc.errors:
            click.echo(_safe(f"error: {error.describe()}"), err=True)
        raise _user_error(f"{len(exc.errors)} error(s) in the suppressions file; nothing was added") from None
    except QALinterError as exc:
        raise _user_error(str(exc)) from None
    except OSError as exc:
        raise _user_error(f"{file_path or 'suppressions file'}: cannot write: {exc.strerror or exc}") from None
    for problem in outcome.problems:
        click.echo(_safe(f"error: {problem}"), err=True)
    click.echo(_safe(f"{path}: {outcome.added} finding(s) suppressed, {outcome.already} already there"), err=True)
    sys.exit(EXIT_ERROR if outcome.problems else EXIT_CLEAN)


@click.command()
@store_option
@week_option
@click.option("--scorecard", "scorecard_path", type=click.Path(exists=True, dir_okay=False), help="Scoring model YAML for the new scores [default: setting `scorecard`, else the bundled one].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--html", "html_path", type=click.Path(), help="Also write the difference as an HTML page (a file, or a folder for replay-<week>.html).")
@click.option("--no-suppress", is_flag=True, help="Do not apply the suppressions file to the new findings.")
@tz_option
def replay(store_path, week, scorecard_path, fmt, html_path, no_suppress, tz_name, **rule_args):
    """What-if: re-scan the stored conversations with changed rules or configuration and show the difference.

    Give the change as you would to scan (--rules NEW_PACK, --config NEW_CONFIG, --ignore RULE …).
    """
    cli = _cli()
    from ..masking import Masker
    from ..outputs.html_common import atomic_write_text
    from .replay import run_replay
    from .replay_render import to_html, to_json, to_text
    from .scope import conversations_in, period_of

    linter = cli.load_linter(**rule_args)
    scoring, _ = cli._scoring_and_masker(linter, scorecard_path, no_mask=False)
    suppress = None if no_suppress else cli._suppressions(linter.config)
    try:
        period, tz = period_of(week, tz_name, linter.config)
        with _open(store_path, linter.config) as store:
            convs = conversations_in(store, period, tz)
            result = run_replay(store, convs, linter, scoring, Masker.from_config(linter.config), suppress,
                                period.label if period else "all")
        data = result.to_dict()
        click.echo(to_json(data) if fmt == "json" else to_text(data), nl=False)
        if html_path:
            target = Path(html_path)
            if target.is_dir() or html_path.endswith(("/", "\\")):
                target.mkdir(parents=True, exist_ok=True)
                target = target / f"replay-{period.label if period else 'all'}.html"
            atomic_write_text(target, to_html(data))
            click.echo(f"html: {target}", err=True)
    except QALinterError as exc:
        raise _user_error(str(exc)) from None
    except OSError as exc:
        raise _user_error(f"{html_path}: cannot write: {exc.strerror or exc}") from None
    for rule_id, reason in sorted(linter.rule_problems.items()):
        click.echo(_safe(f"Rule {rule_id}: {reason}"), err=True)
    sys.exit(EXIT_ERROR if linter.rule_problems else EXIT_CLEAN)

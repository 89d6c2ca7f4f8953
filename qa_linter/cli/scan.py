"""`qa-lint scan`: transcripts in, findings out (text, JSON, JSON Lines, CSV, xlsx, SARIF, JUnit), plus scorecards and the results store."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..outputs import FILE_FORMATS, FORMATS
from ..vocabulary import FAIL_ON, PARTIAL_VALUES, fail_threshold
from .common import (
    EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UserError, echo_err, input_format_option, load_rules, load_scoring, make_run,
    output_file, stderr_console, user_errors, with_rule_options,
)


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--examples", "use_examples", is_flag=True, help="Also scan the bundled example transcripts.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "parquet"]), default="text", show_default=True, help="Output format: text, json, jsonl; csv and xlsx (one row per finding), sarif and junit (CI); parquet with --engine spark [default with --engine spark: jsonl].")
@click.option("-o", "--output", type=click.Path(writable=True), help="Write results to FILE instead of stdout (with --engine spark: a folder).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Lowest severity that makes the exit code 1 [default: error].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of the findings.")
@click.option("--timings", is_flag=True, help="Also print the time each rule's checks took (seconds, all processes added up), the slowest first.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--show-clean", is_flag=True, help="In text output, list conversations without findings too.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@input_format_option
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV and chat-log inputs [default: detected].")
@click.option("--html", "html_dir", type=click.Path(file_okay=False), help="Also write HTML scorecards (one page per conversation + index.html) to DIR.")
@click.option("--scorecard", type=click.Path(exists=True, dir_okay=False), help="Scoring model YAML [default: setting `scorecard`, else the bundled one].")
@click.option("--no-mask", is_flag=True, help="Show customer PII (phone, ID, card numbers, e-mail) unmasked in HTML pages.")
@click.option("--mask-pii", is_flag=True, help="Also mask customer PII in the text, JSON and JSON Lines output (offsets stay those of the original).")
@click.option("--store", type=click.Path(dir_okay=False), help="Record results in this SQLite store [default: setting `store`].")
@click.option("--no-store", is_flag=True, help="Do not record results, even when the `store` setting is set.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None, help="Processes that run the rules: this one and N-1 workers [default: setting `jobs`, else the number of CPU cores].")
@click.option("--no-suppress", is_flag=True, help="Show findings suppressed in qa-linter-suppressions.yaml too (docs/review.md).")
@click.option("--partial", type=click.Choice(PARTIAL_VALUES), default=None, help="The transcripts are excerpts cut at the start, the end or both (a transfer, an export cut by date): no greeting judged at a cut start, no closing or resolution check at a cut end; a conversation's own meta.partial wins.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True, help="Run the rules here, or on Apache Spark (pip install 'qa-linter[spark]'; docs/spark.md).")
@click.option("--master", help="Spark master with --engine spark: local[N], yarn, spark://HOST:PORT, k8s://… [default: spark-submit's, else local[*]].")
@with_rule_options
def command(paths, use_examples, fmt, output, exit_zero, statistics, timings, quiet, show_clean, color, html_dir,
            no_mask, mask_pii, engine, master, partial, **options):
    """Scan transcripts (files, folders, or - for stdin) and report what breaks the standards."""
    from ..batch import ScanSummary
    from ..outputs import writer_for
    from ..outputs.statistics import write_statistics
    from ..outputs.text import print_rule_times, print_summary
    from ..readers.progress import ScanProgress

    paths = _paths(paths, use_examples)
    empty = EmptyInputs()
    if mask_pii and no_mask:
        raise click.UsageError("--mask-pii and --no-mask contradict each other")
    summary = ScanSummary()
    with user_errors():
        run = make_run(**options, mask=not no_mask, partial=partial)
        load_rules(run, quiet)
        run.settle("fail_on", "reader_options", "suppressions")  # a mistake in the settings stops the scan before it writes anything
        load_scoring(run)
        if engine == "spark" or master:
            _on_spark(run, paths, fmt, output, master, quiet, color, exit_zero, {
                "--html": html_dir, "--store": options.get("store"), "--mask-pii": mask_pii, "--statistics": statistics,
                "--show-clean": show_clean, "--jobs": options.get("jobs"), "--partial": partial, "--timings": timings})
        _local_only(fmt, output, statistics)
        if timings:
            from ..engine import RuleTimes

            run.linter.rule_times = RuleTimes()
        progress = ScanProgress.for_terminal(enabled=not quiet, stdout_used=not output)
        # An xlsx is bytes: it goes to the real stdout (its buffer), not through the progress bar's text wrapper.
        default_out = progress.stdout() if progress and fmt != "xlsx" else None
        with output_file(output, default_out) as out:
            try:
                writer = writer_for(fmt, out, color if not output else "never", show_clean, statistics,
                                    rules=run.linter.rules, fail_on=run.fail_on)
                # A full disk is exit 2 with its reason (a closed pipe on stdout: click's).
                sinks = run.sinks(writer, mask_pii=mask_pii, guard_writer=bool(output), html_dir=html_dir)
                # JSON Lines records are parsed where their block is scanned (orjson; in a worker with --jobs);
                # JSON Lines output then needs no conversation objects.
                run.feed(sinks, run.read(paths, progress, defer_json_lines=True, on_empty=empty.add), summary)
            finally:
                if progress:
                    progress.stop()
            run.close(sinks, summary)
            if statistics:
                write_statistics(fmt, out, summary, run.linter, color)
    empty.report(summary, paths, quiet)
    empty.check(summary, paths)  # before the summary: "nothing to check" is the whole message, not "0 conversations"
    print_summary(stderr_console(color), summary, quiet)
    if timings:
        print_rule_times(stderr_console(color), summary)
    sys.exit(exit_code(summary, run.fail_on, exit_zero))


def _on_spark(run, paths, fmt, output, master, quiet, color, exit_zero, unsupported: dict):
    """`scan --engine spark` (qa_linter/spark/command.py): the same rules, findings and scores, on Spark; it
    ends the command with the summary and exit code of a local scan."""
    from click.core import ParameterSource

    from ..outputs.text import print_summary

    if click.get_current_context().get_parameter_source("fmt") is ParameterSource.DEFAULT:
        fmt = "jsonl"  # Spark writes tables; the terminal text report is the local engine's
    try:
        from ..spark.command import check_options, run_scan
    except ImportError as exc:
        raise UserError(f"--engine spark needs pyspark: pip install 'qa-linter[spark]' ({exc})") from None
    check_options(fmt, output, paths, unsupported)
    summary = run_scan(paths, run.linter, run.scoring, run.reader_options, input_format=run.input_format, fmt=fmt,
                       output=output, master=master, note=None if quiet else echo_err, suppress=run.suppressions,
                       store_masker=run.store_masker)
    print_summary(stderr_console(color), summary, quiet)
    sys.exit(exit_code(summary, run.fail_on, exit_zero))


def _local_only(fmt: str, output: str | None, statistics: bool = False) -> None:
    if fmt == "parquet":
        raise click.UsageError("--format parquet is written by --engine spark")
    if statistics and fmt in FILE_FORMATS:
        raise click.UsageError(f"--statistics prints counts as text or JSON, not --format {fmt}")
    if output and Path(output).is_dir():
        raise click.UsageError(f"-o {output}: is a folder; give a file (a folder is for --engine spark)")


class EmptyInputs:
    """Inputs that held nothing (an empty file, a folder without transcripts, nothing on stdin): each is a warning,
    and a scan that found nothing to check at all is a mistake (exit 2), since its clean result would say
    nothing. Only stdin alone may be empty without one: a filter upstream that let nothing through today is
    normal in a pipeline."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, where: str, why: str) -> None:
        self.found.append((where, why))

    def report(self, summary, paths: list[str], quiet: bool) -> None:
        if quiet or self._single(summary, paths):
            return  # the error says it
        for where, why in self.found:
            echo_err(f"warning: {where}: {why}; nothing to check there")

    def check(self, summary, paths: list[str]) -> None:
        if summary.conversations or summary.skipped_count or all(path == "-" for path in paths):
            return
        if self._single(summary, paths):
            where, why = self.found[0]
            raise UserError(f"nothing to check: {where}: {why}")
        raise UserError(f"nothing to check: no conversation in {', '.join(paths)}")

    def _single(self, summary, paths: list[str]) -> bool:
        return (not summary.conversations and not summary.skipped_count and len(self.found) == 1
                and len(paths) == 1 and paths[0] != "-")


def _paths(paths, use_examples: bool) -> list[str]:
    from ..resources import examples_dir

    paths = list(paths) + ([str(examples_dir())] if use_examples else [])
    if not paths:
        raise click.UsageError("give transcript files or folders, - for stdin, or --examples")
    if any(not path.strip() for path in paths):
        # Path("") is the current folder: an unset shell variable must not scan whatever is here.
        raise click.UsageError("an empty name is not a file or folder (an unset shell variable?)")
    return paths


def exit_code(summary, fail_on: str, exit_zero: bool) -> int:
    if summary.skipped_count or summary.rule_problems:
        return EXIT_ERROR
    threshold = fail_threshold(fail_on)
    if exit_zero or threshold is None or summary.max_severity is None:
        return EXIT_CLEAN
    return EXIT_FINDINGS if summary.max_severity >= threshold else EXIT_CLEAN

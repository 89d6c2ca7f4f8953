"""`qa-lint convert`: any supported input to canonical JSON Lines, to inspect or fix what was read."""
from __future__ import annotations

import sys

import click

from .common import (
    CONFIG_OPTION, EXIT_CLEAN, EXIT_ERROR, echo_err, input_format_option, make_run, output_file, user_errors,
)


@click.command("convert")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the JSON Lines to FILE instead of stdout.")
@input_format_option
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV and chat-log inputs [default: detected].")
@CONFIG_OPTION
def command(paths, output, input_format, encoding, config_path):
    """Convert CSV/TSV/Excel exports, e-mail and chat logs to canonical JSON Lines (to inspect or fix them)."""
    from ..readers.convert import write_canonical
    from ..readers.progress import ScanProgress

    with user_errors():
        run = make_run(config_path, input_format=input_format, encoding=encoding)
        run.settle("config", "reader_options")
        progress = ScanProgress.for_terminal(stdout_used=False) if output else None
        empty: list[tuple[str, str]] = []
        with output_file(output) as out:
            try:
                summary = write_canonical(run.read(paths, progress, on_empty=lambda *found: empty.append(found)), out)
            finally:
                if progress:
                    progress.stop()
    for where, why in empty:
        echo_err(f"warning: {where}: {why}; nothing to convert there")
    for problem in summary.problems:
        echo_err(f"{problem.where()}: {problem.reason}")
    if summary.problem_count > len(summary.problems):
        click.echo(f"… and {summary.problem_count - len(summary.problems)} more", err=True)
    click.echo(summary.describe(), err=True)
    # As in `scan`: nothing at all in what was named is a mistake, except an empty stdin in a pipeline.
    nothing = not summary.conversations and not summary.problem_count and any(p != "-" for p in paths)
    if nothing:
        echo_err("error: nothing to convert")
    sys.exit(EXIT_ERROR if summary.problem_count or nothing else EXIT_CLEAN)

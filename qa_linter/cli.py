"""The `qa-lint` command line.

Exit codes, as linters do it: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration or input
errors. Data goes to stdout, summaries and errors to stderr.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import ConfigError, QALinterError, RuleLoadError
from .vocabulary import CATEGORIES, CHANNELS, FAIL_ON, INPUT_FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UserError(click.ClickException):
    exit_code = EXIT_ERROR

    def format_message(self) -> str:
        return _safe(self.message, lines=True)  # it may quote a file name or a value from a file


def _safe(text: str, lines: bool = False) -> str:
    """Text from files (names, values, transcript snippets) made harmless for the terminal (see outputs/excerpt.py)."""
    from .outputs.excerpt import terminal_safe

    return terminal_safe(text, lines)


def _stderr_console(color: str = "auto"):
    from .outputs.text import make_console

    return make_console(sys.stderr, color)


def load_linter(config_path, rules=(), no_builtin=False, select=(), ignore=(), severity=(), quiet=False):
    """Build the Linter for a command; every configuration or rule mistake becomes exit code 2."""
    from .config import load_config
    from .engine import Linter

    try:
        config = load_config(Path(config_path) if config_path else None)
        overrides = {}
        for item in severity:
            key, sep, level = item.partition("=")
            if not sep:
                raise ConfigError(f"--severity {item!r}: use RULE_OR_CATEGORY=error|warning|info")
            overrides[key.strip()] = level.strip()
        linter = Linter.from_config(
            config,
            rules=rules,
            builtin=False if no_builtin else None,
            select=_split(select),
            ignore=_split(ignore),
            severity=overrides,
        )
    except RuleLoadError as exc:
        for error in exc.errors:
            click.echo(_safe(f"error: {error.describe()}"), err=True)
        raise UserError(f"{len(exc.errors)} error(s) in the rules; nothing was scanned") from None
    except QALinterError as exc:
        raise UserError(str(exc)) from None
    if not quiet:
        for warning in linter.pack.warnings:
            click.echo(_safe(f"warning: {warning.describe()}"), err=True)
    return linter


def load_reader_options(config, encoding=None, input_format=None):
    """What the readers need (encoding, columns, speakers, support addresses) and the input format; exit 2 on mistakes."""
    from .readers.options import ReaderOptions

    input_format = input_format or config.get("input_format")
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise UserError(f"input_format {input_format!r} must be one of {', '.join(INPUT_FORMATS)}")
    try:
        return ReaderOptions.from_config(config, encoding), input_format
    except QALinterError as exc:
        raise UserError(str(exc)) from None


def _split(values) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


rule_options = [
    click.option("--config", "config_path", type=click.Path(dir_okay=False), help="qa-linter.yaml or pyproject.toml to use."),
    click.option("--rules", "rules", multiple=True, type=click.Path(), help="Extra rule file or folder (repeatable)."),
    click.option("--no-builtin", is_flag=True, help="Do not load the built-in rule pack."),
    click.option("--select", multiple=True, help="Only these rule ids, categories or prefixes (comma-separated)."),
    click.option("--ignore", multiple=True, help="Skip these rule ids, categories or prefixes (comma-separated)."),
    click.option("--severity", multiple=True, help="Override a severity: RULE_OR_CATEGORY=error|warning|info."),
]


def with_rule_options(func):
    for option in reversed(rule_options):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="qa-lint")
def main():
    """qa-lint: check customer-service transcripts against service standards written as YAML rules."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--examples", "use_examples", is_flag=True, help="Also scan the bundled example transcripts.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write results to FILE instead of stdout.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Lowest severity that makes the exit code 1 [default: error].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of the findings.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--show-clean", is_flag=True, help="In text output, list conversations without findings too.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--input-format", type=click.Choice(INPUT_FORMATS), default=None, help="Read inputs as this format regardless of extension.")
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV and chat-log inputs [default: detected].")
@click.option("--html", "html_dir", type=click.Path(file_okay=False), help="Also write HTML scorecards (one page per conversation + index.html) to DIR.")
@click.option("--scorecard", "scorecard_path", type=click.Path(exists=True, dir_okay=False), help="Scoring model YAML [default: setting `scorecard`, else the bundled one].")
@click.option("--no-mask", is_flag=True, help="Show customer PII (phone, ID, card numbers, e-mail) unmasked in HTML pages.")
@click.option("--mask-pii", is_flag=True, help="Also mask customer PII in the text, JSON and JSON Lines output (offsets stay those of the original).")
@click.option("--store", "store_path", type=click.Path(dir_okay=False), help="Record results in this SQLite store [default: setting `store`].")
@click.option("--no-store", is_flag=True, help="Do not record results, even when the `store` setting is set.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None, help="Processes that run the rules: this one and N-1 workers [default: setting `jobs`, else the number of CPU cores].")
@with_rule_options
def scan(paths, use_examples, fmt, output, fail_on, exit_zero, statistics, quiet, show_clean, color, input_format, encoding,
         html_dir, scorecard_path, no_mask, mask_pii, store_path, no_store, jobs, **rule_args):
    """Scan transcripts (files, folders, or - for stdin) and report what breaks the standards."""
    from .batch import ScanSummary, scan_items
    from .outputs.text import print_statistics, print_summary
    from .readers import read_paths
    from .readers.progress import ScanProgress
    from .resources import examples_dir

    paths = list(paths)
    if use_examples:
        paths.append(str(examples_dir()))
    if not paths:
        raise click.UsageError("give transcript files or folders, - for stdin, or --examples")
    if mask_pii and no_mask:
        raise click.UsageError("--mask-pii and --no-mask contradict each other")
    linter = load_linter(**rule_args, quiet=quiet)
    fail_on = fail_on or linter.config.get("fail_on", "error")
    if fail_on not in FAIL_ON:
        raise UserError(f"fail_on {fail_on!r} must be one of {', '.join(FAIL_ON)}")
    reader_options, input_format = load_reader_options(linter.config, encoding, input_format)
    scoring, masker = _scoring_and_masker(linter, scorecard_path, no_mask)
    summary = ScanSummary()
    progress = ScanProgress.for_terminal(enabled=not quiet, stdout_used=not output)
    out = _open_output(output) if output else (progress.stdout() if progress else sys.stdout)
    completed = False
    try:
        # Every output is a sink fed the same (conversation, findings, extra) stream; `extra` carries
        # per-conversation figures computed once (e.g. the score) so all sinks report the same numbers.
        sinks = [_writer(fmt, out, color if not output else "never", show_clean, statistics)]
        if mask_pii:
            from .outputs.pii import MaskPiiSink

            sinks = [MaskPiiSink(sinks[0], masker)]
        if output:
            sinks = [_UserErrors(sinks[0])]  # a full disk is exit 2 with its reason (a closed pipe on stdout: click's)
        sinks += _report_sinks(html_dir, scoring, masker, None if no_store else _store_location(store_path, linter.config), linter)
        jobs = _jobs(jobs, linter.config)
        # With workers, JSON Lines records are parsed there; outputs that need only the findings (JSON Lines)
        # then get no conversation objects, so this process never decodes a record.
        items = read_paths(paths, input_format, options=reader_options, progress=progress, defer_json_lines=jobs > 1)
        keep = any(getattr(sink, "needs_conversation", True) for sink in sinks)
        for conv, findings in _scan_stream(linter, items, summary, jobs, rule_args, keep):
            extra = _score_extra(scoring, conv, findings)
            for sink in sinks:
                sink.conversation(conv, findings, extra)
        if progress:
            progress.stop()
        summary.finish(linter)
        header = {"tool": "qa-linter", "version": __version__, "rule_pack": linter.pack.fingerprint,
                  "scorecard": scoring.fingerprint}
        for sink in sinks:
            sink.close(summary.to_dict(), header)
        if statistics:
            _print_stats(fmt, out, summary, linter, color)
        completed = True
    finally:
        if progress:
            progress.stop()
        if output:
            _finish_output(out, completed)
    print_summary(_stderr_console(color), summary, quiet)
    sys.exit(_exit_code(summary, fail_on, exit_zero))


def _jobs(option, config) -> int:
    """--jobs, else the `jobs` setting, else one process per CPU core (see docs/performance.md)."""
    from .batch import default_jobs

    value = option if option is not None else config.get("jobs")
    if value is None:
        return default_jobs()
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"jobs {value!r} must be a whole number of at least 1")
    return value


def _scan_stream(linter, items, summary, jobs, rule_args, keep_conversations=True):
    """scan_items over `jobs` processes; workers that cannot fork rebuild the rules from the same options."""
    from functools import partial

    from .batch import WorkerFailed, scan_items

    try:
        yield from scan_items(linter, items, summary, jobs=jobs, linter_factory=partial(load_linter, **rule_args, quiet=True),
                              keep_conversations=keep_conversations)
    except WorkerFailed as exc:
        raise UserError(str(exc)) from None


def _scoring_and_masker(linter, scorecard_path, no_mask):
    """The scoring model (for the rules that run) and the PII masker that every report output shares."""
    from .masking import Masker
    from .scoring import ScorecardError, scoring_model_from_config

    try:
        model = scoring_model_from_config(linter.config, scorecard_path)
    except ScorecardError as exc:
        for error in exc.errors:
            click.echo(_safe(f"error: {error.describe()}"), err=True)
        raise UserError(f"{len(exc.errors)} error(s) in the scorecard; nothing was scanned") from None
    unmapped = model.unmapped_categories(r.category for r in linter.rules)
    if unmapped:
        click.echo(_safe(f"warning: no scorecard section holds {', '.join(unmapped)}; those findings do not change the score"), err=True)
    return model.limited_to(linter.rules), Masker.from_config(linter.config, enabled=not no_mask)


def _report_sinks(html_dir, scoring, masker, store_location, linter) -> list:
    """HTML scorecards and the results store, each wrapped so that a write problem ends the scan cleanly."""
    sinks = []
    if html_dir:
        from .outputs.html_scorecard import HtmlScorecardWriter

        try:
            sinks.append(_UserErrors(HtmlScorecardWriter(Path(html_dir), scoring, masker)))
        except OSError as exc:
            raise UserError(f"--html {html_dir}: cannot create the folder: {exc.strerror or exc}") from None
    if store_location:
        from .masking import Masker
        from .store import StoreError, open_store
        from .store.sink import StoreWriter

        try:
            # The store is long-lived and shared: its excerpts are always masked, whatever --no-mask says.
            store = open_store(store_location, masker=Masker.from_config(linter.config))
        except StoreError as exc:
            raise UserError(str(exc)) from None
        sinks.append(_UserErrors(StoreWriter(store, linter.pack.fingerprint, scoring)))
    return sinks


def _store_location(store_path, config):
    from .config import configured_store

    return configured_store(store_path, config)


class _UserErrors:
    """A sink whose store or file problems end the scan with their message and exit code 2, not a traceback."""

    def __init__(self, sink):
        self.sink = sink
        self.needs_conversation = getattr(sink, "needs_conversation", True)

    def conversation(self, *args):
        try:
            self.sink.conversation(*args)
        except (QALinterError, OSError) as exc:
            raise UserError(str(exc)) from None

    def close(self, *args):
        try:
            self.sink.close(*args)
        except (QALinterError, OSError) as exc:
            raise UserError(str(exc)) from None


def _score_extra(scoring, conv, findings):
    """Per-conversation figures every sink reports identically: the score and its breakdown, computed on first
    use (JSON Lines output never asks, the text output only for conversations it prints)."""
    from .scoring import ScoreFigures

    return ScoreFigures(scoring, conv, findings)


# -- convert ------------------------------------------------------------------------------------------------
@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the JSON Lines to FILE instead of stdout.")
@click.option("--input-format", type=click.Choice(INPUT_FORMATS), default=None, help="Read inputs as this format regardless of extension.")
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV and chat-log inputs [default: detected].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="qa-linter.yaml or pyproject.toml to use.")
def convert(paths, output, input_format, encoding, config_path):
    """Convert CSV/TSV/Excel exports, e-mail and chat logs to canonical JSON Lines (to inspect or fix them)."""
    from .config import load_config
    from .readers import read_paths
    from .readers.convert import write_canonical
    from .readers.progress import ScanProgress

    try:
        config = load_config(Path(config_path) if config_path else None)
    except QALinterError as exc:
        raise UserError(str(exc)) from None
    options, input_format = load_reader_options(config, encoding, input_format)
    progress = ScanProgress.for_terminal(stdout_used=False) if output else None
    out = _open_output(output) if output else sys.stdout
    completed = False
    try:
        summary = write_canonical(read_paths(paths, input_format, options=options, progress=progress), out)
        completed = True
    finally:
        if progress:
            progress.stop()
        if output:
            _finish_output(out, completed)
    for problem in summary.problems:
        click.echo(_safe(f"{problem.where()}: {problem.reason}"), err=True)
    if summary.problem_count > len(summary.problems):
        click.echo(f"… and {summary.problem_count - len(summary.problems)} more", err=True)
    click.echo(summary.describe(), err=True)
    sys.exit(EXIT_ERROR if summary.problem_count else EXIT_CLEAN)


def _open_output(path: str):
    """The -o/--output file, written whole or not at all (outputs/atomic.py); a folder that does not exist or
    a read-only place is exit 2, not a traceback."""
    from .outputs.atomic import AtomicOutput

    try:
        return AtomicOutput(path)
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _finish_output(out, completed: bool) -> None:
    """Put a completed -o file in place; after a failed or interrupted run, leave the old file (or none)."""
    try:
        out.finish(completed)
    except OSError as exc:
        raise UserError(f"{out.path}: cannot write: {exc.strerror or exc}") from None


def _writer(fmt, out, color, show_clean, statistics):
    from .outputs.json_output import JsonLinesWriter, JsonWriter
    from .outputs.text import TextWriter, make_console

    if statistics:
        return _NullWriter()
    if fmt == "json":
        return JsonWriter(out)
    if fmt == "jsonl":
        return JsonLinesWriter(out)
    return TextWriter(make_console(out, color), show_clean)


class _NullWriter:
    needs_conversation = False

    def conversation(self, *args, **kwargs):
        pass

    def close(self, *args):
        pass


def _print_stats(fmt, out, summary, linter, color):
    import json

    from .outputs.text import make_console, print_statistics

    if fmt == "text":
        print_statistics(make_console(out, color), summary, linter)
    else:
        categories = {r.id: r.category for r in linter.rules}
        rows = [{"rule": k, "category": categories.get(k), "count": v} for k, v in sorted(summary.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))]
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")


def _exit_code(summary, fail_on: str, exit_zero: bool) -> int:
    from .model import Severity

    if summary.skipped_count or summary.rule_problems:
        return EXIT_ERROR
    if exit_zero or fail_on == "never" or summary.max_severity is None:
        return EXIT_CLEAN
    return EXIT_FINDINGS if summary.max_severity >= Severity.parse(fail_on) else EXIT_CLEAN


# -- calibrate ----------------------------------------------------------------------------------------------
@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--gold", type=click.Path(exists=True, dir_okay=False), help="Human labels (JSON Lines, see README) for PATHS.")
@click.option("--set", "sets", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="A labelled set: a folder with transcripts.jsonl and labels.jsonl. Repeat to compare sets side by side.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--show-errors", is_flag=True, help="List every false positive and miss, grouped by rule, with the condition that decided it.")
@with_rule_options
def calibrate(paths, gold, sets, fmt, show_errors, **rule_args):
    """Compare findings with human labels: precision, recall and F1 per category."""
    import json

    from .calibration import LabelError, read_set, render_sets

    if bool(paths) == bool(sets) or bool(paths) != bool(gold):
        raise click.UsageError("give PATHS with --gold LABELS, or one or more --set FOLDER")
    try:
        named = [(str(p), (read_set(Path(p)))) for p in sets] if sets else [("labels", (paths, Path(gold)))]
    except LabelError as exc:
        raise UserError(str(exc)) from None
    linter = load_linter(**rule_args)
    results, failed = [], False
    for name, (inputs, labels_path) in named:
        result, problems = _calibrate_one(linter, inputs if isinstance(inputs, tuple) else (str(inputs),), labels_path, show_errors)
        results.append((Path(name).name if sets else name, result))
        failed = failed or problems
    if fmt == "json":
        doc = results[0][1].to_dict() if not sets else {"sets": [{"name": n, **r.to_dict()} for n, r in results]}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        from .calibration import render_text

        for name, result in results:
            if sets:
                click.echo(f"== {name}")
            click.echo(_safe(render_text(result, show_errors), lines=True))
            if sets:
                click.echo("")
        if len(results) > 1:
            click.echo(_safe(render_sets(results), lines=True))
    if failed:
        sys.exit(EXIT_ERROR)


def _calibrate_one(linter, paths, gold, show_errors):
    """Scan one labelled input and compare; problems are printed in the summary on stderr."""
    from .batch import ScanSummary, scan_items
    from .calibration import LabelError, calibrate as run_calibration, explain_misses, read_labels
    from .outputs.text import print_summary
    from .readers import read_paths

    try:
        labels = read_labels(Path(gold))
    except LabelError as exc:
        raise UserError(str(exc)) from None
    summary = ScanSummary()
    reader_options, input_format = load_reader_options(linter.config)
    scanned = list(scan_items(linter, read_paths(paths, input_format, options=reader_options), summary))
    categories = [c for c in CATEGORIES if any(r.category == c for r in linter.rules)]
    categories += sorted({r.category for r in linter.rules} - set(categories))
    result = run_calibration(scanned, labels, categories)
    if show_errors:
        explain_misses(linter, result, {conv.id: conv for conv, _ in scanned if conv is not None})
    summary.finish(linter)
    if summary.skipped_count or summary.rule_problems:
        print_summary(_stderr_console(), summary, quiet=True)
        return result, True
    return result, False


# -- rules --------------------------------------------------------------------------------------------------
@main.group()
def rules():
    """List, show, test and validate rules."""


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@with_rule_options
def rules_list(fmt, **rule_args):
    """Every loaded rule with its type, category, severity and manual section."""
    from .docs import rules_table

    linter = load_linter(**rule_args)
    click.echo(rules_table(linter.rules, fmt))


@rules.command("show")
@click.argument("rule_id")
@with_rule_options
def rules_show(rule_id, **rule_args):
    """What a rule checks, why, and its examples."""
    from .docs import rule_details

    linter = load_linter(**rule_args)
    rule = linter.pack.get(rule_id)
    if rule is None:
        import difflib

        close = difflib.get_close_matches(rule_id, [r.id for r in linter.rules], n=3)
        raise UserError(f"no rule {rule_id!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
    click.echo(_safe(rule_details(rule), lines=True))


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("-v", "--verbose", is_flag=True, help="List passing examples too.")
@with_rule_options
def rules_test(paths, verbose, rules, no_builtin, **rule_args):
    """Run every rule's flag/pass examples (the built-in pack, or the rule files given) and report failures."""
    from .examples import run_examples

    if paths:
        rules, no_builtin = tuple(rules) + tuple(paths), True
    linter = load_linter(rules=rules, no_builtin=no_builtin, **rule_args)
    failures = passed = 0
    for rule in linter.rules:
        results = run_examples(linter, rule)
        if not results:
            click.echo(f"NO EXAMPLES  {rule.id}  (add examples: flag: and pass:)")
            failures += 1
            continue
        for r in results:
            if not r.ok:
                failures += 1
                click.echo(_safe(f"FAIL  {r.rule}  {r.kind} #{r.number}: {r.reason}") + f"\n      {r.example!r}")
            else:
                passed += 1
                if verbose:
                    click.echo(f"ok    {r.rule}  {r.kind} #{r.number}")
    click.echo(f"{passed} passed, {failures} failed ({len(linter.rules)} rules)")
    sys.exit(EXIT_FINDINGS if failures else EXIT_CLEAN)


@rules.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--with-builtin", is_flag=True, help="Validate together with the built-in pack (for overrides).")
def rules_validate(paths, with_builtin):
    """Check rule files: YAML, fields, types, patterns and lexicons. Prints every error with file:line."""
    from .loader import load_rule_pack

    try:
        pack = load_rule_pack([Path(p) for p in paths], builtin=with_builtin)
    except RuleLoadError as exc:
        for error in exc.errors:
            click.echo(_safe(f"error: {error.describe()}"), err=True)
        click.echo(f"{len(exc.errors)} error(s)", err=True)
        sys.exit(EXIT_ERROR)
    except QALinterError as exc:
        raise UserError(str(exc)) from None
    for warning in pack.warnings:
        click.echo(_safe(f"warning: {warning.describe()}"), err=True)
    click.echo(f"ok: {len(pack.rules)} rules in {len(pack.files)} file(s)")


# -- check / serve: the pre-send check (docs/presend.md) --------------------------------------------------------
@main.command()
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
def check(text, context_path, channel, ts, fmt, fail_on, color, **rule_args):
    """Check a draft reply (TEXT, or - to read it from stdin) as the next agent message of --context.

    Exit 1 when a finding at or above --fail-on would block sending, 0 when the reply may be sent.
    """
    import json

    from .canonical import InvalidTranscript
    from .presend import parse_context

    draft = _read_draft(text)
    if context_path == "-" and text == "-":
        raise click.UsageError("the draft and --context cannot both come from stdin")
    context = None
    if context_path:
        try:
            data = sys.stdin.buffer.read() if context_path == "-" else Path(context_path).read_bytes()
            context = parse_context(data, "<stdin>" if context_path == "-" else context_path)
        except OSError as exc:
            raise UserError(f"{context_path}: cannot read: {exc.strerror or exc}") from None
        except InvalidTranscript as exc:
            raise UserError(str(exc)) from None
    linter = load_linter(**rule_args)
    fail_on = fail_on or linter.config.get("fail_on", "error")
    try:
        result = linter.check_reply(draft, context=context, channel=channel, ts=ts, fail_on=fail_on)
    except (InvalidTranscript, ValueError) as exc:
        raise UserError(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        from .outputs.check_text import print_check, verdict
        from .outputs.text import make_console

        print_check(make_console(sys.stdout, color), draft, result)
        click.echo(verdict(result), err=True)
    for rule_id, reason in sorted(linter.rule_problems.items()):
        click.echo(_safe(f"Rule {rule_id}: {reason}"), err=True)
    sys.exit(EXIT_ERROR if linter.rule_problems else EXIT_FINDINGS if result.blocking else EXIT_CLEAN)


def _read_draft(text: str) -> str:
    if text != "-":
        return text
    try:
        draft = sys.stdin.buffer.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"<stdin>: the draft is not UTF-8 (byte {exc.start})") from None
    draft = draft[:-1] if draft.endswith("\n") else draft  # the newline `echo` adds is not part of the reply
    draft = draft[:-1] if draft.endswith("\r") else draft
    if not draft.strip():
        raise UserError("nothing to check: the draft on stdin is empty")
    return draft


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes, each with the rules loaded.")
@click.option("--token", envvar="QA_LINT_TOKEN", help="Require Authorization: Bearer TOKEN on /v1/* (also from $QA_LINT_TOKEN); enables /v1/reload.")
@click.option("--max-body", "max_body_bytes", default=1024 * 1024, show_default=True, type=click.IntRange(1), help="Largest request body in bytes (413 beyond).")
@click.option("--max-messages", default=500, show_default=True, type=click.IntRange(2), help="Most messages in one conversation or context (422 beyond).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Default lowest severity that blocks a draft [default: error].")
@click.option("--access-log", is_flag=True, help="Log every request.")
@with_rule_options
def serve(host, port, workers, token, max_body_bytes, max_messages, fail_on, access_log, config_path, rules, **rule_args):
    """Run the pre-send HTTP service and the agent page (see docs/presend.md)."""
    from .service.server import serve as run_server
    from .service.settings import ServiceSettings

    # Rule mistakes stop here, before listening; warnings are printed once the service has said where it listens.
    linter = load_linter(config_path, rules, **rule_args, quiet=True)
    try:
        settings = ServiceSettings(
            host=host, port=port, workers=workers, token=token or None, max_body_bytes=max_body_bytes,
            max_messages=max_messages, fail_on=fail_on or linter.config.get("fail_on", "error"), access_log=access_log,
            # absolute, so that workers and reloads find the same files
            config_path=str(Path(config_path).resolve()) if config_path else None,
            rules=[str(Path(r).resolve()) for r in rules],
            no_builtin=rule_args["no_builtin"], select=list(rule_args["select"]),
            ignore=list(rule_args["ignore"]), severity=list(rule_args["severity"]),
        )
        run_server(settings, linter)
    except QALinterError as exc:
        raise UserError(str(exc)) from None


# -- report: weekly compliance report (docs/weekly-reports.md) ---------------------------------------------------
@main.group()
def report():
    """Reports over scan results."""


@report.command("weekly")
@click.argument("transcripts", nargs=-1, type=click.Path())
@click.option("--week", help="ISO week, e.g. 2026-W47 [default: the last complete week].")
@click.option("--from", "date_from", metavar="DATE", help="First day of a custom period (YYYY-MM-DD), with --to.")
@click.option("--to", "date_to", metavar="DATE", help="Last day of a custom period (YYYY-MM-DD), with --from.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False), help="Results store to read [default: setting `store`].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True, help="Folder for the HTML, CSV and JSON files.")
@click.option("--format", "fmt", type=click.Choice(["html", "text"]), default="html", show_default=True)
@click.option("--weeks", type=click.IntRange(1, 104), default=8, show_default=True, help="Weeks in the trend chart.")
@click.option("--timezone", "tz_name", metavar="ZONE", help="IANA time zone of the weeks [default: setting `timezone`, else Asia/Shanghai].")
@click.option("--scorecards", "scorecards_dir", type=click.Path(file_okay=False, exists=True), help="Scorecard pages (scan --html DIR) to link conversations to.")
@click.option("--scorecard", "scorecard_path", type=click.Path(exists=True, dir_okay=False), help="Scoring model when scanning TRANSCRIPTS.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@with_rule_options
def report_weekly(transcripts, week, date_from, date_to, store_path, out_dir, fmt, weeks, tz_name, scorecards_dir,
                  scorecard_path, color, **rule_args):
    """Weekly compliance report: figures against the previous week, trends, teams, agents, rules, worst conversations.

    Reads the results store (scan --store), or scans TRANSCRIPTS now.
    """
    from .batch import ScanSummary
    from .config import load_config
    from .outputs.text import make_console, print_summary
    from .readers import read_paths
    from .reporting.command import WeeklyOptions, choose_period, open_report_store, run_weekly, scan_into_memory

    options = WeeklyOptions(week, date_from, date_to, tz_name, weeks, out_dir, fmt, scorecards_dir)
    summary = None
    try:
        if transcripts and store_path:
            raise UserError("give either --store or transcript files, not both")
        if transcripts:
            linter = load_linter(**rule_args)
            config = linter.config
            period, zone_name = choose_period(options, config)
            scoring, _ = _scoring_and_masker(linter, scorecard_path, no_mask=False)
            reader_options, input_format = load_reader_options(config)
            summary = ScanSummary()
            store = scan_into_memory(linter, scoring, read_paths(list(transcripts), input_format, options=reader_options), summary)
        else:
            config = load_config(Path(rule_args["config_path"]) if rule_args.get("config_path") else None)
            period, zone_name = choose_period(options, config)
            store = open_report_store(store_path, config)
        try:
            result, written = run_weekly(store, period, zone_name, options, lambda: make_console(sys.stdout, color))
        finally:
            store.close()
    except QALinterError as exc:
        raise UserError(str(exc)) from None
    for kind in ("html", "csv", "json"):
        if kind in written:
            click.echo(f"{kind}: {written[kind]}", err=True)
    if fmt == "html":
        figures = result.figures
        click.echo(f"{period.label}: {figures.conversations} conversations, previous period "
                   f"{result.previous_figures.conversations}", err=True)
    if summary is not None and (summary.skipped_count or summary.rule_problems):
        print_summary(_stderr_console(color), summary, quiet=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()

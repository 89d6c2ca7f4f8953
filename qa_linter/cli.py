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

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FAIL_ON = ("error", "warning", "info", "never")


class UserError(click.ClickException):
    exit_code = EXIT_ERROR


def _stderr_console(color: str = "auto"):
    from .outputs.text import make_console

    return make_console(sys.stderr, color)


def load_linter(config_path, rules=(), no_builtin=False, select=(), ignore=(), severity=()):
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
        return Linter.from_config(
            config,
            rules=rules,
            builtin=False if no_builtin else None,
            select=_split(select),
            ignore=_split(ignore),
            severity=overrides,
        )
    except RuleLoadError as exc:
        for error in exc.errors:
            click.echo(f"error: {error.describe()}", err=True)
        raise UserError(f"{len(exc.errors)} error(s) in the rules; nothing was scanned") from None
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
@click.option("--input-format", type=click.Choice(["jsonl"]), default=None, help="Read inputs as this format regardless of extension.")
@with_rule_options
def scan(paths, use_examples, fmt, output, fail_on, exit_zero, statistics, quiet, show_clean, color, input_format, **rule_args):
    """Scan transcripts (files, folders, or - for stdin) and report what breaks the standards."""
    from .batch import ScanSummary, scan_items
    from .outputs.text import print_statistics, print_summary
    from .readers import read_paths
    from .resources import examples_dir

    paths = list(paths)
    if use_examples:
        paths.append(str(examples_dir()))
    if not paths:
        raise click.UsageError("give transcript files or folders, - for stdin, or --examples")
    linter = load_linter(**rule_args)
    fail_on = fail_on or linter.config.get("fail_on", "error")
    if fail_on not in FAIL_ON:
        raise UserError(f"fail_on {fail_on!r} must be one of {', '.join(FAIL_ON)}")
    summary = ScanSummary()
    out = open(output, "w", encoding="utf-8") if output else sys.stdout
    try:
        # Every output is a sink fed the same (conversation, findings, extra) stream; `extra` carries
        # per-conversation figures computed once (e.g. the score) so all sinks report the same numbers.
        sinks = [_writer(fmt, out, color if not output else "never", show_clean, statistics)]
        for conv, findings in scan_items(linter, read_paths(paths, input_format), summary):
            extra = None
            for sink in sinks:
                sink.conversation(conv, findings, extra)
        summary.finish(linter)
        header = {"tool": "qa-linter", "version": __version__, "rule_pack": linter.pack.fingerprint}
        for sink in sinks:
            sink.close(summary.to_dict(), header)
        if statistics:
            _print_stats(fmt, out, summary, linter, color)
    finally:
        if output:
            out.close()
    print_summary(_stderr_console(color), summary, quiet)
    sys.exit(_exit_code(summary, fail_on, exit_zero))


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
CATEGORIES = (
    "banned-phrase", "slang", "emoji", "jargon-unexplained", "pii-exposure", "credential-request",
    "remote-no-consent", "empathy-missing", "greeting-missing", "closing-missing", "no-resolution-check",
    "slow-response",
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--gold", required=True, type=click.Path(exists=True, dir_okay=False), help="Human labels (JSON Lines, see README).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--show-errors", is_flag=True, help="List every false positive and false negative with its excerpt.")
@with_rule_options
def calibrate(paths, gold, fmt, show_errors, **rule_args):
    """Compare findings with human labels: precision, recall and F1 per category."""
    import json

    from .batch import ScanSummary, scan_items
    from .calibration import LabelError, calibrate as run_calibration, read_labels, render_text
    from .readers import read_paths

    try:
        labels = read_labels(Path(gold))
    except LabelError as exc:
        raise UserError(str(exc)) from None
    linter = load_linter(**rule_args)
    summary = ScanSummary()
    scanned = list(scan_items(linter, read_paths(paths), summary))
    categories = [c for c in CATEGORIES if any(r.category == c for r in linter.rules)]
    categories += sorted({r.category for r in linter.rules} - set(categories))
    result = run_calibration(scanned, labels, categories)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result, show_errors))
    from .outputs.text import print_summary

    summary.finish(linter)
    if summary.skipped_count or summary.rule_problems:
        print_summary(_stderr_console(), summary, quiet=True)
        sys.exit(EXIT_ERROR)


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
    click.echo(rule_details(rule))


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
    failures = total = 0
    for rule in linter.rules:
        results = run_examples(linter, rule)
        if not results:
            click.echo(f"NO EXAMPLES  {rule.id}  (add examples: flag: and pass:)")
            failures += 1
            continue
        for r in results:
            total += 1
            if not r.ok:
                failures += 1
                click.echo(f"FAIL  {r.rule}  {r.kind} #{r.number}: {r.reason}\n      {r.example!r}")
            elif verbose:
                click.echo(f"ok    {r.rule}  {r.kind} #{r.number}")
    click.echo(f"{total - failures if failures <= total else 0} passed, {failures} failed ({len(linter.rules)} rules)")
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
            click.echo(f"error: {error.describe()}", err=True)
        click.echo(f"{len(exc.errors)} error(s)", err=True)
        sys.exit(EXIT_ERROR)
    except QALinterError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"ok: {len(pack.rules)} rules in {len(pack.files)} file(s)")


# -- check / serve: the pre-send check (docs/presend.md) --------------------------------------------------------
@main.command()
@click.argument("text")
@click.option("--context", "context_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="The conversation so far: canonical JSON, one JSON Lines record, or a list of messages.")
@click.option("--channel", type=click.Choice(["chat", "email", "phone"]), default=None,
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
        click.echo(f"Rule {rule_id}: {reason}", err=True)
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

    linter = load_linter(config_path, rules, **rule_args)  # rule mistakes stop here, before listening
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


if __name__ == "__main__":  # pragma: no cover
    main()

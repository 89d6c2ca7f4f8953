"""`qa-lint config show`: the effective configuration, each value with where it came from."""
from __future__ import annotations

import json

import click

from ..vocabulary import FAIL_ON, plural
from .common import input_format_option, json_text, load_rules, make_run, safe, user_errors, with_rule_options


@click.group("config")
def command():
    """The configuration qa-lint uses here."""


@command.command("show")
@with_rule_options
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="As `scan --fail-on`.")
@input_format_option
@click.option("--encoding", default=None, help="As `scan --encoding`.")
@click.option("--scorecard", type=click.Path(dir_okay=False), help="As `scan --scorecard`.")
@click.option("--store", type=click.Path(dir_okay=False), help="As `scan --store`.")
@click.option("--no-store", is_flag=True, help="As `scan --no-store`.")
@click.option("--no-suppress", is_flag=True, help="As `scan --no-suppress`.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None, help="As `scan --jobs`.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(fmt, **options):
    """Show every setting after the configuration file, pyproject.toml and these options are merged, with where
    each value came from; the rules and scorecard are loaded, so a mistake in them is reported (exit 2).

    Give the same options as to `qa-lint scan` to see what that scan would use."""
    from ..effective import effective_settings

    with user_errors():
        run = make_run(**options)
        settings = effective_settings(run)
    config_file = str(run.config.path) if run.config.path else None
    if fmt == "text":
        # The settings first, so they are seen even when the rules they name have a mistake (reported below).
        lines = [f"configuration file: {config_file or 'none found (qa-linter.yaml, .qa-linter.yaml, pyproject.toml)'}", ""]
        for setting in settings:
            # Two lines a setting, the value then its source: long paths and mappings stay readable at 80 columns.
            lines.append(f"{setting.key}: {_shown(setting.value)}")
            lines.append(f"    {setting.source}" if setting.source.startswith("default") else f"    from {setting.source}")
        click.echo(safe("\n".join(lines), lines=True))
    with user_errors():
        pack = load_rules(run).pack
        scoring = run.scoring
    if fmt == "json":
        click.echo(json_text({
            "config_file": config_file,
            "settings": {s.key: s.to_dict() for s in settings},
            "rule_pack": {"name": pack.name, "version": pack.version, "fingerprint": pack.fingerprint,
                          "rules": len(pack.rules), "files": len(pack.files)},
            "scorecard": {"name": scoring.name, "version": scoring.version, "fingerprint": scoring.fingerprint},
        }))
        return
    click.echo(safe("\n".join([
        "",
        f"rule pack: {pack.name} {pack.version}, {plural(len(pack.rules), 'rule')} selected from "
        f"{plural(len(pack.files), 'file')}",
        f"    fingerprint {pack.fingerprint}",
        f"scorecard: {scoring.name} {scoring.version}",
        f"    fingerprint {scoring.fingerprint}",
    ]), lines=True))


def _shown(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


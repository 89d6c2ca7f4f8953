"""`qa-lint rules …`: list, show, test and validate rules, and the rule types they are written in."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import QALinterError, RuleLoadError
from ..vocabulary import plural
from .common import (
    EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UserError, echo_err, load_rules, make_run, safe, user_errors,
    with_rule_options,
)


@click.group("rules")
def command():
    """List, show, test and validate rules; list the rule types."""


def _linter(**rule_options):
    with user_errors():
        return load_rules(make_run(**rule_options))


@command.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@with_rule_options
def rules_list(fmt, **rule_options):
    """Every loaded rule with its type, category, severity and manual section."""
    from ..docs import rules_table

    click.echo(rules_table(_linter(**rule_options).rules, fmt))


@command.command("types")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def rules_types(fmt):
    """Every rule type and the fields it takes (markdown: the reference of docs/rule-language.md)."""
    from ..docs import rule_types_reference, rule_types_text

    click.echo(rule_types_reference() if fmt == "markdown" else rule_types_text())


@command.command("show")
@click.argument("rule_id")
@with_rule_options
def rules_show(rule_id, **rule_options):
    """What a rule checks, why, and its examples."""
    from ..docs import rule_details

    linter = _linter(**rule_options)
    rule = linter.pack.get(rule_id)
    if rule is None:
        import difflib

        close = difflib.get_close_matches(rule_id, [r.id for r in linter.rules], n=3)
        raise UserError(f"no rule {rule_id!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
    click.echo(safe(rule_details(rule), lines=True))


@command.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("-v", "--verbose", is_flag=True, help="List passing examples too.")
@with_rule_options
def rules_test(paths, verbose, rules, no_builtin, **rule_options):
    """Run every rule's flag/pass examples (the built-in pack, or the rule files given) and report failures."""
    from ..examples import run_examples

    if paths:
        rules, no_builtin = tuple(rules) + tuple(paths), True
    linter = _linter(rules=rules, no_builtin=no_builtin, **rule_options)
    failures = passed = 0
    for rule in linter.rules:
        results = run_examples(linter, rule)
        if not results:
            click.echo(f"NO EXAMPLES  {rule.id}  (add examples: flag: and pass:)")
            failures += 1
        for r in results:
            if not r.ok:
                failures += 1
                click.echo(safe(f"FAIL  {r.rule}  {r.kind} #{r.number}: {r.reason}") + f"\n      {r.example!r}")
            else:
                passed += 1
                if verbose:
                    click.echo(f"ok    {r.rule}  {r.kind} #{r.number}")
    for rule_id, reason in sorted(linter.rule_problems.items()):  # rules left out when they loaded
        failures += 1
        click.echo(safe(f"FAIL  {rule_id}  {reason}"))
    click.echo(f"{passed} passed, {failures} failed ({len(linter.rules)} rules)")
    sys.exit(EXIT_FINDINGS if failures else EXIT_CLEAN)


@command.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--with-builtin", is_flag=True, help="Validate together with the built-in pack (for overrides).")
def rules_validate(paths, with_builtin):
    """Check rule files: YAML, fields, types, patterns and lexicons. Prints every error with file:line."""
    from ..loader import load_rule_pack

    try:
        pack = load_rule_pack([Path(p) for p in paths], builtin=with_builtin)
    except RuleLoadError as exc:
        for error in exc.errors:
            echo_err(f"error: {error.describe()}")
        click.echo(plural(len(exc.errors), "error"), err=True)
        sys.exit(EXIT_ERROR)
    except QALinterError as exc:
        raise UserError(str(exc)) from None
    for warning in pack.warnings:
        echo_err(f"warning: {warning.describe()}")
    if pack.refused:  # valid YAML, but a pattern that would exhaust memory: scans leave these rules out
        for error in pack.refused:
            echo_err(f"error: {error.describe()}")
        click.echo(f"{plural(len(pack.refused), 'error')}; scans run without these rules", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"ok: {plural(len(pack.rules), 'rule')} in {plural(len(pack.files), 'file')}")

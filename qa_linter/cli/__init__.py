"""The `qa-lint` command line: one module per command group, each a thin layer over a run.Run.

A command module defines `command` (a click command or group) and reads its options into a Run (common.make_run),
which builds the rules, scoring model, masker, readers and outputs from the merged configuration. Adding a
command group is one module here and its name in COMMANDS.
"""
from __future__ import annotations

from importlib import import_module

import click

from .. import __version__

COMMANDS = ("scan", "convert", "calibrate", "rules", "check", "serve", "report", "review", "replay")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="qa-lint")
def main():
    """qa-lint: check customer-service transcripts against service standards written as YAML rules."""


for _name in COMMANDS:
    main.add_command(import_module(f"{__name__}.{_name}").command)

__all__ = ["COMMANDS", "main"]

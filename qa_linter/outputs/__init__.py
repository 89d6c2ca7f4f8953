"""Renderers: each turns conversations and their findings into one output format.

`writer_for` is the table of the data outputs of `qa-lint scan --format`; a new format is a module here and an
entry in FORMATS. HTML scorecards and the results store are sinks of their own (run.Run.sinks).
"""
from __future__ import annotations

FORMATS = ("text", "json", "jsonl", "csv", "xlsx", "sarif", "junit")
# Formats that --statistics cannot replace: a spreadsheet or a CI report of counts is not what was asked for.
FILE_FORMATS = ("csv", "xlsx", "sarif", "junit")


def writer_for(fmt: str, out, color: str = "auto", show_clean: bool = False, statistics: bool = False,
               rules=(), fail_on: str = "error"):
    """The sink that writes findings to `out` in `fmt` (nothing when --statistics replaces the findings).

    `rules`: the loaded rules (SARIF lists them all); `fail_on`: the level at which a JUnit test case fails."""
    if statistics:
        return NullWriter()
    if fmt == "json":
        from .json_output import JsonWriter

        return JsonWriter(out)
    if fmt == "jsonl":
        from .json_output import JsonLinesWriter

        return JsonLinesWriter(out)
    if fmt == "csv":
        from .csv_output import CsvWriter

        return CsvWriter(out)
    if fmt == "xlsx":
        from .xlsx_output import XlsxWriter

        return XlsxWriter(out)
    if fmt == "sarif":
        from .sarif import SarifWriter

        return SarifWriter(out, rules)
    if fmt == "junit":
        from .junit import JUnitWriter

        return JUnitWriter(out, fail_on)
    from .text import TextWriter, make_console

    return TextWriter(make_console(out, color), show_clean)


class NullWriter:
    needs_conversation = False

    def conversation(self, *args, **kwargs):
        pass

    def close(self, *args):
        pass

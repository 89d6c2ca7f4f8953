"""Renderers: each turns conversations and their findings into one output format.

`writer_for` is the table of the data outputs of `qa-lint scan --format`; a new format is a module here and an
entry in FORMATS. HTML scorecards and the results store are sinks of their own (run.Run.sinks).
"""
from __future__ import annotations

FORMATS = ("text", "json", "jsonl")


def writer_for(fmt: str, out, color: str = "auto", show_clean: bool = False, statistics: bool = False):
    """The sink that writes findings to `out` in `fmt` (nothing when --statistics replaces the findings)."""
    from .json_output import JsonLinesWriter, JsonWriter
    from .text import TextWriter, make_console

    if statistics:
        return NullWriter()
    if fmt == "json":
        return JsonWriter(out)
    if fmt == "jsonl":
        return JsonLinesWriter(out)
    return TextWriter(make_console(out, color), show_clean)


class NullWriter:
    needs_conversation = False

    def conversation(self, *args, **kwargs):
        pass

    def close(self, *args):
        pass

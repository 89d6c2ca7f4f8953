"""`scan --format junit`: JUnit XML, which CI systems (Jenkins, GitLab, Azure, GitHub test reporters) show as tests.

A test case per conversation, a test suite per input file. A conversation fails when it has a finding at or
above the fail-on level (`--fail-on`, the same threshold as the exit code), so a pipeline that gates a rule pack
or a reply-template library sees the same pass/fail in its test report as in the exit code. The failure lists
those findings one a line (`message_index rule [severity] message «words» → suggestion`); findings below the
threshold go to the test case's system-out, shown but not failing.

Test cases are kept until the end (a suite's counts come before its cases): JUnit is for CI-sized scans.
"""
from __future__ import annotations

from typing import IO
from xml.sax.saxutils import escape, quoteattr

from ..model import Conversation, Finding
from ..vocabulary import Severity, fail_threshold
from .excerpt import xml_safe


class JUnitWriter:
    def __init__(self, out: IO[str], fail_on: str = "error"):
        self.out = out
        self.fail_on = fail_on
        self.threshold: Severity | None = fail_threshold(fail_on)
        self.suites: dict[str, list[str]] = {}
        self.failed: dict[str, int] = {}

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        suite = _file_of(conv.source if conv is not None else None)
        failing = [f for f in findings if self.threshold is not None and f.severity >= self.threshold]
        shown = [f for f in findings if f not in failing]
        classname = ".".join(p for p in ("qa-linter", conv.channel if conv else None,
                                        (conv.team or conv.agent) if conv else None) if p)
        parts = [f"    <testcase name={_attr(conv.id if conv else '?')} classname={_attr(classname)}"
                 + (f" file={_attr(suite)}" if suite != "<input>" else "") + ">"]
        if failing:
            summary = f"{len(failing)} 处问题达到 {self.fail_on} 级别"
            parts.append(f"      <failure message={_attr(summary)} type={_attr(str(max(f.severity for f in failing)))}>"
                         f"{_text(_lines(conv, failing))}</failure>")
        score = extra.get("score") if extra else None
        notes = []
        if score is not None:
            notes.append(f"得分 {score}")
        if shown:
            notes.append(_lines(conv, shown))
        if notes:
            parts.append(f"      <system-out>{_text(chr(10).join(notes))}</system-out>")
        parts.append("    </testcase>")
        self.suites.setdefault(suite, []).append("\n".join(parts))
        self.failed[suite] = self.failed.get(suite, 0) + bool(failing)

    def close(self, summary: dict, header: dict) -> None:
        out = self.out
        total = sum(len(cases) for cases in self.suites.values())
        failures = sum(self.failed.values())
        seconds = summary.get("elapsed_seconds", 0)
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f'<testsuites name="qa-linter" tests="{total}" failures="{failures}" errors="0" time="{seconds}">\n')
        for name, cases in self.suites.items():
            out.write(f'  <testsuite name={_attr(name)} tests="{len(cases)}" failures="{self.failed[name]}" '
                      f'errors="0" skipped="0">\n')
            out.write(f'    <properties><property name="rule_pack" value={_attr(str(header.get("rule_pack", "")))}/>'
                      f'<property name="fail_on" value={_attr(self.fail_on)}/></properties>\n')
            for case in cases:
                out.write(case + "\n")
            out.write("  </testsuite>\n")
        out.write("</testsuites>\n")
        out.flush()


def _lines(conv: Conversation | None, findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        line = f"#{f.message_index} {f.rule} [{f.severity}] {f.message}"
        if f.text:
            line += f" «{f.text}»"
        if f.suggestion:
            line += f" → {f.suggestion}"
        lines.append(line)
    return "\n".join(lines)


def _file_of(source: str | None) -> str:
    if not source:
        return "<input>"
    path, sep, line = source.rpartition(":")
    return path if sep and line.isdigit() else source


def _text(value: str) -> str:
    return escape(xml_safe(value))


def _attr(value: str) -> str:
    return quoteattr(xml_safe(value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})

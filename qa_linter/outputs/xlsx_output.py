"""`scan --format xlsx`: one row per finding (outputs/rows.py) in an Excel workbook, plus a summary sheet.

Written with openpyxl (already a dependency: it reads `.xlsx` exports and writes review sheets) in write-only
mode, so rows stream to a temporary file rather than building the workbook in memory. Every text is a string
cell: openpyxl would store a text starting with = as a formula, and Excel runs formulas when a file is opened
(CSV/formula injection), while transcripts are written by customers. An xlsx is binary: it goes to `-o FILE`,
or to stdout when that is a file or a pipe, never to a terminal.
"""
from __future__ import annotations

import io
from typing import IO

from ..errors import QALinterError
from ..model import Conversation, Finding
from .excerpt import xml_safe
from .rows import COLUMNS, finding_rows

SHEET = "findings"
SUMMARY_SHEET = "summary"
WIDTHS = {"conversation_id": 16, "agent": 12, "team": 14, "message": 40, "excerpt": 60, "text": 16,
          "suggestion": 24, "manual": 24, "location": 28, "rule": 24, "category": 16}


class XlsxWriter:
    def __init__(self, out: IO[str]):
        try:
            from openpyxl import Workbook
        except ImportError as exc:  # openpyxl is a core dependency; a broken install still gets a sentence
            raise QALinterError(f"--format xlsx needs openpyxl: pip install openpyxl ({exc})") from None
        if getattr(out, "isatty", lambda: False)():
            raise QALinterError("--format xlsx writes a binary file: give -o FILE.xlsx or redirect stdout to a file")
        self.out = out
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(SHEET)
        for n, name in enumerate(COLUMNS):
            self.sheet.column_dimensions[_letter(n)].width = WIDTHS.get(name, 10)
        self.sheet.freeze_panes = "A2"
        self.sheet.append(COLUMNS)
        self.rows = 0

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        for row in finding_rows(conv, findings, extra):
            self.sheet.append([self._cell(v) for v in row])
            self.rows += 1

    def _cell(self, value):
        if not isinstance(value, str):
            return value
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.sheet, value=xml_safe(value))
        cell.data_type = "s"  # a string, never a formula, whatever it starts with
        return cell

    def close(self, summary: dict, header: dict) -> None:
        if self.rows:
            self.sheet.auto_filter.ref = f"A1:{_letter(len(COLUMNS) - 1)}{self.rows + 1}"
        info = self.book.create_sheet(SUMMARY_SHEET)
        for key in ("tool", "version", "rule_pack", "scorecard"):
            if key in header:
                info.append([key, self._cell(str(header[key]))])
        for key in ("conversations", "messages", "findings", "skipped", "suppressed"):
            if key in summary:
                info.append([key, summary[key]])
        for category, count in summary.get("by_category", {}).items():
            info.append([self._cell(f"category:{category}"), count])
        data = io.BytesIO()
        self.book.save(data)
        self.out.flush()
        target = getattr(self.out, "buffer", None)
        if target is None:  # a text stream with no bytes underneath (a test's StringIO)
            raise QALinterError("--format xlsx writes a binary file: give -o FILE.xlsx")
        target.write(data.getvalue())
        target.flush()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)

"""`scan --format csv`: one row per finding (outputs/rows.py), UTF-8 with a byte-order mark.

The byte-order mark is what makes Excel read a CSV as UTF-8 (without it, Chinese text opens as mojibake); the
csv module and pandas skip it with encoding="utf-8-sig". Rows are written as conversations are scanned.
"""
from __future__ import annotations

import csv
from typing import IO

from ..model import Conversation, Finding
from .rows import COLUMNS, csv_cell, finding_rows


class CsvWriter:
    def __init__(self, out: IO[str]):
        self.out = out
        self._csv = csv.writer(out, lineterminator="\r\n")
        out.write("\ufeff")
        self._csv.writerow(COLUMNS)

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        for row in finding_rows(conv, findings, extra):
            self._csv.writerow([csv_cell(v) for v in row])

    def close(self, summary: dict, header: dict) -> None:
        self.out.flush()

"""Review sheets on disk: written as .xlsx (openpyxl) or .csv, read back from either.

The xlsx: a `review` sheet with a frozen, filterable header, readable column widths, drop-down lists (data
validation) on verdict and category, and a `transcripts` sheet with every message of the sampled
conversations (PII masked), so a reviewer can read the whole conversation and find a missed message's index.
The CSV is UTF-8 with a byte-order mark, which Excel needs to read Chinese text as UTF-8.

Cells are data, never formulas: in the xlsx every text cell is stored as text; in the CSV a text that starts
like a formula (= + - @) gets a leading ' (OWASP "CSV injection"), which reading removes again.
Reading finds columns by their header names (reviewers may reorder or add columns) and gives each row its
place, file:row, for error messages (the sheet's row number; in a CSV, the line the record starts on).
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from ..errors import QALinterError
from ..labels import ROLE_LABELS
from ..outputs.excerpt import FORMULA_START, spreadsheet_safe
from .sample import SHEET_COLUMNS, VERDICTS, Sheet

SHEET_NAME = "review"
TRANSCRIPT_SHEET = "transcripts"
LISTS_SHEET = "lists"
WIDTHS = {"finding_id": 20, "conversation_id": 16, "agent": 12, "message_index": 8, "rule": 24, "category": 18,
          "severity": 9, "excerpt": 64, "message": 40, "verdict": 10, "reviewer": 12, "note": 30}
WRAPPED = ("excerpt", "message", "note")
VALIDATION_ROWS = 1000  # rows below the sheet that keep the drop-downs, for miss rows a reviewer adds


class SheetError(QALinterError):
    pass


# -- writing ------------------------------------------------------------------------------------------------------
def write_sheet(path: Path, sheet: Sheet, categories: list[str], masker) -> None:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _atomic(path, lambda tmp: _write_xlsx(tmp, sheet, categories, masker))
    elif suffix == ".csv":
        _atomic(path, lambda tmp: tmp.write_bytes(("\ufeff" + to_csv(sheet.rows)).encode("utf-8")))
    else:
        raise SheetError(f"{path}: a review sheet is .xlsx or .csv")


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SHEET_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(row[c]) for c in SHEET_COLUMNS])
    return out.getvalue()


def _write_xlsx(path: Path, sheet: Sheet, categories: list[str], masker) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    ws = book.active
    ws.title = SHEET_NAME
    ws.append(list(SHEET_COLUMNS))
    for row in sheet.rows:
        ws.append([row[c] for c in SHEET_COLUMNS])
    _as_text(ws)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    for i, name in enumerate(SHEET_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 14)
        if name in WRAPPED:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    last = max(2, len(sheet.rows) + 1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(SHEET_COLUMNS))}{last}"
    # Drop-downs: verdict from a fixed list; category from a hidden sheet (a list longer than 255 characters
    # cannot be written inline).
    column = {name: get_column_letter(i) for i, name in enumerate(SHEET_COLUMNS, 1)}
    end = last + VALIDATION_ROWS
    verdict = DataValidation(type="list", formula1='"' + ",".join(VERDICTS) + '"', allow_blank=True,
                             showErrorMessage=True, errorTitle="verdict",
                             error="请填写 correct（判定正确）、wrong（误报）或 missed（漏检）")
    verdict.add(f"{column['verdict']}2:{column['verdict']}{end}")
    lists = book.create_sheet(LISTS_SHEET)
    for category in categories:
        lists.append([category])
    _as_text(lists)
    lists.sheet_state = "hidden"
    category = DataValidation(type="list", formula1=f"{LISTS_SHEET}!$A$1:$A${max(1, len(categories))}",
                              allow_blank=True, showErrorMessage=True, errorTitle="category",
                              error="请从列表中选择问题类别")
    category.add(f"{column['category']}2:{column['category']}{end}")
    ws.add_data_validation(verdict)
    ws.add_data_validation(category)
    _transcript_sheet(book, sheet, masker)
    book.save(path)


def _transcript_sheet(book, sheet: Sheet, masker) -> None:
    from openpyxl.styles import Alignment, Font

    ws = book.create_sheet(TRANSCRIPT_SHEET)
    ws.append(["conversation_id", "message_index", "role", "ts", "text"])
    for s in sheet.sampled:
        conv = sheet.transcripts.get(s.conversation.id)
        if conv is None:
            continue
        for m in conv.messages:
            ws.append([conv.id, m.index, ROLE_LABELS.get(m.role, m.role), m.ts.isoformat() if m.ts else "",
                       masker.mask(m.text)])
    _as_text(ws)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (16, 8, 8, 26, 100)):
        ws.column_dimensions[letter].width = width
    for (cell,) in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _as_text(ws) -> None:
    """openpyxl stores a string starting with = as a formula; transcript text must stay text."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """The sheet appears whole or not at all (a reviewer may have the old one open)."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise SheetError(f"{path}: cannot write: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise SheetError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


# -- reading ------------------------------------------------------------------------------------------------------
REQUIRED = ("finding_id", "conversation_id", "verdict")


def read_sheet(path: Path) -> Iterator[tuple[int, dict]]:
    """(row number, {column: text}) for every non-empty row of a filled sheet; SheetError if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise SheetError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _read_xlsx(path)
    elif suffix == ".csv":
        yield from _read_csv(path)
    else:
        raise SheetError(f"{path}: a review sheet is .xlsx or .csv")


def _columns(path: Path, header: list) -> dict[str, int]:
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    columns = {name: i for i, name in reversed(list(enumerate(names))) if name}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SheetError(f"{path}:1: the header has no {', '.join(missing)} column; is this a review sheet "
                         f"(qa-lint review sample)?")
    return columns


def _read_xlsx(path: Path) -> Iterator[tuple[int, dict]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SheetError(f"{path}: not an Excel workbook ({exc})") from None
    try:
        ws = book[SHEET_NAME] if SHEET_NAME in book.sheetnames else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise SheetError(f"{path}: the sheet is empty")
        columns = _columns(path, list(header))
        for number, values in enumerate(rows, 2):
            row = {name: _text(values[i]) if i < len(values) else "" for name, i in columns.items()}
            if any(row.values()):
                yield number, row
    finally:
        book.close()


def _read_csv(path: Path) -> Iterator[tuple[int, dict]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" as GB18030 when the reviewer picks the plain CSV type.
        from ..readers.textio import UnknownEncoding, detect_encoding

        try:
            text = data.decode(detect_encoding(data[:256 * 1024]))
        except (UnknownEncoding, UnicodeDecodeError, LookupError):
            raise SheetError(f"{path}: cannot tell the text encoding; save the sheet as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise SheetError(f"{path}: the sheet is empty")
        columns = _columns(path, header)
        while True:
            number = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                break
            row = {name: _uncell(values[i]) if i < len(values) else "" for name, i in columns.items()}
            if any(row.values()):
                yield number, row
    except csv.Error as exc:
        raise SheetError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _uncell(value: str) -> str:
    value = value.strip()
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value

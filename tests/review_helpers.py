"""Shared set-up of the review-loop tests: a store of the sample corpus and sheets filled in by code."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from qa_linter.cli import main

CORPUS = Path(__file__).parent / "data" / "corpus" / "transcripts.jsonl"


def run(*args, expect: int | None = 0):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, result.output
    return result


def scan_into(store: Path, *extra, inputs=(CORPUS,), output: Path | None = None) -> dict | None:
    """Scan the corpus (built-in rules) into `store`; the scan's JSON output when `output` is given."""
    args = ["scan", *inputs, "--store", store, *extra]
    if output is not None:
        args += ["--format", "json", "-o", output]
    else:
        args += ["-q", "--statistics"]
    run(*args, expect=None)
    return json.loads(Path(output).read_text(encoding="utf-8")) if output is not None else None


def read_csv_sheet(path: Path) -> list[dict]:
    text = Path(path).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def write_csv_sheet(path: Path, rows: list[dict]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    Path(path).write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))


def filled(rows: list[dict], reviewer: str, verdicts: dict[str, str], notes: dict[str, str] | None = None) -> list[dict]:
    """A copy of the sheet with these finding ids judged by `reviewer`."""
    out = []
    for row in rows:
        row = dict(row)
        if row["finding_id"] in verdicts:
            row.update(verdict=verdicts[row["finding_id"]], reviewer=reviewer, note=(notes or {}).get(row["finding_id"], ""))
        out.append(row)
    return out

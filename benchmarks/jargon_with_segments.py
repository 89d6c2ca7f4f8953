"""Jargon when the transcripts name the customer's audience: the development set as a CRM would export it.

The development set's conversations say who their customer is in `meta.customer` (technical or non-technical),
which the tool never reads: its figures are the tool working that out from the conversation. A contact centre
that knows the account's segment can export it as `meta.audience` (docs/input-formats.md). This writes a copy
of both parts with `meta.audience` set from `meta.customer` (technical -> developer, otherwise consumer, or the
names given) and prints `qa-lint calibrate` for the copies next to the sets as they are:

    python benchmarks/jargon_with_segments.py
    python benchmarks/jargon_with_segments.py --technical professional --intervals

(docs/accuracy.md, "The customer's segment in the transcript").
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEVSET = Path(__file__).resolve().parent.parent / "tests" / "data" / "devset"
PARTS = ("tune", "holdout")


def with_segments(source: Path, target: Path, technical: str, other: str) -> int:
    """Copy a set with meta.audience written from meta.customer; the number of conversations given one."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "labels.jsonl", target / "labels.jsonl")
    given = 0
    with open(source / "transcripts.jsonl", encoding="utf-8") as lines, \
            open(target / "transcripts.jsonl", "w", encoding="utf-8") as out:
        for line in lines:
            record = json.loads(line)
            meta = record.get("meta") or {}
            customer = meta.get("customer")
            if customer in ("technical", "non-technical"):
                record["meta"] = {**meta, "audience": technical if customer == "technical" else other}
                given += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return given


def calibrate(sets: list[Path], intervals: bool) -> str:
    command = [sys.executable, "-m", "qa_linter.cli", "calibrate", "--config", str(DEVSET / "qa-linter.yaml")]
    for folder in sets:
        command += ["--set", str(folder)]
    if intervals:
        command.append("--intervals")
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--technical", default="developer", help="the audience of a technical customer")
    parser.add_argument("--other", default="consumer", help="the audience of every other customer")
    parser.add_argument("--intervals", action="store_true", help="passed on to qa-lint calibrate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copies = []
        for part in PARTS:
            copy = Path(tmp) / part
            given = with_segments(DEVSET / part, copy, args.technical, args.other)
            print(f"{part}: meta.audience given to {given:,} conversations", flush=True)
            copies.append(copy)
        print("\n== as they are (the audience worked out from each conversation)")
        print(calibrate([DEVSET / part for part in PARTS], args.intervals))
        print(f"== with meta.audience (technical: {args.technical}, otherwise: {args.other})")
        print(calibrate(copies, args.intervals))
    return 0


if __name__ == "__main__":
    sys.exit(main())

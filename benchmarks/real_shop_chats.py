"""Accuracy on real shop chats: the built-in pack against labels of real Taobao customer-service conversations.

The conversations are the sample of the E-commerce Dialogue Corpus (Zhang et al., COLING 2018) that ships with its
authors' code, https://github.com/cooelf/DeepUtteranceAggregation (folder `ECD_sample`): real chats between
shoppers and shop staff, segmented into words with punctuation stripped. This project does not copy them; it keeps
only its own labels (tests/data/real-shop-chats: which agent message breaks which category, labelled from
the category spec alone by readers who never saw the rules). Each positive line (label 1) of `valid` and `test` is
one conversation whose last utterance is the shop's reply; utterances alternate, so the roles are counted back from
it. `valid` (77 conversations) is the tuning part, `test` (100) the held-out part.

    git clone https://github.com/cooelf/DeepUtteranceAggregation /tmp/dua
    python benchmarks/real_shop_chats.py /tmp/dua/ECD_sample

prints `qa-lint calibrate` for both parts (docs/accuracy.md, "Real shop chats").
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

LABELS = Path(__file__).resolve().parent.parent / "tests" / "data" / "real-shop-chats"
PARTS = (("valid", "ecd-v", "tune"), ("test", "ecd-t", "holdout"))
_ASCII_END = re.compile(r"[A-Za-z0-9]")


def joined(tokens: list[str]) -> str:
    """The corpus's words put back together: no space between words, except between two Latin words or numbers
    (the corpus wrote 12 00 for 12:00 and EMS 随机 for EMS随机)."""
    text = ""
    for token in tokens:
        if text and _ASCII_END.fullmatch(text[-1]) and _ASCII_END.match(token):
            text += " "
        text += token
    return text


def conversations(lines, prefix: str):
    """Canonical transcripts of the positive lines of one ECD file, numbered in file order."""
    number = 0
    for line in lines:
        fields = line.rstrip("\n").split("\t")
        if fields[0] != "1":
            continue
        number += 1
        utterances = fields[1:]
        messages = [{"role": "agent" if (len(utterances) - 1 - i) % 2 == 0 else "customer", "text": joined(u.split())}
                    for i, u in enumerate(utterances)]
        yield {"id": f"{prefix}-{number:03d}", "channel": "chat", "team": "taobao-shop", "messages": messages}


def write_sets(sample: Path, out: Path) -> list[Path]:
    folders = []
    for source, prefix, part in PARTS:
        folder = out / part
        folder.mkdir(parents=True, exist_ok=True)
        with (sample / source).open(encoding="utf-8") as f, (folder / "transcripts.jsonl").open("w", encoding="utf-8") as t:
            for conv in conversations(f, prefix):
                t.write(json.dumps(conv, ensure_ascii=False) + "\n")
        (folder / "labels.jsonl").write_text((LABELS / f"{part}-labels.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
        folders.append(folder)
    return folders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sample", type=Path, help="the ECD_sample folder of a checkout of cooelf/DeepUtteranceAggregation")
    parser.add_argument("--keep", type=Path, help="write the canonical sets here (default: a temporary folder)")
    parser.add_argument("--intervals", action="store_true", help="passed on to qa-lint calibrate")
    args = parser.parse_args()
    if not (args.sample / "valid").is_file() or not (args.sample / "test").is_file():
        parser.error(f"{args.sample} has no valid and test files: give the ECD_sample folder")
    with tempfile.TemporaryDirectory() as tmp:
        folders = write_sets(args.sample, args.keep or Path(tmp))
        command = [sys.executable, "-m", "qa_linter.cli", "calibrate"]
        for folder in folders:
            command += ["--set", str(folder)]
        if args.intervals:
            command.append("--intervals")
        return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())

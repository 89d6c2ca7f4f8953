"""Accuracy on real retail chats: the built-in pack against labels of real JD.com customer-service sessions.

The conversations are the 0.1% sample of the JDDC 2019 chat log (JD Dialogue Challenge: real sessions between
JD.com's customer service and shoppers or merchants, names, numbers, orders, phones and links replaced by
placeholders such as [数字x] and [订单x]) that ships with a finalist's code,
https://github.com/EndlessLethe/jddc2019-3th-retrieve-model (`data/chat_0.1per.txt`, 994 sessions). This project
does not copy them; it keeps only its own labels (tests/data/real-jd-chats: which agent message breaks which
category, labelled from the category spec alone by readers who never saw the rules).

Which sessions, and which part, was fixed before any was labelled: the first LABELLED sessions in file order;
a session is in the tuning part when the SHA-1 of its id is even, else in the held-out part. Each line of the
file is one turn (consecutive messages of one side are already joined into one turn); the log has no times, so
slow-response is not judged.

    git clone https://github.com/EndlessLethe/jddc2019-3th-retrieve-model /tmp/jddc
    python benchmarks/real_jd_chats.py /tmp/jddc/data/chat_0.1per.txt

prints `qa-lint calibrate` for both parts (docs/accuracy.md, "Real retail chats"). With `--second-review` it
compares instead, on the 150 tuning sessions a second reader labelled blind (second-review.jsonl), the two readers
with each other and the built-in pack with each reader (`qa-lint calibrate --agreement`): how far people who read
the same spec agree is about as far as any rule can be expected to agree with one of them.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

LABELS = Path(__file__).resolve().parent.parent / "tests" / "data" / "real-jd-chats"
LABELLED = 994  # sessions, from the start of the file: all of them
PARTS = ("tune", "holdout")
SECOND_REVIEW = LABELS / "second-review.jsonl"  # tuning sessions labelled again, blind, by other readers


def part_of(session: str) -> str:
    return PARTS[int(hashlib.sha1(session.encode("utf-8")).hexdigest(), 16) % 2]


def sessions(lines) -> list[tuple[str, list[tuple[bool, str]]]]:
    """(session id, [(sent by the agent, text)]) in file order. Fields: session, customer, sent by the agent
    (1) or the customer (0), transferred, repeated enquiry, SKU, text."""
    found: dict[str, list[tuple[bool, str]]] = {}
    for number, line in enumerate(lines, 1):
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 7 or fields[2] not in ("0", "1"):
            raise ValueError(f"line {number}: not a JDDC chat record (7 tab-separated fields)")
        found.setdefault(fields[0], []).append((fields[2] == "1", fields[6]))
    return list(found.items())


def transcript(session: str, turns: list[tuple[bool, str]]) -> dict:
    return {
        "id": f"jd-{session}",
        "channel": "chat",
        "team": "jd-retail",
        "messages": [{"role": "agent" if by_agent else "customer", "text": text} for by_agent, text in turns],
    }


def write_sets(chat_log: Path, out: Path, labels_from: Path = LABELS) -> list[Path]:
    with chat_log.open(encoding="utf-8") as f:
        chosen = sessions(f)[:LABELLED]
    folders = []
    for part in PARTS:
        folder = out / part
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "transcripts.jsonl").open("w", encoding="utf-8") as t:
            for session, turns in chosen:
                if part_of(session) == part:
                    t.write(json.dumps(transcript(session, turns), ensure_ascii=False) + "\n")
        labels = (labels_from / f"{part}-labels.jsonl").read_text(encoding="utf-8")
        (folder / "labels.jsonl").write_text(labels, encoding="utf-8")
        folders.append(folder)
    _check_same_sessions(chosen, folders)
    return folders


def _check_same_sessions(chosen, folders) -> None:
    """The labels name the sessions of the log they were made for (blob 116c666f of the repository's commit
    2d443d1); another version of the file, cut or reordered, would pair them with the wrong conversations."""
    labelled = {json.loads(line)["id"] for folder in folders
                for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()}
    found = {f"jd-{session}" for session, _ in chosen}
    if labelled != found:
        raise ValueError(f"{len(labelled - found)} labelled sessions are not among the first {LABELLED} of this log: "
                         "it is not the version the labels were made for (blob 116c666f of commit 2d443d1)")


def write_second_review(chat_log: Path, out: Path) -> Path:
    """The sessions of the second reading with the first readers' labels, as a labelled set."""
    second = {json.loads(line)["id"] for line in SECOND_REVIEW.read_text(encoding="utf-8").splitlines() if line.strip()}
    tune = write_sets(chat_log, out / "all")[0]
    folder = out / "second-review"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("transcripts.jsonl", "labels.jsonl"):
        lines = [line for line in (tune / name).read_text(encoding="utf-8").splitlines()
                 if line.strip() and json.loads(line)["id"] in second]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chat_log", type=Path, help="data/chat_0.1per.txt of a checkout of EndlessLethe/jddc2019-3th-retrieve-model")
    parser.add_argument("--keep", type=Path, help="write the canonical sets here (default: a temporary folder)")
    parser.add_argument("--intervals", action="store_true", help="passed on to qa-lint calibrate")
    parser.add_argument("--show-errors", action="store_true", help="passed on to qa-lint calibrate (tuning part only)")
    parser.add_argument("--second-review", action="store_true",
                        help="the sessions of the blind second reading: the two readers against each other, and the "
                             "pack against each (qa-lint calibrate --agreement)")
    args = parser.parse_args()
    if not args.chat_log.is_file():
        parser.error(f"{args.chat_log} is not a file: give data/chat_0.1per.txt")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if args.second_review:
                folders = [write_second_review(args.chat_log, args.keep or Path(tmp))]
            else:
                folders = write_sets(args.chat_log, args.keep or Path(tmp))
        except (ValueError, UnicodeDecodeError) as exc:
            parser.error(f"{args.chat_log}: {exc}")
        if args.show_errors:
            folders = folders[:1]
        command = [sys.executable, "-m", "qa_linter.cli", "calibrate"]
        for folder in folders:
            command += ["--set", str(folder)]
        command += ["--intervals"] * args.intervals + ["--show-errors"] * args.show_errors
        command += ["--agreement", str(SECOND_REVIEW)] * args.second_review
        return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())

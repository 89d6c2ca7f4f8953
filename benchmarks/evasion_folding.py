"""What the in-word evasion folding costs in false hits: findings with it against findings without it.

    python benchmarks/evasion_folding.py                 # the sample corpus and a 20 MB generated corpus
    python benchmarks/evasion_folding.py --size 5M       # a quicker run
    python benchmarks/evasion_folding.py --corpus x.jsonl

The normaliser undoes disguises inside words (qa_linter/text/normalize.py, `fold_disguises`): a letter, digit
or bracket between every two Chinese characters (验1证2码), Cyrillic and Greek look-alikes in Latin words
(уyds), romanised and English names of credentials (yzm, verification code). Neither corpus holds such a
disguise on purpose, so every finding that appears only with the folding is a false hit it caused, and every
finding that disappears is one it lost. Both corpora are scanned twice with the built-in pack, in this process,
with `DISGUISE_FOLDING` on and off; the script prints, per corpus, how many messages the folding changed, the
findings it added and removed (per rule, with examples), and the false-hit rate: added findings per 1,000
agent messages. The sample corpus must stay at zero (tests/test_security_evasion.py asserts it); nothing is
asserted here.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_corpus import DEFAULT_SEED, parse_size, write_corpus  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "corpus" / "transcripts.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def generated(size: int, seed: int) -> list[dict]:
    out = io.StringIO()
    write_corpus(out, size=size, seed=seed)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def findings(linter, conversations: list[dict], enabled: bool) -> list[tuple]:
    from qa_linter.text import normalize as module

    module.DISGUISE_FOLDING = enabled
    try:
        return [
            (f.conversation_id, f.message_index, f.rule, f.start, f.end, f.text)
            for conv in conversations for f in linter.scan(conv)
        ]
    finally:
        module.DISGUISE_FOLDING = True


def changed_messages(conversations: list[dict]) -> int:
    """Messages whose folded text the in-word folding changes."""
    from qa_linter.text import normalize as module

    count = 0
    for conv in conversations:
        for message in conv["messages"]:
            module.DISGUISE_FOLDING = False
            plain = module.normalize(message["text"]).text
            module.DISGUISE_FOLDING = True
            if module.normalize(message["text"]).text != plain:
                count += 1
    return count


def measure(name: str, linter, conversations: list[dict]) -> dict:
    from qa_linter.text import normalize as module

    try:
        changed = changed_messages(conversations)
    finally:
        module.DISGUISE_FOLDING = True
    started = time.perf_counter()
    with_folding = findings(linter, conversations, True)
    without = findings(linter, conversations, False)
    elapsed = time.perf_counter() - started
    added = Counter(with_folding) - Counter(without)
    removed = Counter(without) - Counter(with_folding)
    messages = sum(len(c["messages"]) for c in conversations)
    agent_messages = sum(1 for c in conversations for m in c["messages"] if m["role"] == "agent")
    rate = 1000 * sum(added.values()) / agent_messages if agent_messages else 0.0
    print(f"{name}: {len(conversations):,} conversations, {messages:,} messages ({agent_messages:,} by agents); "
          f"scanned twice in {elapsed:.1f} s")
    print(f"  messages whose folded text the in-word folding changes: {changed:,} ({100 * changed / max(messages, 1):.2f}%)")
    print(f"  findings: {len(with_folding):,} with the folding, {len(without):,} without; "
          f"added {sum(added.values())}, removed {sum(removed.values())}")
    print(f"  false-hit rate of the extra folding: {rate:.3f} per 1,000 agent messages "
          f"({sum(added.values())} of {agent_messages:,})")
    texts = {(c["id"], i): m["text"] for c in conversations for i, m in enumerate(c["messages"])}
    for label, found in (("added", added), ("removed", removed)):
        if found:
            print(f"  {label} by rule: " + ", ".join(f"{rule} {n}" for rule, n in Counter(
                key[2] for key in found.elements()).most_common()))
            for key in list(found)[:5]:
                print(f"    {key[2]}: {key[5]!r} in {texts.get((key[0], key[1]), '')[:80]!r}")
    return {"corpus": name, "added": sum(added.values()), "removed": sum(removed.values()), "rate": rate}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("20M"), help="generated corpus size [default: 20M]")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--corpus", type=Path, help="an existing canonical JSON Lines file instead of generating one")
    args = parser.parse_args(argv)

    from qa_linter import Linter

    linter = Linter.from_config()
    measure("sample corpus (tests/data/corpus)", linter, load(SAMPLE))
    if args.corpus:
        measure(str(args.corpus), linter, load(args.corpus))
    else:
        measure(f"generated corpus ({args.size / 1024 / 1024:.0f} MB, seed {args.seed})", linter,
                generated(args.size, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long a rule pack with 10,000 terms takes to load, get ready, and scan.

    python benchmarks/large_rule_pack.py                  # 10,000 terms (the default)
    python benchmarks/large_rule_pack.py --terms 50000    # more

Two packs are generated in a temporary folder (deterministic, fixed seed), each on top of the built-in pack:
  lexicon  one phrases rule whose terms come from a lexicon file of N lines (term, suggestion)
  inline   one phrases rule with the N terms written inline in the YAML (the slow way to write a big list)
For each, in a fresh process so that no cache helps: the time to load and compile the pack, the time until it
is ready (the shared automaton built and jieba's dictionary extended with the terms it does not know, which
`Linter.warm_up` does), and the scan rate over the labelled corpus. The built-in pack alone is the baseline.
The figures are printed; tests/test_security_rules.py checks that such a pack loads and matches correctly.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "transcripts.jsonl"

# Run in a child process: load, warm up, scan the corpus three times; print one JSON line of timings.
CHILD = textwrap.dedent("""
    import json, sys, time
    started = time.perf_counter()
    from qa_linter import Linter
    rules = sys.argv[1:]
    t0 = time.perf_counter()
    linter = Linter.from_config(rules=rules)
    t1 = time.perf_counter()
    linter.warm_up()
    t2 = time.perf_counter()
    conversations = [json.loads(l) for l in open(%r, encoding="utf-8") if l.strip()]
    findings = 0
    t3 = time.perf_counter()
    for _ in range(3):
        for c in conversations:
            findings += len(linter.scan(c))
    t4 = time.perf_counter()
    print(json.dumps({"import": t0 - started, "load": t1 - t0, "ready": t2 - t1, "rules": len(linter.rules),
                      "scan_rate": 3 * len(conversations) / (t4 - t3), "findings": findings // 3}))
""" % str(CORPUS))


def make_terms(count: int, seed: int = 9) -> list[str]:
    """`count` distinct made-up terms: 2-4 common CJK characters, and one in ten a Latin code word."""
    rng = random.Random(seed)
    terms: dict[str, None] = {}
    while len(terms) < count:
        if len(terms) % 10 == 9:
            terms["zq" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(5))] = None
        else:
            terms["".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 4)))] = None
    return list(terms)


def write_packs(folder: Path, terms: list[str]) -> dict[str, list[str]]:
    (folder / "lexicons").mkdir()
    (folder / "lexicons" / "big.txt").write_text(
        "".join(f"{t}\t建议{i}\n" for i, t in enumerate(terms)), encoding="utf-8"
    )
    (folder / "lexicon.yaml").write_text(
        "rules:\n  - {id: big-lexicon, type: phrases, category: banned-phrase, message: \"「{match}」\", lexicon: big}\n",
        encoding="utf-8",
    )
    inline = folder / "inline"
    inline.mkdir()
    (inline / "inline.yaml").write_text(
        "rules:\n  - id: big-inline\n    type: phrases\n    category: banned-phrase\n    message: \"「{match}」\"\n"
        "    terms:\n" + "".join(f"      - {json.dumps(t, ensure_ascii=False)}\n" for t in terms),
        encoding="utf-8",
    )
    return {"built-in only": [], "lexicon": [str(folder / "lexicon.yaml")], "inline": [str(inline / "inline.yaml")]}


def run_child(rules: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, *rules], capture_output=True, text=True, check=True,
                          cwd=tempfile.gettempdir())
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=10_000, help="number of generated terms [10,000]")
    args = parser.parse_args()
    terms = make_terms(args.terms)
    with tempfile.TemporaryDirectory(prefix="qa-lint-bigpack-") as tmp:
        packs = write_packs(Path(tmp), terms)
        print(f"A rule pack with {args.terms:,} generated terms on top of the built-in pack (fresh process each):")
        print(f"  {'pack':<14} {'rules':>5} {'load':>7} {'ready':>7} {'total':>7} {'scan':>14}")
        for name, rules in packs.items():
            r = run_child(rules)
            total = r["load"] + r["ready"]
            print(f"  {name:<14} {r['rules']:>5} {r['load']:>6.2f}s {r['ready']:>6.2f}s {total:>6.2f}s "
                  f"{r['scan_rate']:>8,.0f} conv/s")
        print("  load = read YAML and lexicons, validate, compile; ready = automaton and word segmenter built")


if __name__ == "__main__":
    main()

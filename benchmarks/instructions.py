"""Instructions, not seconds: the scan and `jieba.lcut` counted by valgrind, for figures a noisy machine cannot move.

    python benchmarks/instructions.py                        # the dev set's first 1,500 conversations
    python benchmarks/instructions.py --generated 3000       # the benchmark generator's first 3,000 instead
    python benchmarks/instructions.py --against ../base      # also another checkout (a git worktree of an older commit)
    python benchmarks/instructions.py --startup --against ../base   # start-up only: a one-word scan and `qa-lint check`

On a shared virtual machine the same scan's CPU time moved by 25% from one run to the next (docs/performance.md,
session 13), so a change worth a few percent could not be timed. Instructions retired are the same on every run.
valgrind's callgrind tool counts them for whole processes; each figure here is the difference of two runs, so
that start-up (imports, the rule pack) is left out:

  (a) `jieba.lcut` over the text of every message, less the same process that reads the texts and loads jieba's
      dictionary without cutting them (the baseline of benchmarks/throughput.py);
  (b) `qa-lint scan FILE --format jsonl -o /dev/null --jobs 1` (the whole command: reading, rules, output), less
      the same command over a file of one conversation of one word;
  (c) with `--against DIR`, (b) for the qa_linter package of that checkout.

It prints each count, (a)/(b) ("x jieba.lcut by instructions", the measure of issue 15's ratio that does not
move with the machine), and (b) of this checkout against (c). Instructions are not time: a cache miss or a
system call costs more than its count says, and numpy's and the compiled libraries' work counts like Python's.
Two processes run at a time, each under valgrind (about fifty times slower than without it: a few minutes for
the defaults). Byte-compile both checkouts first (`python -m compileall -q qa_linter`): a checkout without
.pyc files counts its compilation in every run. Needs `valgrind` on the PATH; nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import BASELINE  # noqa: E402  (jieba.lcut over every message: the same baseline)

_COLLECTED = re.compile(r"Collected : (\d+)")


def count(command: list[str], env: dict | None = None) -> int:
    """Instructions retired by `command` and every process it starts (callgrind's total)."""
    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--trace-children=yes", f"--callgrind-out-file={folder}/cg.%p",
             *command], capture_output=True, text=True, env=env, cwd=_cwd(env))
    totals = [int(n) for n in _COLLECTED.findall(run.stderr)]
    if run.returncode not in (0, 1) or not totals:  # scan exits 1 when it has findings
        raise SystemExit(f"{' '.join(command)} failed under valgrind:\n{run.stderr[-2000:]}")
    return sum(totals)


def _cwd(env: "dict | None") -> "str | None":
    # `python -m` puts the working folder first on sys.path: a scan runs in its checkout's root, or it would
    # import the package of whatever folder the benchmark was started from.
    return env["PYTHONPATH"] if env is not None else None


def scan_command(package_root: Path, corpus: Path, config: "Path | None", cache: Path) -> tuple[list[str], dict]:
    # Each checkout its own cache folder (jieba's pairs, the patterns' analyses), filled before anything is
    # counted: two checkouts sharing one would replace each other's files and count the rebuilding.
    env = {**os.environ, "PYTHONPATH": str(package_root), "QA_LINTER_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "qa_linter.cli", "scan", str(corpus), "--format", "jsonl", "-o", os.devnull,
               "--jobs", "1"]
    if config is not None:
        command += ["--config", str(config)]
    return command, env


def one_word_file(folder: Path) -> Path:
    """The start-up baseline: one conversation of one word (an empty file stops before the pack loads)."""
    path = folder / "one.jsonl"
    path.write_text('{"id": "c", "channel": "chat", "messages": [{"role": "customer", "text": "好"}]}\n',
                    encoding="utf-8")
    return path


def subset(args, folder: Path) -> tuple[Path, "Path | None", str]:
    """The conversations to count, as a JSON Lines file, the configuration to scan them with, and what they are."""
    path = folder / "subset.jsonl"
    if args.generated:
        from generate_corpus import DEFAULT_SEED, write_corpus  # noqa: E402

        with open(path, "w", encoding="utf-8") as out:
            write_corpus(out, size=None, count=args.generated, seed=DEFAULT_SEED)
        return path, None, f"the benchmark generator's first {args.generated:,} conversations"
    devset = ROOT / "tests" / "data" / "devset"
    lines: list[str] = []
    for part in ("tune", "holdout"):
        with open(devset / part / "transcripts.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip() and len(lines) < args.conversations:
                    lines.append(line)
    path.write_text("".join(lines), encoding="utf-8")
    return path, devset / "qa-linter.yaml", f"the dev set's first {len(lines):,} conversations (varied text)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--conversations", type=int, default=1500, help="of the dev set [default: 1500]")
    parser.add_argument("--generated", type=int, default=0, metavar="N",
                        help="count N conversations of benchmarks/generate_corpus.py instead of the dev set")
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout whose scan is counted too")
    parser.add_argument("--startup", action="store_true",
                        help="count only start-up: a scan of one one-word message and a `qa-lint check` of a draft")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): nothing to count", file=sys.stderr)
        return 2
    if args.startup:
        return startup(args)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus, config, what = subset(args, folder)
        empty = one_word_file(folder)
        jobs = {
            "jieba": ([sys.executable, "-c", BASELINE, str(corpus)], None),
            "jieba setup": ([sys.executable, "-c", BASELINE, str(corpus), "--load-only"], None),
            "scan": scan_command(ROOT, corpus, config, folder / "cache"),
            "scan empty": scan_command(ROOT, empty, config, folder / "cache"),
        }
        if args.against is not None:
            jobs["other"] = scan_command(args.against.resolve(), corpus, config, folder / "other-cache")
            jobs["other empty"] = scan_command(args.against.resolve(), empty, config, folder / "other-cache")
        for name in ("scan", "other"):
            if name in jobs:
                command, env = jobs[name]
                fill_cache(command, env)
        with ThreadPoolExecutor(max_workers=2) as pool:  # one valgrind per core
            futures = {name: pool.submit(count, command, env) for name, (command, env) in jobs.items()}
            counts = {name: future.result() for name, future in futures.items()}
    jieba = counts["jieba"] - counts["jieba setup"]
    scan = counts["scan"] - counts["scan empty"]
    print(f"corpus: {what}")
    print(f"(a) jieba.lcut over every message         {jieba / 1e9:8.3f} billion instructions")
    print(f"(b) qa-lint scan --format jsonl            {scan / 1e9:8.3f} billion ({jieba / scan:.2f}x jieba.lcut"
          f" by instructions)")
    print(f"    start-up of the scan (one word)        {counts['scan empty'] / 1e9:8.3f} billion, not counted above")
    if args.against is not None:
        other = counts["other"] - counts["other empty"]
        print(f"(c) the same scan, {args.against}: {other / 1e9:.3f} billion; this checkout / that one = "
              f"{scan / other:.3f}")
        print(f"    its start-up {counts['other empty'] / 1e9:.3f} billion; this checkout / that one = "
              f"{counts['scan empty'] / counts['other empty']:.3f}")
    return 0


def fill_cache(command: list[str], env: dict) -> None:
    """Run `command` uncounted, twice: what the cache folder keeps is there before counting (a pack snapshot is
    kept the second time the same pack is built: qa_linter/pack_snapshot.py)."""
    for _ in range(2):
        subprocess.run(command, env=env, capture_output=True, cwd=_cwd(env))


DRAFT = "您好，请把光猫重启一下"  # a draft with a jargon term: the check segments it and reads the audience


def check_command(package_root: Path, cache: Path) -> tuple[list[str], dict]:
    env = {**os.environ, "PYTHONPATH": str(package_root), "QA_LINTER_CACHE_DIR": str(cache)}
    return [sys.executable, "-m", "qa_linter.cli", "check", DRAFT], env


def startup(args) -> int:
    """--startup: what every command pays before its work (and `--jobs` before any worker starts): a scan of one
    one-word message and a pre-send `qa-lint check` from the command line, each with its cache folder filled."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = one_word_file(folder)
        trees = {"this checkout": (ROOT, folder / "cache")}
        if args.against is not None:
            trees[str(args.against)] = (args.against.resolve(), folder / "other-cache")
        jobs = {}
        for name, (root, cache) in trees.items():
            jobs[(name, "scan")] = scan_command(root, one, None, cache)
            jobs[(name, "check")] = check_command(root, cache)
        for command, env in jobs.values():
            fill_cache(command, env)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {key: pool.submit(count, command, env) for key, (command, env) in jobs.items()}
            counts = {key: future.result() for key, future in futures.items()}
    for what in ("scan", "check"):
        label = "qa-lint scan of one one-word message" if what == "scan" else "qa-lint check of a draft"
        mine = counts[("this checkout", what)]
        line = f"{label:40s} {mine / 1e9:7.3f} billion instructions"
        if args.against is not None:
            other = counts[(str(args.against), what)]
            line += f"; {args.against}: {other / 1e9:.3f}; this / that = {mine / other:.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

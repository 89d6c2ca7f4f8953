"""Every regular expression of the built-in pack over long runs of one kind of character.

    python benchmarks/pattern_worst_case.py                 # runs of 6,000 characters, the 15 slowest patterns
    python benchmarks/pattern_worst_case.py --length 20000 --top 30
    python benchmarks/pattern_worst_case.py --untimed       # each run as long as the pattern searches untimed

A pattern whose search restarts inside a run and rescans it (`\\d+(?=-x)` over a pasted log of digits) costs
time quadratic in the run's length: 0.12 s over 2,000 digits, 2.2 s over 8,000, where the timeout
(matching.regex_timeout) then skips the rule for that message. A lookbehind that only lets a match start where
the run starts (`(?<!\\d)\\d+(?=-x)`) finds the same matches in linear time. This script walks the compiled
rules of the pack for every pattern they hold (terms' patterns, exceptions, conditions, ignored spans), times
each over runs of digits, Chinese characters, Latin letters, spaced letters and alternations, and prints the
slowest with microseconds per character and the ratio between a run and one twice as long (near 2: linear,
near 4: quadratic). Nothing is asserted: tests never assert wall time.

With --untimed each run is as long as the longest text the pattern searches without a timeout
(prefilter.untimed_limit, matching.guarded_finditer), searched untimed as a scan would: the slowest such searches
show what the analysis's bound (2,000,000 steps) comes to in time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import regex

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_linter.engine import Linter  # noqa: E402
from qa_linter.text.matching import regex_timeout, untimed_of  # noqa: E402
from qa_linter.text.pattern_safety import LazyPattern  # noqa: E402
from qa_linter.text.windows import WindowedPattern  # noqa: E402

RUNS = {
    "digits": "1",
    "chinese": "我",
    "latin": "a",
    "spaced letters": "a ",
    "spaced chinese": "我 ",
    "letters and digits": "a1",
    "digits and dots": "1.",
    "letters and dashes": "a-",
    "digits and dashes": "1-",
    "letters and dots": "a.",
    "digits and colons": "1:",
    "menu arrows": "a>",
}


def pack_patterns(linter: Linter) -> dict[str, regex.Pattern]:
    """source -> compiled pattern, for every pattern reachable from the pack's rules."""
    found: dict[str, regex.Pattern] = {}
    seen: set[int] = set()
    stack: list[object] = list(linter.pack.rules)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, WindowedPattern):  # searched as a scan searches it: only the stretches with its literals
            found[obj.pattern] = obj
        elif isinstance(obj, (regex.Pattern, LazyPattern)):  # most are lazy: compiled when first searched
            found.setdefault(obj.pattern, obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
            if type(obj).__module__.startswith("qa_linter"):
                stack.extend(vars(obj).values() if hasattr(obj, "__dict__") else [])
                for name in getattr(type(obj), "__slots__", ()):
                    stack.append(getattr(obj, name, None))
    return found


def seconds(pattern: regex.Pattern, text: str) -> float:
    start = time.perf_counter()
    try:
        for _ in pattern.finditer(text, timeout=30):
            pass
    except TimeoutError:
        return 30.0
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=6000, help="characters in each run (default 6000)")
    parser.add_argument("--top", type=int, default=15, help="how many of the slowest to print")
    parser.add_argument("--untimed", action="store_true",
                        help="runs as long as each pattern searches untimed, searched without a timeout")
    args = parser.parse_args()

    patterns = pack_patterns(Linter.from_config())
    if args.untimed:
        untimed(patterns, args.top)
        return
    results = []
    for source, pattern in patterns.items():
        for name, unit in RUNS.items():
            run = unit * (args.length // len(unit)) + "。"
            half = unit * (args.length // len(unit) // 2) + "。"
            whole = seconds(pattern, run)
            results.append((whole, seconds(pattern, half), name, source))
    results.sort(reverse=True)
    print(f"{len(patterns)} patterns, runs of {args.length:,} characters")
    print(f"{'µs/char':>8}  {'x2 ratio':>8}  run                 pattern")
    for whole, half, name, source in results[: args.top]:
        ratio = whole / half if half > 0 else float("inf")
        print(f"{whole / args.length * 1e6:8.2f}  {ratio:8.1f}  {name:<18}  {source[:100]}")


def untimed(patterns: dict, top: int) -> None:
    results = []
    for source, pattern in patterns.items():
        limit = untimed_of(pattern)
        if not limit:
            continue
        for name, unit in RUNS.items():
            text = (unit * limit)[:limit]
            start = time.perf_counter()
            for _ in pattern.finditer(text):
                pass
            results.append((time.perf_counter() - start, limit, name, source))
    results.sort(reverse=True)
    timed = sum(1 for pattern in patterns.values() if not untimed_of(pattern))
    print(f"{len(patterns)} patterns: {len(patterns) - timed} search short texts untimed, {timed} always timed")
    print(f"{'ms':>8}  {'chars':>6}  {'timeout':>8}  run                 pattern")
    for spent, limit, name, source in results[:top]:
        print(f"{spent * 1e3:8.2f}  {limit:6,}  {regex_timeout('x' * limit) * 1e3:6.0f}ms  {name:<18}  {source[:80]}")


if __name__ == "__main__":
    main()

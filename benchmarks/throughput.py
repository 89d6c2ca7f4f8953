"""Batch throughput of `qa-lint scan` against plain jieba, peak memory, and start-up, on one generated corpus.

    python benchmarks/throughput.py                      # 20 MB corpus, a few minutes on 2 cores
    python benchmarks/throughput.py --size 5M            # a quicker run
    python benchmarks/throughput.py --corpus big.jsonl   # an existing canonical JSON Lines file
    python benchmarks/throughput.py --devset             # the labelled multi-domain dev set (varied real-style text)
    python benchmarks/throughput.py --presend-http       # also the pre-send HTTP load test
    python benchmarks/throughput.py --repeat 3           # medians of three rounds (a shared machine is noisy)

What it prints, all on the same corpus (benchmarks/generate_corpus.py, fixed seed) and all measured in this
run, so the ratios compare runs that shared the machine's load:

  (a) `jieba.lcut` over the text of every message, in one process that first reads the messages (the
      baseline: what a linter that segments every message can never beat);
  (b) `qa-lint scan` with the full built-in pack in one process (`--jobs 1`), findings as JSON Lines;
  (c) the same with `--jobs 2`;
  (b') the same scan in one process after its start-up (the block engine over the file, findings encoded
      as JSON Lines), with the breakdown of where its time goes: start-up, read, fold, pass, plan, rules,
      output (see qa_linter/blocks);
  (d) start-up and the same block engine with every rule's check a no-op: the ceiling of any rewrite of the
      rules that keeps the groundwork as it is;
  (e) (b') and (a) paired: one process scans each block and segments the same block's messages with
      `jieba.lcut`, in turns, and adds up both times. The machine's speed drifts by a quarter or more over the
      minutes between separate runs; turns of a second share it, so this ratio is the one to compare across
      sessions;
  and, as the reference for (c) against (b), what two processes get out of the machine: the same `jieba.lcut`
      work (a quarter of the messages) in one process alone and in two at once; two idle cores give 2.00x, two
      virtual cores that share a physical one or a busy host less, and `--jobs 2` cannot do better than that;

as characters of message text per second of wall-clock time (for (b) and (c) the whole command: start-up,
reading, rules, output), the ratios to (a) (and the same by CPU time, which the machine's other work
disturbs less), whether (b) and (c) wrote identical output, and the peak resident
memory of (a), (b) and (c): the largest single process and the whole process tree at its peak, from one more
run of each sampled every 200 ms with psutil (the timed runs are not sampled: reading the memory of processes
that keep both cores busy slowed (c) by 10-15%; shared pages of forked workers count once per process in the
tree's RSS, and once in all in its proportional set size, "tree PSS", where Linux reports it). The
corpus must be one the scan accepts in full: the benchmark fails if any record is skipped. The machine's load average is printed at the start
and the end. Then the start-up of `qa-lint check "…"` against `python -c "import jieba; jieba.initialize()"`
(median of fresh processes), and the pre-send latency benchmark (benchmarks/presend_latency.py, in-process
part). Every figure is from fresh child processes, so a run does not warm the next one. The qa_linter
package is byte-compiled first, as an installed package is.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_corpus import DEFAULT_SEED, parse_size, write_corpus  # noqa: E402

BASELINE = r"""
import json, logging, sys, time
import jieba
jieba.setLogLevel(logging.WARNING)
texts = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        if line.strip():
            texts.extend(m["text"] for m in json.loads(line)["messages"])
if "--quarter" in sys.argv[2:]:  # the machine's two-process figure: the same work, shorter
    texts = texts[::4]
jieba.initialize()
started, cpu = time.perf_counter(), time.process_time()
if "--load-only" not in sys.argv[2:]:  # benchmarks/instructions.py counts the set-up alone too
    for text in texts:
        jieba.lcut(text)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
                  "characters": sum(map(len, texts))}))
"""
ENGINE = r"""
import json, os, sys, time
started = time.perf_counter()
from qa_linter import Linter
from qa_linter.batch import ScanSummary, _chunks
from qa_linter.blocks import scan_block
from qa_linter.blocks.candidates import automaton_for
from qa_linter.blocks.tables import tables
from qa_linter.model import InputProblem
from qa_linter.outputs.json_output import JsonLinesWriter
from qa_linter.readers import read_paths
linter = Linter.from_config()
tables(), automaton_for(linter.pack.toolkit.term_index)
if sys.argv[2:] == ["--no-rules"]:
    # The block engine alone: reading, folding, the pass, planning, views and dispatch, with every rule's check a
    # no-op (what no rewrite of the rules can take away).
    for rule in linter.pack.rules:
        rule.check = lambda view: ()
import gc
gc.freeze()  # as batch.scan_items does before its first block
timings = {"start-up": time.perf_counter() - started}
writer = JsonLinesWriter(open(os.devnull, "w", encoding="utf-8"))
findings = skipped = 0
started, cpu = time.perf_counter(), time.process_time()
summary = ScanSummary()
output = 0.0
for chunk in _chunks(read_paths([sys.argv[1]], defer_json_lines=True), summary):
    for entries in scan_block(linter, chunk, keep_conversations=False, timings=timings):
        for entry in entries:
            if isinstance(entry, InputProblem):
                skipped += 1
                continue
            lap = time.perf_counter()
            writer.conversation(None, entry[2])
            output += time.perf_counter() - lap
            findings += len(entry[2])
scan = time.perf_counter() - started
scan_cpu = time.process_time() - cpu
# Splitting the file into lines happens outside scan_block: it is reading too.
timings["read"] = timings.get("read", 0.0) + scan - sum(v for k, v in timings.items() if k != "start-up") - output
timings["output"] = output
print(json.dumps({"timings": timings, "scan_seconds": scan, "scan_cpu_seconds": scan_cpu, "findings": findings,
                  "skipped": skipped + summary.skipped_count}))
"""
PAIRED = r"""
import json, logging, os, sys, time
import jieba
jieba.setLogLevel(logging.WARNING)
from qa_linter import Linter
from qa_linter.batch import ScanSummary, _chunks
from qa_linter.blocks import scan_block
from qa_linter.blocks.engine import prepare
from qa_linter.model import InputProblem
from qa_linter.outputs.json_output import JsonLinesWriter
from qa_linter.readers import read_paths
linter = Linter.from_config()
prepare(linter)
jieba.initialize()
import gc
gc.freeze()
writer = JsonLinesWriter(open(os.devnull, "w", encoding="utf-8"))
summary = ScanSummary()
chunks = _chunks(read_paths([sys.argv[1]], defer_json_lines=True), summary)
spent = {"jieba": 0.0, "scan": 0.0}


def texts_of(item):
    if hasattr(item, "raw"):  # a JSON Lines record not parsed yet
        return [m["text"] for m in json.loads(item.raw)["messages"]]
    return [m.text for m in item.messages]


blocks = 0
while True:
    lap = time.perf_counter()
    chunk = next(chunks, None)  # splitting the file into lines is the scan's reading
    spent["scan"] += time.perf_counter() - lap
    if chunk is None:
        break
    texts = [text for item in chunk for text in texts_of(item)]  # the baseline's text, untimed

    def segment():
        for text in texts:
            jieba.lcut(text)

    def scan():
        for entries in scan_block(linter, chunk, keep_conversations=False):
            for entry in entries:
                if not isinstance(entry, InputProblem):
                    writer.conversation(None, entry[2])

    # Which goes first alternates, so neither always finds the block's text warm in the caches.
    for name, work in (("jieba", segment), ("scan", scan)) if blocks % 2 == 0 else (("scan", scan), ("jieba", segment)):
        lap = time.perf_counter()
        work()
        spent[name] += time.perf_counter() - lap
    blocks += 1
print(json.dumps({**spent, "blocks": blocks}))
"""
# What two processes get out of this machine's two cores: the same CPU-bound Python work (BASELINE --quarter:
# `jieba.lcut` over a quarter of the corpus's messages) in one process alone, and in two processes at once. On a
# virtual machine whose two cores share a physical core or a busy host, two processes together do less than twice
# the work of one; that, not 2.00x, is what `--jobs 2` can reach against `--jobs 1` on the day.
TWO_AT_ONCE = r"""
import json, subprocess, sys
command = [sys.executable, "-c", sys.argv[1], *sys.argv[2:]]
runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
print(json.dumps({"seconds": max(json.loads(run.communicate()[0])["seconds"] for run in runs)}))
"""
_PHASES = {
    "start-up": "imports, loading the rule pack, the block tables and automaton",
    "read": "splitting lines, orjson, checking records (blocks/records.py)",
    "fold": "folding each block for matching (blocks/fold.py)",
    "pass": "one multi-pattern pass per block, hits to messages (blocks/candidates.py)",
    "plan": "numpy masks: which rule must look at which conversation (blocks/index.py)",
    "rules": "the rules on those conversations: views, word boundaries, conditions, patterns",
    "output": "findings written as JSON Lines",
}
DRAFTS = {  # the pre-send check's typical inputs: one whose terms need word boundaries, one that needs none
    "needs word segmentation": "亲，这个我不知道，您自己看一下说明书吧",
    "no word segmentation needed": "您好，请问有什么可以帮您？",
}


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system time of the process and every process it started
    peak_process_mb: float
    peak_tree_mb: float
    peak_tree_pss_mb: float  # shared pages counted once (0 where the platform does not say)
    returncode: int
    stdout: str
    stderr: str


RULES_SHOWN = 5
_TIMED_RULE = re.compile(r"^  (\S+)\s+([\d.]+) s\s+\d+%", re.M)


def _rule_seconds(stderr: str) -> list[tuple[str, float]]:
    """The rules `scan --timings` lists after its summary, with their seconds, slowest first."""
    table = stderr.partition("Time in rule checks:")[2]
    return [(m.group(1), float(m.group(2))) for m in _TIMED_RULE.finditer(table)]


SAMPLE_SECONDS = 0.2  # memory is flat over a scan; a tighter loop costs the measured run CPU time on 2 cores


def measured(command: list[str], cwd: Path, sample: bool = True) -> Run:
    """Run `command`, sampling the resident memory of it and its children until it exits (with `sample` false,
    not: the peaks are then 0)."""
    before = _children_cpu()
    started = time.perf_counter()
    proc = psutil.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    peaks = {"process": 0, "tree": 0, "pss": 0}
    done = threading.Event()

    def sample_memory() -> None:
        while not done.is_set():
            try:
                family = [proc, *proc.children(recursive=True)]
                sizes, shares = [], []
                for p in family:
                    try:
                        sizes.append(p.memory_info().rss)
                        # A forked worker shares the parent's pages (the pack, the tables): its RSS counts them
                        # again, its proportional set size (Linux) a share of them, so the tree's PSS is what the
                        # processes use together.
                        shares.append(getattr(p.memory_full_info(), "pss", 0))
                    except psutil.Error:
                        pass
                if sizes:
                    peaks["process"] = max(peaks["process"], max(sizes))
                    peaks["tree"] = max(peaks["tree"], sum(sizes))
                    peaks["pss"] = max(peaks["pss"], sum(shares))
            except psutil.Error:
                pass
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample_memory, daemon=True) if sample else None
    if sampler:
        sampler.start()
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    if sampler:
        sampler.join()
    mb = 1024 * 1024
    return Run(elapsed, _children_cpu() - before, peaks["process"] / mb, peaks["tree"] / mb, peaks["pss"] / mb,
               proc.returncode, stdout, stderr)


def _children_cpu() -> float:
    """CPU seconds of this process's finished children and their descendants (0 where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_wall(command: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _median(rounds: list[dict], name, seconds) -> Run:
    """The run of `name` with the median time over the rounds (the middle one; the slower of two)."""
    ordered = sorted((round_[name] for round_ in rounds), key=seconds)
    return ordered[len(ordered) // 2]


def corpus_figures(path: Path) -> tuple[int, int, int]:
    conversations = messages = characters = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                conv = json.loads(line)
                conversations += 1
                messages += len(conv["messages"])
                characters += sum(len(m["text"]) for m in conv["messages"])
    return conversations, messages, characters


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return f"{cores} cores ({cpu}), Python {platform.python_version()}, load average {load}"


def row(label: str, chars_per_s: float, ratio: str, run: Run | None) -> str:
    # 79 columns: the table reads in an 80-column terminal.
    if run is None:
        return f"{label:<32} {chars_per_s:>10,.0f} {ratio:>7}"
    pss = f"{run.peak_tree_pss_mb:5.0f} MB" if run.peak_tree_pss_mb else f"{'-':>8}"
    return (f"{label:<32} {chars_per_s:>10,.0f} {ratio:>7} {run.peak_process_mb:5.0f} MB {run.peak_tree_mb:5.0f} MB "
            f"{pss}")


def _compile_package() -> None:
    """Byte-compile qa_linter where it is imported from, as `pip install` does for an installed package: run
    from a source checkout with PYTHONDONTWRITEBYTECODE set (as in some sandboxes and CI), every fresh
    process would otherwise compile every module again, about 0.1 s of each start-up no user pays."""
    import compileall

    import qa_linter

    compileall.compile_dir(str(Path(qa_linter.__file__).parent), quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=parse_size, default=parse_size("20M"), help="size of the generated corpus [default: 20M]")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--corpus", type=Path, help="use this canonical JSON Lines file instead of generating one")
    parser.add_argument("--devset", action="store_true",
                        help="use the multi-domain dev set (tests/data/devset, tuning and held-out parts: about 12,900 "
                             "conversations, 21 MB) instead of the generated corpus, whose template sentences repeat")
    parser.add_argument("--keep", type=Path, help="keep the generated corpus at this path")
    parser.add_argument("--repeat", type=int, default=1, help="run (a), (b), (c) and (b') this many times and print the medians [default: 1]")
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per start-up figure [default: 7]")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-presend", action="store_true")
    parser.add_argument("--presend-http", action="store_true", help="also run the pre-send HTTP load test")
    args = parser.parse_args()

    _compile_package()
    workdir = Path(tempfile.mkdtemp(prefix="qa-lint-bench-"))  # no project config is found from here
    try:
        if args.devset:
            args.corpus = workdir / "devset.jsonl"
            with args.corpus.open("wb") as out:
                for part in ("tune", "holdout"):
                    out.write((ROOT / "tests" / "data" / "devset" / part / "transcripts.jsonl").read_bytes())
        corpus = args.corpus.resolve() if args.corpus else (args.keep or workdir / "corpus.jsonl")
        if not args.corpus:
            with Path(corpus).open("w", encoding="utf-8") as out:
                write_corpus(out, size=args.size, seed=args.seed)
        conversations, messages, characters = corpus_figures(Path(corpus))
        size_mb = Path(corpus).stat().st_size / 1024 / 1024
        print(f"machine: {machine()}")
        name = "tests/data/devset (tune + holdout)" if args.devset else (
            corpus if args.corpus or args.keep else "generated, seed %d" % args.seed)
        print(f"corpus:  {name}: {size_mb:.1f} MB, "
              f"{conversations:,} conversations, {messages:,} messages, {characters:,} characters of text")
        print()
        # Each measurement `--repeat` times, interleaved, and the median kept: on a shared machine one
        # run of anything can be slowed by a neighbour.
        commands = {"baseline": [sys.executable, "-c", BASELINE, str(corpus)]}
        for jobs in (1, 2):
            commands[jobs] = [sys.executable, "-m", "qa_linter.cli", "scan", str(corpus), "--format", "jsonl",
                              "-o", str(workdir / f"findings-{jobs}.jsonl"), "--exit-zero", "--jobs", str(jobs)]
        # The same command on the corpus's first record alone: its start-up and nothing else to share.
        first = workdir / "first-record.jsonl"
        with open(corpus, "rb") as source:
            first.write_bytes(source.readline())
        commands["start"] = [sys.executable, "-m", "qa_linter.cli", "scan", str(first), "--format", "jsonl",
                             "-o", str(workdir / "findings-first.jsonl"), "--exit-zero", "--jobs", "1"]
        commands["engine"] = [sys.executable, "-c", ENGINE, str(corpus)]
        commands["groundwork"] = [sys.executable, "-c", ENGINE, str(corpus), "--no-rules"]
        commands["paired"] = [sys.executable, "-c", PAIRED, str(corpus)]
        commands["one core"] = [sys.executable, "-c", BASELINE, str(corpus), "--quarter"]
        commands["two cores"] = [sys.executable, "-c", TWO_AT_ONCE, BASELINE, str(corpus), "--quarter"]
        # Timed runs are not sampled: reading the processes' memory from /proc while both cores scan slowed (c)
        # by 10-15% (3.9, 3.4, 3.4 s unsampled against 4.5, 3.7, 4.4 s sampled, alternated). The peaks come from
        # one more run of (a), (b) and (c) each, sampled, after the timed rounds.
        rounds = []
        for _ in range(args.repeat):
            rounds.append({name: measured(command, workdir, sample=False) for name, command in commands.items()})
        # The sampled --jobs 1 run also reports the time of each rule's checks (`--timings`; its few clock reads per
        # rule and conversation stay out of the timed rounds).
        memory = {name: measured(commands[name] + (["--timings"] if name == 1 else []), workdir)
                  for name in ("baseline", 1, 2)}
        for runs in [*rounds, memory]:
            for name, run in runs.items():
                if run.returncode not in ((0, 1) if name in (1, 2, "start") else (0,)):
                    print(run.stderr, file=sys.stderr)
                    return 1
        baseline_run = _median(rounds, "baseline", lambda run: json.loads(run.stdout)["seconds"])
        baseline = json.loads(baseline_run.stdout)
        baseline_rate = baseline["characters"] / baseline["seconds"]
        scans = {jobs: _median(rounds, jobs, lambda run: run.seconds) for jobs in (1, 2)}
        engine = json.loads(_median(rounds, "engine", lambda run: json.loads(run.stdout)["scan_seconds"]).stdout)
        groundwork = json.loads(_median(rounds, "groundwork", lambda run: json.loads(run.stdout)["scan_seconds"]).stdout)
        pairs = sorted((json.loads(runs["paired"].stdout) for runs in rounds), key=lambda p: p["jieba"] / p["scan"])
        identical = (workdir / "findings-1.jsonl").read_bytes() == (workdir / "findings-2.jsonl").read_bytes()
        findings = sum(1 for _ in (workdir / "findings-1.jsonl").open(encoding="utf-8"))
        skipped = [name for runs in [*rounds, memory] for name in (1, 2) if "Skipped" in runs[name].stderr]
        if engine["skipped"] or skipped:
            print(f"the scan skipped input records ({engine['skipped']} in the breakdown run); the benchmark needs a corpus "
                  "the scan accepts in full (canonical JSON Lines, channels chat/email/phone)", file=sys.stderr)
            return 1

        print(f"{'throughput (text characters/s)':<32} {'chars/s':>10} {'vs (a)':>7} {'peak RSS':>8} {'tree':>8} "
              f"{'tree PSS':>8}")
        print(row("(a) jieba.lcut, one process", baseline_rate, "1.00x", memory["baseline"]))
        for jobs, label in ((1, "(b) qa-lint scan --jobs 1"), (2, "(c) qa-lint scan --jobs 2")):
            rate = characters / scans[jobs].seconds
            print(row(label, rate, f"{rate / baseline_rate:.2f}x", memory[jobs]))
        engine_rate = characters / engine["scan_seconds"]
        print(row("(b') scan alone, after start-up", engine_rate, f"{engine_rate / baseline_rate:.2f}x", None))
        floor_rate = characters / (groundwork["timings"]["start-up"] + groundwork["scan_seconds"])
        print(row("(d) (b) with no rule checks", floor_rate, f"{floor_rate / baseline_rate:.2f}x", None))
        paired = pairs[(len(pairs) - 1) // 2]  # the median round (the slower of two middle ones)
        rounds_text = ", ".join(f"{p['jieba'] / p['scan']:.2f}x" for p in pairs)
        print(f"(e) paired: the scan after start-up against jieba.lcut, block by block in one process: "
              f"{paired['jieba'] / paired['scan']:.2f}x ({paired['scan']:.2f} s against {paired['jieba']:.2f} s"
              + (f"; rounds {rounds_text}" if len(pairs) > 1 else "") + ")")
        # Each round runs --jobs 1 and --jobs 2 one after the other: the ratio within a round shares the machine's
        # speed of that minute, which the ratio of the two medians (taken from different rounds) does not.
        by_round = sorted(runs[1].seconds / runs[2].seconds for runs in rounds)
        print(f"--jobs 2 vs --jobs 1: {scans[1].seconds / scans[2].seconds:.2f}x "
              f"({scans[1].seconds:.2f} s vs {scans[2].seconds:.2f} s wall"
              + (f"; within each round {', '.join(f'{r:.2f}x' for r in by_round)}, median "
                 f"{statistics.median(by_round):.2f}x" if len(by_round) > 1 else "")
              + f"); identical output: {'yes' if identical else 'NO'}; {findings:,} findings; nothing skipped")
        # The command's start-up (the interpreter, imports, the pack, the block tables) happens once, before the
        # workers fork, and nothing shares it: the rest halved on two cores at no cost is the most --jobs 2 can
        # give on this input. It is timed as the same command on the first record alone.
        serial = min(_median(rounds, "start", lambda run: run.seconds).seconds, scans[1].seconds)
        ceiling = scans[1].seconds / (serial + (scans[1].seconds - serial) / 2)
        print(f"--jobs 2 ceiling on this input: {ceiling:.2f}x (the command's start-up, {serial:.2f} s of "
              f"{scans[1].seconds:.2f} s, comes before the workers fork; the rest halved on two idle cores, no added work)")
        cores = sorted(2 * json.loads(runs["one core"].stdout)["seconds"] / json.loads(runs["two cores"].stdout)["seconds"]
                       for runs in rounds)
        print(f"two processes at once on this machine: {statistics.median(cores):.2f}x the work of one (the same "
              f"jieba.lcut work in each; 2.00x on two idle cores; rounds {', '.join(f'{c:.2f}x' for c in cores)}): "
              f"the most --jobs 2 can reach today; --jobs 2 reached {statistics.median(by_round) / statistics.median(cores):.0%} of it")
        print(f"(a) times jieba.lcut over text already in memory ({baseline['seconds']:.2f} s); (b) and (c) time the whole "
              f"command (start-up, reading, rules, output); (b') the same work as (b) in one process after start-up; (d) "
              f"start-up and the block engine with every rule's check a no-op ({groundwork['scan_seconds']:.2f} s after "
              f"start-up): the most a rewrite of the rules alone could reach.")
        print()
        timings = engine["timings"]
        whole = sum(timings.values())
        print(f"where one process spends its time (the run behind (b'), {engine['findings']:,} findings):")
        for phase in ("start-up", "read", "fold", "pass", "plan", "rules", "output"):
            seconds = timings.get(phase, 0.0)
            print(f"  {phase:<9} {seconds:7.2f} s  {seconds / whole * 100:5.1f}%  {_PHASES[phase]}")
        print(f"  {'total':<9} {whole:7.2f} s")
        slowest = _rule_seconds(memory[1].stderr)[:RULES_SHOWN]
        if slowest:
            print(textwrap.fill("the slowest rules (`qa-lint scan --timings`, the sampled --jobs 1 run): "
                                + ", ".join(f"{rule} {seconds:.2f} s" for rule, seconds in slowest),
                                width=79, initial_indent="  ", subsequent_indent="    "))
        print()
        # On a machine shared with other work, wall time also counts the time others had the core; CPU time
        # mostly does not, so these ratios move less between runs.
        base_cpu = baseline["cpu_seconds"]
        print(f"by CPU time (user + system): (a) {base_cpu:.2f} s for jieba.lcut; (b) {scans[1].cpu_seconds:.2f} s, "
              f"{base_cpu / scans[1].cpu_seconds:.2f}x; (b') {engine['scan_cpu_seconds']:.2f} s, "
              f"{base_cpu / engine['scan_cpu_seconds']:.2f}x; (c) {scans[2].cpu_seconds:.2f} s in both processes")
        if hasattr(os, "getloadavg"):
            print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if not identical:
            return 1

        if not args.skip_startup:
            print()
            check_help = subprocess.run([sys.executable, "-m", "qa_linter.cli", "check", "--help"], capture_output=True, cwd=workdir)
            jieba = median_wall([sys.executable, "-c", "import jieba; jieba.initialize()"], args.runs, workdir)
            print(f"start-up, median of {args.runs} fresh processes")
            print(f"  python -c 'import jieba; jieba.initialize()'   {jieba * 1000:6.0f} ms")
            if check_help.returncode:
                print("  qa-lint check: not available in this version (skipped)")
            else:
                qa_lint = shutil.which("qa-lint", path=str(Path(sys.executable).parent)) or "qa-lint"
                for label, draft in DRAFTS.items():
                    check = median_wall([qa_lint, "check", draft], args.runs, workdir)
                    print(f"  qa-lint check ({label}){'':<{28 - len(label)}} {check * 1000:6.0f} ms   ratio to jieba {check / jieba:.2f}")

        presend = ROOT / "benchmarks" / "presend_latency.py"
        if not args.skip_presend and presend.exists():
            print()
            print(f"pre-send latency ({presend.relative_to(ROOT)}):")
            extra = ["--requests", "5000"] if args.presend_http else ["--skip-http"]
            result = subprocess.run([sys.executable, str(presend), "--skip-startup", "--iterations", "2000", *extra],
                                    capture_output=True, text=True, cwd=workdir)
            for line in (result.stdout + result.stderr).splitlines():
                print(f"  {line}")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

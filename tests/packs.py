"""Linters over the test rule files, each built once per test session, and small conversation builders.

Building a linter loads jieba's dictionary (about half a second), so every test module asks here instead
of loading its own; `lru_cache` makes each pack a session-wide singleton.
"""
from __future__ import annotations

import json
import random
import textwrap
from functools import lru_cache
from pathlib import Path

from qa_linter import Linter
from qa_linter.model import Finding

RULES_DIR = Path(__file__).parent / "data" / "rules"
BENCHMARKS_DIR = Path(__file__).resolve().parent.parent / "benchmarks"


@lru_cache(maxsize=None)
def benchmark(name: str):
    """The script benchmarks/<name>.py as a module (the benchmarks are scripts, not a package). It is registered
    under its name, so what it defines pickles (worker processes of the --jobs tests)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, BENCHMARKS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=None)
def pack(name: str) -> Linter:
    """The linter of tests/data/rules/<name> alone (no built-in rules)."""
    return Linter.from_config(rules=[RULES_DIR / name], builtin=False)


def linter_from_yaml(tmp_path: Path, text: str, name: str = "rules.yaml") -> Linter:
    """A linter over one rule file written from `text` (dedented) into tmp_path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Linter.from_config(rules=[path], builtin=False)


def conversation(*messages, channel: str = "chat", conv_id: str = "c-1") -> dict:
    """A canonical conversation from (role, text) or (role, text, ts) tuples."""
    out = []
    for message in messages:
        role, text, *ts = message
        out.append({"role": role, "text": text, **({"ts": ts[0]} if ts else {})})
    return {"id": conv_id, "channel": channel, "messages": out}


def agent_says(linter: Linter, text: str, rule: str | None = None) -> list[Finding]:
    """Findings for one agent message, optionally of one rule run alone (the engine keeps one finding for the
    same words in a category, so a rule's own hits are seen by running it alone)."""
    if rule is None:
        return linter.scan(conversation(("agent", text)))
    return linter.scan(conversation(("agent", text)), rules=[r for r in linter.rules if r.id == rule])


def texts(findings: list[Finding]) -> list[str | None]:
    return [f.text for f in findings]


# Three conversations for the CLI tests (scan, newcomer). c-1: t-slang (warning) in message 1 and a missing
# closing (warning); c-2: t-taboo (error) with spaces typed into the phrase and a missing greeting; c-3: clean.
CLI_CONVERSATIONS = [
    {"id": "c-1", "messages": [
        {"role": "customer", "text": "在吗"},
        {"role": "agent", "text": "亲，您好，请问有什么问题？"},
        {"role": "customer", "text": "没事了"},
        {"role": "agent", "text": "好的"},
    ]},
    {"id": "c-2", "messages": [
        {"role": "customer", "text": "订单到哪了"},
        {"role": "agent", "text": "这个我 不 知 道，谢谢"},
    ]},
    {"id": "c-3", "messages": [
        {"role": "customer", "text": "在吗"},
        {"role": "agent", "text": "您好，祝您生活愉快"},
    ]},
]


def jsonl(conversations) -> str:
    """Conversations as JSON Lines text."""
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations)


def write_pack(folder: Path, rules: str, lexicons: dict[str, str]) -> Path:
    """A rule folder: folder/rules.yaml from `rules` and folder/lexicons/<name>.txt for each lexicon (a learned
    model's weights, say)."""
    (folder / "lexicons").mkdir(parents=True)
    (folder / "rules.yaml").write_text(rules, encoding="utf-8")
    for name, text in lexicons.items():
        (folder / "lexicons" / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def random_conversations(texts: list[str], seed: int, prefix: str, longest: int,
                         roles: tuple[str, ...] = ("customer", "agent", "system"), count: int = 300) -> list:
    """`count` conversations of 1 to `longest` messages, each a random role saying one of `texts` (for comparing
    the block engine with the per-message path)."""
    from qa_linter.model import Conversation, Message

    rng = random.Random(seed)
    return [Conversation(f"{prefix}{n}", [Message(i, rng.choice(list(roles)), rng.choice(texts))
                                          for i in range(rng.randint(1, longest))]) for n in range(count)]


def write_labelled_set(folder: Path, transcripts: list, labels: list) -> Path:
    """A labelled set as `calibrate --set` reads it: folder/transcripts.jsonl and folder/labels.jsonl."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "transcripts.jsonl").write_text(jsonl(transcripts), encoding="utf-8")
    (folder / "labels.jsonl").write_text(jsonl(labels), encoding="utf-8")
    return folder


def write_team_set(folder: Path, prefix: str, teams: int, per_team: int, conversation) -> Path:
    """The labelled set a learned model's trainer reads (`calibrate --train-*`): `teams` teams (team-T) of
    `per_team` conversations each (ids PREFIX T-K), where conversation(K) gives the messages as (role, text)
    pairs and the (message index, category) the conversation is labelled with, or None."""
    transcripts, labels = [], []
    for t in range(teams):
        for k in range(per_team):
            cid = f"{prefix}{t}-{k}"
            messages, label = conversation(k)
            transcripts.append({"id": cid, "team": f"team-{t}",
                                "messages": [{"role": role, "text": text} for role, text in messages]})
            found = [] if label is None else [{"message_index": label[0], "category": label[1]}]
            labels.append({"id": cid, "findings": found})
    return write_labelled_set(folder, transcripts, labels)

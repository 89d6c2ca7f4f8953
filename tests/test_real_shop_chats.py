"""The real-shop-chat labels (tests/data/real-shop-chats) and the script that pairs them with the public corpus
(benchmarks/real_shop_chats.py): ids, roles and text as the labels expect them. The corpus itself is not kept here;
the lines below are made up in its format."""
from __future__ import annotations

import json
from pathlib import Path

from packs import benchmark
from qa_linter.vocabulary import CATEGORIES

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "real-shop-chats"


def _script():
    return benchmark("real_shop_chats")


SAMPLE = [
    "1\t在 吗\t在 的 亲\t发 什么 快递\t默认 EMS 哦 12 00 前 付款 当天 发\n",
    "0\t在 吗\t在 的 亲\t发 什么 快递\t亲 随机 的 哦\n",   # a wrong response: not a conversation
    "1\t能 便宜 点 吗\t已经 是 最低价 了 呢\n",
]


def test_positive_lines_become_conversations_with_roles_counted_back_from_the_reply(tmp_path):
    script = _script()
    convs = list(script.conversations(SAMPLE, "ecd-v"))
    assert [c["id"] for c in convs] == ["ecd-v-001", "ecd-v-002"]
    assert [m["role"] for m in convs[0]["messages"]] == ["customer", "agent", "customer", "agent"]
    assert [m["text"] for m in convs[0]["messages"]] == ["在吗", "在的亲", "发什么快递", "默认EMS哦12 00前付款当天发"]
    assert [m["role"] for m in convs[1]["messages"]] == ["customer", "agent"]


def test_the_sets_are_written_with_the_labels(tmp_path):
    script = _script()
    sample = tmp_path / "ECD_sample"
    sample.mkdir()
    for name in ("valid", "test"):
        (sample / name).write_text("".join(SAMPLE), encoding="utf-8")
    tune, holdout = script.write_sets(sample, tmp_path / "sets")
    assert (tune / "labels.jsonl").read_text(encoding="utf-8") == (LABELS / "tune-labels.jsonl").read_text(encoding="utf-8")
    first = json.loads((holdout / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["id"] == "ecd-t-001" and first["channel"] == "chat"


def test_the_labels_cover_every_conversation_of_both_parts_with_known_categories():
    for part, prefix, count in (("tune", "ecd-v", 77), ("holdout", "ecd-t", 100)):
        records = [json.loads(line) for line in (LABELS / f"{part}-labels.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in records] == [f"{prefix}-{n:03d}" for n in range(1, count + 1)]
        for r in records:
            keys = [(f["message_index"], f["category"]) for f in r["findings"]]
            assert len(keys) == len(set(keys)) and all(category in CATEGORIES for _, category in keys)
            # Labels carry no text of the corpus: only where and what.
            assert all(set(f) == {"message_index", "category"} for f in r["findings"])

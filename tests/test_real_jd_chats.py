"""The real-retail-chat labels (tests/data/real-jd-chats) and the script that pairs them with the public JDDC sample
(benchmarks/real_jd_chats.py): which sessions, which part, ids, roles and text as the labels expect them. The log
itself is not kept here; the lines below are made up in its format."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from packs import benchmark
from qa_linter.calibration import read_labels, reviewer_agreement
from qa_linter.vocabulary import CATEGORIES

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "real-jd-chats"


def _script():
    return benchmark("real_jd_chats")


SAMPLE = [
    "aaa1\tUSERID_1\t0\t0\t0\tnan\t在吗 订单[订单x]还没到\n",
    "aaa1\tUSERID_1\t1\t0\t0\tnan\t您好，亲爱哒，这边为您查询  请稍等\n",
    "bbb2\tUSERID_2\t0\t0\t1\t123\t发票怎么开\n",
    "aaa1\tUSERID_1\t0\t0\t0\tnan\t好的\n",
    "bbb2\tUSERID_2\t1\t0\t1\tnan\t订单完成后可以开具哦\n",
]


def test_sessions_keep_file_order_and_roles_come_from_the_sender_field():
    script = _script()
    found = script.sessions(SAMPLE)
    assert [s for s, _ in found] == ["aaa1", "bbb2"]
    conv = script.transcript(*found[0])
    assert conv["id"] == "jd-aaa1" and conv["channel"] == "chat"
    assert [m["role"] for m in conv["messages"]] == ["customer", "agent", "customer"]
    assert conv["messages"][1]["text"] == "您好，亲爱哒，这边为您查询  请稍等"


def test_a_line_that_is_not_a_chat_record_is_refused_with_its_number():
    with pytest.raises(ValueError, match="line 2"):
        _script().sessions([SAMPLE[0], "not\ta record\n"])


def test_the_part_of_a_session_is_fixed_by_its_id():
    script = _script()
    for part in script.PARTS:
        ids = [json.loads(line)["id"] for line in (LABELS / f"{part}-labels.jsonl").read_text(encoding="utf-8").splitlines()]
        assert all(script.part_of(i.removeprefix("jd-")) == part for i in ids)


def test_the_labels_cover_the_chosen_sessions_with_known_categories():
    counts = {}
    for part in ("tune", "holdout"):
        records = [json.loads(line) for line in (LABELS / f"{part}-labels.jsonl").read_text(encoding="utf-8").splitlines()]
        counts[part] = len(records)
        for r in records:
            keys = [(f["message_index"], f["category"]) for f in r["findings"]]
            assert len(keys) == len(set(keys)) and all(category in CATEGORIES for _, category in keys)
            assert "slow-response" not in {category for _, category in keys}  # the log has no times
            # Labels carry no text of the log: only where and what.
            assert all(set(f) == {"message_index", "category"} for f in r["findings"])
    assert counts == {"tune": 498, "holdout": 496} and sum(counts.values()) == _script().LABELLED


def test_the_sets_are_written_with_the_labels(tmp_path):
    script = _script()
    log = tmp_path / "chat.txt"
    log.write_text("".join(SAMPLE), encoding="utf-8")
    labels = tmp_path / "labels"
    labels.mkdir()
    for part in script.PARTS:
        ids = [f"jd-{s}" for s in ("aaa1", "bbb2") if script.part_of(s) == part]
        (labels / f"{part}-labels.jsonl").write_text(
            "".join(json.dumps({"id": i, "findings": []}) + "\n" for i in ids), encoding="utf-8")
    tune, holdout = script.write_sets(log, tmp_path / "sets", labels)
    assert (tune / "labels.jsonl").read_text(encoding="utf-8") == (labels / "tune-labels.jsonl").read_text(encoding="utf-8")
    written = [json.loads(line)["id"] for folder in (tune, holdout)
               for line in (folder / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(written) == ["jd-aaa1", "jd-bbb2"]


def test_another_version_of_the_log_is_refused(tmp_path):
    # The project's labels name the sessions of one version of the file; a log without them (cut,
    # reordered, another sample) would pair labels with the wrong conversations.
    script = _script()
    log = tmp_path / "chat.txt"
    log.write_text("".join(SAMPLE), encoding="utf-8")
    with pytest.raises(ValueError, match="not the version the labels were made for"):
        script.write_sets(log, tmp_path / "sets")


def test_the_blind_second_review_agrees_with_the_first_readers_as_docs_say():
    # 150 tuning sessions labelled again by three more readers who saw neither the first labels nor the rules
    # (docs/accuracy.md, "A second reader on the real retail chats"): how far two readers of the same spec agree.
    script = _script()
    first = read_labels(LABELS / "tune-labels.jsonl")
    second = read_labels(script.SECOND_REVIEW)
    assert len(second) == 150 and set(second) <= set(first)
    scores = reviewer_agreement(first, second, list(CATEGORIES))
    empathy = scores["empathy-missing"]
    assert (empathy.tp, empathy.fn, empathy.fp) == (48, 5, 4) and round(empathy.f1, 3) == 0.914
    assert sum(s.tp for s in scores.values()) == 581 and sum(s.fn for s in scores.values()) == 15
    assert sum(s.fp for s in scores.values()) == 9
    assert not any(scores[c].tp or scores[c].fp or scores[c].fn for c in ("slow-response", "pii-exposure"))

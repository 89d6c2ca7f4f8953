"""What the store keeps for the review loop: pseudonymised transcripts, stable finding ids, schema 2.

The transcripts let `replay` re-scan without the original files, yet the store must hold no raw customer PII:
each PII value is replaced by a surrogate that masks to the same text and triggers the same rules.
"""
from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.masking import Masker
from qa_linter.fingerprint import finding_fingerprint, finding_ids, fingerprint
from qa_linter.store import open_store
from qa_linter.store import transcripts as codec
from qa_linter.store.sqlite import MIGRATIONS, SCHEMA_VERSION
from qa_linter.validators import cn_resident_id, luhn

MOBILE, RESIDENT_ID, EMAIL = "13812345678", "11010519491231002X", "li.ming@example.com"
CARD = next(f"622202020011223{d}" for d in range(10) if luhn(f"622202020011223{d}"))
WIDE_MOBILE = "１３９１２３４５６７８"  # full-width digits: folded before matching, so still a mobile number
SPACED_CARD = " ".join(CARD[i:i + 4] for i in range(0, 16, 4))
RAW = [MOBILE, RESIDENT_ID, EMAIL, CARD, SPACED_CARD, WIDE_MOBILE, "li.ming", "12345678", "1949123100"]
PII_CONVERSATION = {
    "id": "pii-1", "agent": "小王", "team": "t1", "started_at": "2026-11-24T10:00:00+08:00",
    "meta": {"subject": f"客户 {MOBILE} 的工单"},
    "messages": [
        {"role": "customer", "text": f"我的手机{MOBILE}，邮箱{EMAIL}"},
        {"role": "agent", "text": f"您好，查到机主身份证{RESIDENT_ID}，手机 +86 {MOBILE[:3]}-{MOBILE[3:7]}-{MOBILE[7:]}。"},
        {"role": "agent", "text": f"退款卡号 {SPACED_CARD}，另一张 {CARD}，新号码{WIDE_MOBILE}，结果发到 {EMAIL}，客服热线 400-123-4567，support@example.com。"},
        {"role": "agent", "text": f"再确认一次：{MOBILE}。感谢您的耐心，再见。"},
    ],
}


def places(findings):
    return [(f.rule, f.message_index, f.start, f.end) for f in findings]


def test_surrogates_mask_alike_and_trigger_the_same_rules(builtin_linter, corpus_conversations):
    masker = Masker()
    convs = [conversation_from_dict(c) for c in [*corpus_conversations, PII_CONVERSATION]]
    pii_findings = 0
    for conv in convs:
        body, fallbacks = codec.encode(conv, masker)
        copy = codec.decode(conv.id, body)
        assert fallbacks == 0
        assert [(m.role, m.ts) for m in copy.messages] == [(m.role, m.ts) for m in conv.messages]
        assert (copy.channel, copy.agent, copy.team, copy.started_at) == (conv.channel, conv.agent, conv.team, conv.started_at)
        for original, stored in zip(conv.messages, copy.messages):
            assert len(stored.text) == len(original.text)
            assert masker.prepare(stored.text).same_length() == masker.prepare(original.text).same_length()
        before, after = builtin_linter.scan(conv), builtin_linter.scan(copy)
        assert places(after) == places(before)
        # The fingerprint (and so the finding id and a suppression) is the same from either copy.
        assert [finding_fingerprint(f) for f in after] == [finding_fingerprint(f) for f in before]
        pii_findings += sum(1 for f in before if f.category == "pii-exposure")
    assert pii_findings >= 12  # the corpus's PII findings and every kind in PII_CONVERSATION were exercised


def test_the_surrogates_are_other_values_of_the_same_kind():
    conv = conversation_from_dict(PII_CONVERSATION)
    copy = codec.decode(conv.id, codec.encode(conv, Masker())[0])
    text = "\n".join(m.text for m in copy.messages) + json.dumps(copy.meta, ensure_ascii=False)
    assert not any(raw in text for raw in RAW)
    agent = copy.messages[1].text
    surrogate_id = agent[agent.index("身份证") + 3:][:18]
    assert surrogate_id[:4] == "1101" and surrogate_id.endswith("002X") and cn_resident_id(surrogate_id)
    cards = copy.messages[2].text
    spaced = cards[cards.index("卡号 ") + 3:][:19]
    assert spaced[:4] == "6222" and spaced[-4:] == CARD[-4:] and spaced.count(" ") == 3 and luhn(spaced)
    assert "１３９" in cards and "５６７８" in cards  # full width kept
    # One value, one surrogate: the mobile number in message 0, 3 and the subject is the same fake number.
    fake = copy.messages[3].text[copy.messages[3].text.index("：") + 1:][:11]
    assert fake.startswith("138") and fake.endswith("5678") and fake in copy.messages[0].text and fake in copy.meta["subject"]
    # Not PII: the hotline and the role mailbox stay as written.
    assert "400-123-4567" in cards and "support@example.com" in cards


def test_the_store_file_holds_no_raw_pii(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("pii.jsonl").write_text(json.dumps(PII_CONVERSATION, ensure_ascii=False) + "\n", encoding="utf-8")
    CliRunner().invoke(main, ["scan", "pii.jsonl", "--store", "s.db", "-q"])
    with sqlite3.connect("s.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        values = [v for t in tables for row in db.execute(f'SELECT * FROM "{t}"') for v in row]
    text = " ".join(zlib.decompress(v).decode("utf-8") if isinstance(v, bytes) else str(v) for v in values)
    assert "138****5678" in text and "messages" in text  # the transcript is there, decompressed
    assert not any(raw in text for raw in RAW)


def test_finding_ids_are_stable_and_unique():
    assert finding_ids(["a", "b", "a", "a"]) == ["a", "b", "a-2", "a-3"]
    # The fingerprint ignores offsets and folds the words: full-width, Traditional and upper case match alike.
    assert fingerprint("r", "c", 1, "ＡＢＣ") == fingerprint("r", "c", 1, "abc")
    assert fingerprint("r", "c", 1, MOBILE) == fingerprint("r", "c", 1, "138****5678")  # masked words name it too
    assert len({fingerprint("r", "c", 1, "亲"), fingerprint("r", "c", 2, "亲"), fingerprint("r2", "c", 1, "亲"),
                fingerprint("r", "c2", 1, "亲"), fingerprint("r", "c", 1, "亲亲")}) == 5


def test_rescans_keep_finding_ids(tmp_path, monkeypatch, corpus_path):
    monkeypatch.chdir(tmp_path)
    args = ["scan", str(corpus_path), "--no-builtin", "--rules", str(Path(__file__).parent / "data" / "rules" / "all-types.yaml"), "-q"]
    CliRunner().invoke(main, [*args, "--store", "s.db"])
    with open_store("s.db") as store:
        first = {c.id: [f.finding_id for f in c.findings] for c in store.all_conversations()}
        assert store.transcript_bytes()[0] == 40
    CliRunner().invoke(main, [*args, "--store", "s.db"])
    with open_store("s.db") as store:
        again = {c.id: [f.finding_id for f in c.findings] for c in store.all_conversations()}
        assert store.findings_without_ids() == 0
    assert again == first and sum(map(len, first.values())) > 20
    ids = [i for v in first.values() for i in v]
    assert len(ids) == len(set(ids))


def test_a_schema_1_store_is_migrated_and_its_findings_wait_for_a_rescan(tmp_path):
    path = tmp_path / "v1.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.execute("INSERT INTO conversations VALUES ('old', 'chat', 'a', 't', '2026-11-24T10:00:00+08:00', "
               "'2026-11-24T02:00:00.000000Z', 0, 2, 1, 90, 1, '[]', '[]', 1, 'p', 's', '2026-11-28T00:00:00+00:00', NULL)")
    db.execute("INSERT INTO findings VALUES ('old', 0, 1, 'agent', 'slang-internet', 'slang', 'warning', 0, 1, '亲', '亲')")
    db.commit()
    db.close()
    with open_store(str(path)) as store:
        assert store.schema_version == SCHEMA_VERSION == 2
        [conv] = store.all_conversations()
        assert conv.findings[0].finding_id is None and store.findings_without_ids() == 1
        assert store.transcripts(["old"]) == {} and store.verdicts() == [] and store.misses() == []

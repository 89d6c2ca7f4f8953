"""The block engine (`scan`) finds exactly what the per-message path (Linter.scan, pre-send) finds.

Differential tests over the labelled sample corpus, generated corpora and adversarial text (evasion
characters, Traditional characters, marks, emoji, separators and the block's own joining character inside
messages, messages long enough to be scanned alone, broken records): every finding, offsets included, must be
the same. The parts are tested against what they replace too: the block fold against normalize(), the
block pass against TermIndex.scan, the record reader against conversation_from_dict and the JSON Lines reader.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packs import benchmark
from qa_linter import Linter
from qa_linter.analysis import ConversationView
from qa_linter.blocks import scan_block
from qa_linter.blocks.candidates import ListTable, automaton_for, presence
from qa_linter.blocks.fold import fold
from qa_linter.blocks.records import SOLO_CHARACTERS, read_block
from qa_linter.canonical import conversation_from_dict, conversation_to_dict
from qa_linter.model import Conversation, InputProblem, Message
from qa_linter.readers.jsonl import UnparsedLine
from qa_linter.text import matching
from qa_linter.text.matching import TermIndex
from qa_linter.text.normalize import normalize
from qa_linter.text.prefilter import NUMERALS

ROOT = Path(__file__).resolve().parent.parent
TEST_RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"


def _generator():
    module = benchmark("generate_corpus")
    return module


@pytest.fixture(scope="module")
def linter():
    return Linter.from_config()


@pytest.fixture(scope="module")
def pack_linter():
    """The small test pack: every rule type, conditions, scopes and token patterns the built-in pack lacks."""
    return Linter.from_config(rules=[TEST_RULES], builtin=False)


def _lines(conversations) -> list[UnparsedLine]:
    return [UnparsedLine("in.jsonl", n, json.dumps(conversation_to_dict(c), ensure_ascii=False).encode() + b"\n")
            for n, c in enumerate(conversations, 1)]


def assert_same_findings(linter, conversations, block_size=400):
    """scan_block over the conversations (as JSON Lines records and as objects) against Linter.scan, which here
    remembers nothing (matching.MEMO_CHARACTERS), so that a text judged once is judged again the other way."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching, "MEMO_CHARACTERS", -1)
        expected = [[f.to_dict() for f in linter.scan(c)] for c in conversations]
    assert not linter.rule_problems
    for items in (_lines(conversations), list(conversations)):
        got = []
        for start in range(0, len(items), block_size):
            for entries in scan_block(linter, items[start : start + block_size], keep_conversations=False):
                assert len(entries) == 1 and not isinstance(entries[0], InputProblem)
                got.append([f.to_dict() for f in entries[0][2]])
        for conv, found, wanted in zip(conversations, got, expected):
            assert found == wanted, conv.id
        assert len(got) == len(expected)
    assert not linter.rule_problems
    return sum(map(len, expected))


# -- whole scans -------------------------------------------------------------------------------------------------
def test_the_sample_corpus(linter, corpus_conversations):
    conversations = [conversation_from_dict(c) for c in corpus_conversations]
    assert assert_same_findings(linter, conversations) >= 79


@pytest.mark.parametrize("seed", [8, 21])
def test_a_generated_corpus(linter, seed):
    stream = _generator().conversations(seed=seed)
    conversations = [conversation_from_dict(next(stream)) for _ in range(600)]
    assert assert_same_findings(linter, conversations, block_size=250) > 300


def test_the_customers_replies_on_the_dev_set():
    """The dev set's conversations where a customer says they did not follow or asks a word back (jargon's
    not_followed_by and asked_by_customer open the agent messages before the reply): the block engine gives what
    the per-message path gives, and both relations do report there."""
    devset = ROOT / "tests" / "data" / "devset"
    linter = Linter.from_config(devset / "qa-linter.yaml")
    lost, asking = ("听不懂", "没听懂", "听不明白", "听不太懂", "看不懂", "没看懂", "不太懂"), ("什么", "啥")
    picked: dict[str, list] = {"lost": [], "asking": []}
    with (devset / "tune" / "transcripts.jsonl").open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            said = " ".join(m["text"] for m in record["messages"] if m["role"] == "customer")
            kind = "lost" if any(c in said for c in lost) else "asking" if any(c in said for c in asking) else None
            if kind and len(picked[kind]) < 350:
                picked[kind].append(conversation_from_dict(record))
    conversations = picked["lost"] + picked["asking"]
    assert assert_same_findings(linter, conversations, block_size=300) > 700
    replies = [f for c in conversations for f in linter.scan(c) if f.message.startswith("用户随后")]
    assert {f.message.split("「")[0] for f in replies} == {"用户随后问", "用户随后说"}  # asked, not followed


def test_the_test_pack_on_the_sample_corpus(pack_linter, corpus_conversations):
    assert_same_findings(pack_linter, [conversation_from_dict(c) for c in corpus_conversations])


# Text that exercises every rule: each rule's own flag and pass examples, bent the ways evasion and odd input
# bend them.
def _example_texts(linter) -> list[str]:
    texts = []
    for rule in linter.rules:
        for kind in ("flag", "pass"):
            for example in rule.examples.get(kind) or []:
                if isinstance(example, str):
                    texts.append(example)
                elif isinstance(example, list):
                    texts.extend(str(next(iter(m.values()))) for m in example if isinstance(m, dict) and m)
                elif isinstance(example, dict):
                    texts.extend(m.get("text", "") for m in example.get("messages", []) if isinstance(m, dict))
    return [t for t in texts if t]


INSERTS = [" ", "  ", "\u3000", "\u200b", "\ufeff", "\t", "\n", "\xa0", ".", "-", "、", "\u0301", "\ufe0f", "\x00",
           "😊", "👍🏻", "①", "…", "ＡＢ", "Σ", "𠀀", "親", "這個", "　", " \n ", "..", "- -", "/", "*",
           # the normaliser's in-word disguises and look-alike blanks, digits and separators
           "a", "1", "(", ")", "【", "】", "\u3164", "\u2800", "٣", "・", "–", "уyds", " yzm ", "mima", "password",
           # faces made of separators, which the normaliser keeps between Chinese characters
           "^_^", " -_- ", "＾＿＾", "^^", "^ _ ^"]


def _bend(text: str, rng: random.Random) -> str:
    chars = list(text)
    if rng.random() < 0.2:
        chars = [chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and rng.random() < 0.5 else c for c in chars]  # full width
    if rng.random() < 0.1:
        chars = [c + " " if rng.random() < 0.5 else c for c in chars]  # 我 不 知 道
    for _ in range(rng.randint(0, 4)):
        chars.insert(rng.randint(0, len(chars)), rng.choice(INSERTS))
    return "".join(chars)


def _adversarial(linter, count: int, seed: int) -> list[Conversation]:
    rng = random.Random(seed)
    texts = _example_texts(linter)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    conversations = []
    for n in range(count):
        messages = []
        when = start
        for i in range(rng.randint(0, 9)):
            role = rng.choice(["agent", "agent", "customer", "customer", "system"])
            text = _bend(rng.choice(texts), rng) if rng.random() < 0.9 else ""
            if rng.random() < 0.05:
                text = text * rng.randint(2, 40)
            when += timedelta(seconds=rng.choice([5, 59, 60, 61, 179, 181, 3600, 90000]))
            ts = None if rng.random() < 0.1 else (when.replace(tzinfo=None) if rng.random() < 0.05 else when)
            messages.append(Message(i, role, text, ts))
        conversations.append(Conversation(f"adv-{seed}-{n}", messages, rng.choice(["chat", "email", "phone"]),
                                          team=rng.choice([None, "cloud-l2", "payments-care", "broadband"])))
    return conversations


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adversarial_text(linter, seed):
    assert assert_same_findings(linter, _adversarial(linter, 300, seed), block_size=120) > 100


def test_adversarial_text_with_the_test_pack(pack_linter):
    assert_same_findings(pack_linter, _adversarial(pack_linter, 300, 9), block_size=100)


def test_huge_messages_are_scanned_alone_with_the_same_findings(linter):
    long = "亲，这个我不知道，您自己看一下说明书吧。请拨打 137 0000 1111。" * (SOLO_CHARACTERS // 30 + 1)
    conversations = [
        Conversation("huge", [Message(0, "customer", "太慢了！！！"), Message(1, "agent", long)]),
        Conversation("small", [Message(0, "agent", "亲，您好")]),
    ]
    assert len(long) > SOLO_CHARACTERS
    block = read_block(_lines(conversations))
    assert list(block.solo) == [0]
    assert assert_same_findings(linter, conversations) > 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.tuples(st.sampled_from(["agent", "customer", "system"]),
                                   st.lists(st.sampled_from(INSERTS + ["亲", "您好", "不知道", "我", "不", "知道", "谢谢",
                                                                       "再见", "光猫", "DNS", "（解释）", "137", "0000",
                                                                       "1111", "验证码", "发给我", "太慢了", "远程", "？？？"]),
                                            max_size=10).map("".join)),
                         max_size=6),
                min_size=1, max_size=8))
def test_random_conversations(linter, shapes):
    conversations = [Conversation(f"h{n}", [Message(i, role, text) for i, (role, text) in enumerate(messages)])
                     for n, messages in enumerate(shapes)]
    assert_same_findings(linter, conversations)


def test_a_conversation_no_rule_must_look_at_gets_no_view(linter, monkeypatch):
    """Greeted, closed, resolution asked, nothing flagged: the masks settle it without running a rule."""
    calm = Conversation("calm", [
        Message(0, "customer", "你好，我想改一下收货地址"),
        Message(1, "agent", "您好，很高兴为您服务，已经为您修改好了，请问是否已解决？"),
        Message(2, "customer", "好的，谢谢"),
        Message(3, "agent", "感谢您的咨询，再见！"),
    ])
    assert linter.scan(calm) == []
    looked_at = []
    scan_view = linter.scan_view
    monkeypatch.setattr(linter, "scan_view",
                        lambda view, rules=None, opens=None: looked_at.append(view.id) or scan_view(view, rules, opens))
    assert scan_block(linter, [calm], keep_conversations=False)[0][0][2] == []
    assert looked_at == []


def test_rule_times_count_where_each_rule_looked_and_found(linter, monkeypatch, corpus_conversations):
    """`scan --timings`'s counts: a conversation-by-conversation scan runs every rule on every conversation it
    applies to; the block engine on those its plan targets, at most as many; both find the same rules in the same
    conversations."""
    from qa_linter.engine import RuleTimes

    conversations = [conversation_from_dict(c) for c in corpus_conversations]
    monkeypatch.setattr(linter, "rule_times", RuleTimes())
    findings = [linter.scan(c) for c in conversations]
    one_by_one = linter.rule_times.taken()
    for entries in scan_block(linter, conversations, keep_conversations=False):
        pass
    planned = linter.rule_times.taken()
    assert not linter.rule_times  # taken: nothing is counted twice
    expected = Counter(rule for found in findings for rule in {f.rule for f in found})
    assert +one_by_one.found == +planned.found == expected and sum(expected.values()) >= 30
    for rule in linter.rules:
        applies = sum(rule.applies_to(ConversationView(c, linter.pack.toolkit)) for c in conversations)
        assert one_by_one.looked[rule.id] == applies, rule.id
        assert expected[rule.id] <= planned.looked[rule.id] <= applies, rule.id
    assert sum(planned.looked.values()) < sum(one_by_one.looked.values())
    assert set(planned.seconds) == set(+planned.looked)


def test_a_rule_reads_only_the_messages_its_row_mask_opens(linter, monkeypatch):
    """A phrases rule's matcher is asked only about the agent messages holding a candidate of its terms (its
    block_rows), not about every agent message of a conversation it must look at; the findings stay those of
    the per-message path."""
    rule = next(r for r in linter.pack.rules if r.id == "banned-phrase-taboo")
    conv = Conversation("one-open", [
        Message(0, "customer", "你好，我的订单还没到"),
        Message(1, "agent", "您好，我帮您查一下"),
        Message(2, "agent", "这个不归我管"),
        Message(3, "agent", "已经为您催促物流，请耐心等待"),
    ])
    expected = [f.to_dict() for f in linter.scan(conv)]
    assert any(f["rule"] == "banned-phrase-taboo" and f["message_index"] == 2 for f in expected)
    asked = []
    find = rule.match.find
    monkeypatch.setattr(rule.match, "find", lambda view: asked.append(view.index) or find(view))
    got = scan_block(linter, [conv], keep_conversations=False)[0][0][2]
    assert [f.to_dict() for f in got] == expected
    assert asked == [2]


def test_each_rules_row_mask_is_worked_out_once_a_block(linter, monkeypatch, corpus_conversations):
    """The plan asks each rule for its block_rows once and gives them to block_targets, which by default targets the
    conversations where they open a message (one definition for every rule type with such a mask), and the
    findings are those of the per-message path."""
    asked: dict[str, int] = {}

    def counted(rule, block_rows):
        def rows(index):
            mask = block_rows(index)
            if mask is not None:  # a rule type without a mask may be asked again: it answers None at once
                asked[rule.id] = asked.get(rule.id, 0) + 1
            return mask
        return rows

    for rule in linter.pack.rules:
        monkeypatch.setattr(rule, "block_rows", counted(rule, rule.block_rows))
    conversations = [conversation_from_dict(c) for c in corpus_conversations]
    got = [[f.to_dict() for f in entries[0][2]] for entries in scan_block(linter, conversations, keep_conversations=False)]
    assert got == [[f.to_dict() for f in linter.scan(c)] for c in conversations]
    assert asked and set(asked.values()) == {1}
    assert {"empathy-missing", "jargon-unexplained", "banned-phrase-taboo"} <= set(asked)


def test_the_collector_is_paused_inside_a_block_only(linter, monkeypatch):
    """No automatic collection while a block is scanned (engine._collector_paused); as it was before, after it,
    also when the block fails; a collector someone else turned off stays off."""
    import gc

    from qa_linter.blocks import engine

    seen = []
    real = engine.read_block
    monkeypatch.setattr(engine, "read_block", lambda items: seen.append(gc.isenabled()) or real(items))
    conv = Conversation("c", [Message(0, "customer", "在吗"), Message(1, "agent", "您好，这个不归我管")])
    expected = linter.scan(conv)
    assert gc.isenabled()
    assert scan_block(linter, [conv], keep_conversations=False)[0][0][2] == expected
    assert seen == [False] and gc.isenabled()
    monkeypatch.setattr(engine, "_findings", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        scan_block(linter, [conv])
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(ZeroDivisionError):
            scan_block(linter, [conv])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_scan_freezes_what_each_block_leaves_and_still_collects_cycles(linter, monkeypatch):
    """Inside engine.leftovers_frozen (a scan that owns its process) what a block leaves alive is frozen at its end,
    not walked by the next collections; a full collection every COLLECT_EVERY blocks still frees any cycle a rule
    made; outside one, a block freezes nothing. The same when the collector is off already (another thread's block
    may have turned it off: the next test)."""
    import gc
    import weakref

    from qa_linter.blocks import engine

    class Cycle:
        pass

    made = []
    real = engine.read_block

    def reading(items):
        cycle = Cycle()
        cycle.itself = cycle
        made.append(weakref.ref(cycle))
        return real(items)

    monkeypatch.setattr(engine, "read_block", reading)
    monkeypatch.setattr(engine, "COLLECT_EVERY", 3)
    monkeypatch.setattr(engine._Leftovers, "blocks", 0)
    conv = Conversation("c", [Message(0, "customer", "在吗"), Message(1, "agent", "您好，这个不归我管")])
    expected = linter.scan(conv)
    # (Whether an object is frozen shows in whether a collection frees its cycle: the number of frozen objects also
    # falls whenever a frozen one is freed, as a full cache that starts again frees its entries.)
    scan_block(linter, [conv])
    gc.collect()
    assert made[0]() is None  # not frozen: collected
    with engine.leftovers_frozen():
        assert scan_block(linter, [conv], keep_conversations=False)[0][0][2] == expected
        scan_block(linter, [conv])
        gc.collect()
        assert made[1]() is not None and made[2]() is not None  # frozen: no collection sees them
        scan_block(linter, [conv])  # the third block: a full collection at its end
        assert [ref() for ref in made[1:]] == [None, None, None]
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_what_a_block_leaves_is_frozen_when_the_collector_is_off_already(linter, monkeypatch):
    import gc

    gc.disable()
    try:
        test_a_scan_freezes_what_each_block_leaves_and_still_collects_cycles(linter, monkeypatch)
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- the parts ---------------------------------------------------------------------------------------------------
ALPHABET = (
    list("我不知道亲您好这归管") + list("親這個問題歸說們沈藉瞭") + list("ＡＢａｂ１２ABab12") + list("ΣσςİıſK")
    + [" ", "\u3000", "\u200b", "\u200d", "\ufeff", "\t", "\n", "\r", "\x1c", "\xa0", "\u2028", "\u0301", "\x00"]
    + list(".-_*/\\|~^+='\"`·•、，。！？") + ["ﬁ", "①", "é", "😊", "\ufe0f", "𠀀", "\ud800", "٣", "…"]
    + list("ac1(【】〔") + list("一三九幺兩貳〇") + ["\u3164", "\u2800", "・", "–", "у", "ο", "yzm", "mima "]
)


def _offsets(n):
    return [n.to_original(i, i + 1) for i in range(len(n.text))], n.to_original(len(n.text), len(n.text))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(ALPHABET), max_size=14).map("".join), min_size=1, max_size=12))
def test_the_block_fold_equals_normalize(texts):
    import regex

    folded = fold(texts)
    assert folded.text == "\x00".join(normalize(t).text for t in texts)
    for i, text in enumerate(texts):
        got, expected = folded.norm(i), normalize(text)
        assert (got.text, _offsets(got)) == (expected.text, _offsets(expected))
        digits = int(folded.digits[i])
        assert digits == -1 or digits == len(regex.findall(r"\d", expected.text))
        numbers = int(folded.numbers[i])
        assert numbers == -1 or numbers == digits + sum(ch in NUMERALS for ch in expected.text)


def test_every_bmp_character_folds_as_normalize_folds_it():
    """Each character of the Basic Multilingual Plane alone, between two Chinese characters, after one and
    before a run of spaces: the tables must send it where normalize() would (a normaliser change that the
    tables do not know of fails here first)."""
    texts = []
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        texts.extend((ch, f"我{ch}们", f"好{ch}", f"{ch}  a"))
    for start in range(0, len(texts), 20_000):
        part = texts[start : start + 20_000]
        folded = fold(part)
        for i, text in enumerate(part):
            got, expected = folded.norm(i), normalize(text)
            assert (got.text, _offsets(got)) == (expected.text, _offsets(expected)), repr(text)


def test_the_block_pass_finds_what_the_message_scan_finds(linter):
    stream = _generator().conversations(seed=4)
    texts = [m["text"] for _ in range(300) for m in next(stream)["messages"]]
    rng = random.Random(5)
    texts += [_bend(t, rng) for t in _example_texts(linter)]
    index = linter.pack.toolkit.term_index
    folded = fold(texts)
    rows, hits = presence(automaton_for(index), folded)
    for i, text in enumerate(texts):
        expected = index.scan(normalize(text).text)
        got = {l for l in range(len(index.lists())) if int(rows[i, l >> 6]) >> (l & 63) & 1}
        assert got == set(expected), text
        # Each list's candidates as the message scan gives them: offsets, terms, order.
        mine = hits.of_message(i)
        assert {l: hits.candidates(mine, l) for l in got} == expected, text
    # The per-list tables (made for lists asked about often in a block) give the same, message by message: a
    # table has rows exactly where its list has candidates (read from its bounds: asking each of the 1,144
    # lists about each of the 5,725 messages took 22 s), and there the same candidates.
    for l in range(len(index.lists())):
        table = ListTable(hits, l)
        filled = np.flatnonzero(np.diff(table._bounds)).tolist()
        expected = [i for i in range(len(texts)) if int(rows[i, l >> 6]) >> (l & 63) & 1]
        assert filled == expected, l
        for i in filled:
            assert table.at(i) == hits.candidates(hits.of_message(i), l), (l, texts[i])


def test_a_pattern_matchers_open_messages_are_those_where_one_of_its_patterns_may_run(linter):
    from qa_linter.blocks.index import BlockIndex
    from qa_linter.text.matching import PatternMatcher

    stream = _generator().conversations(seed=6)
    block = read_block(_lines([conversation_from_dict(next(stream)) for _ in range(300)]))
    folded = fold(block.texts)
    index = BlockIndex(block, folded, presence(automaton_for(linter.pack.toolkit.term_index), folded)[0])
    matchers = {id(p): p for rule in linter.rules for m in rule.matchers()
                for p in (m.patterns, getattr(m.exceptions, "patterns", None)) if isinstance(p, PatternMatcher)}
    assert len(matchers) > 10
    for matcher in matchers.values():
        expected = index.none()
        for gate, digits, numbers in zip(matcher._gates, matcher._digits, matcher._numbers):
            runs = index.every() if gate is None else index.has_all((gate,) if isinstance(gate, int) else gate)
            expected |= runs & index.digits_at_least(digits) & index.numbers_at_least(numbers)
        assert (matcher.block_open(index) == expected).all() and (matcher.block_open(index) == expected).all()


_CAPITALS_ALPHABET = (
    list("ABCDSKU") + list("ＡＢＫＵ") + list("abcdsk") + list("ａｂｓ") + list("0129") + list("０１")
    + list(" -_.@/:（）、，。") + ["\u200b", "\u3000", "\x00", "А", "С", "ο", "我", "们", "APP", "VIP", "MIMA", "mima ", "SKU"]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(_CAPITALS_ALPHABET), max_size=12).map("".join), min_size=1, max_size=10))
def test_every_message_with_an_abbreviation_has_a_run_of_capitals_that_may_be_one(linter, texts):
    """jargon opens a message for its abbreviations (SKU, DPI) where `capital_words` says so: every message in which
    the per-message path finds one must be among them (order numbers such as GD2024 need not be)."""
    from types import SimpleNamespace

    from qa_linter.blocks.index import BlockIndex

    acronyms = next(rule.acronyms for rule in linter.rules if getattr(rule, "acronyms", None) is not None)
    block = read_block([Conversation("c", [Message(i, "agent", t) for i, t in enumerate(texts)])])
    folded = fold(block.texts)
    index = BlockIndex(block, folded, presence(automaton_for(linter.pack.toolkit.term_index), folded)[0])
    opened = index.capital_words(acronyms.min, acronyms.max, acronyms.everyday)
    for i, text in enumerate(texts):
        if acronyms.abbreviations(SimpleNamespace(norm=normalize(text))):
            assert opened[i], text


def test_a_graded_abbreviation_is_opened_and_an_everyday_word_with_a_grade_is_none(linter):
    # PHQ-9 is an abbreviation with a grade; APP-A is the everyday APP with one, as the block engine's runs see it.
    from types import SimpleNamespace

    from qa_linter.blocks.index import BlockIndex

    acronyms = next(rule.acronyms for rule in linter.rules if getattr(rule, "acronyms", None) is not None)
    texts = ["请填一份PHQ-9问卷", "请下载APP-A版"]
    block = read_block([Conversation("c", [Message(i, "agent", t) for i, t in enumerate(texts)])])
    folded = fold(block.texts)
    index = BlockIndex(block, folded, presence(automaton_for(linter.pack.toolkit.term_index), folded)[0])
    assert index.capital_words(acronyms.min, acronyms.max, acronyms.everyday).tolist() == [True, False]
    assert [w for _, _, w in acronyms.abbreviations(SimpleNamespace(norm=normalize(texts[0])))] == ["phq-9"]
    assert acronyms.abbreviations(SimpleNamespace(norm=normalize(texts[1]))) == []


def test_runs_of_capitals_that_cannot_be_abbreviations_open_nothing(linter):
    from qa_linter.blocks.index import BlockIndex

    acronyms = next(rule.acronyms for rule in linter.rules if getattr(rule, "acronyms", None) is not None)
    texts = ["订单GD2024", "请下载APP", "eSIM卡", "SKU12", "ABCDEFGHIJKL", "请检查ＳＫＵ", "看SKU", "SKU a", "(DPI)"]
    block = read_block([Conversation("c", [Message(i, "agent", t) for i, t in enumerate(texts)])])
    folded = fold(block.texts)
    index = BlockIndex(block, folded, presence(automaton_for(linter.pack.toolkit.term_index), folded)[0])
    opened = index.capital_words(acronyms.min, acronyms.max, acronyms.everyday).tolist()
    assert opened == [False, False, False, False, False, True, True, True, True]


def test_a_list_table_gives_every_term_a_key_stands_for_in_scan_order():
    # Two terms of one list that fold to the same key (DNS, ｄｎｓ) are two candidates of every hit, in list order;
    # one-character keys and keys of several characters are merged by end offset as TermIndex.scan reports them.
    index = TermIndex()
    lists = [["dns", "服务", "dns", "务", "服"], ["服务器", "务", "器"], ["x"]]
    for keys in lists:
        index.register(keys)
    texts = ["dns服务器dns", "", "服务服务", "没有", "务dns"]
    folded = fold(texts)
    _, hits = presence(automaton_for(index), folded)
    for l in range(len(lists)):
        table = ListTable(hits, l)
        for i, text in enumerate(texts):
            assert table.at(i) == index.scan(text).get(l, []), (l, text)


BROKEN_LINES = [
    b'{"id": "a", "messages": [{"role": "agent", "text": "\xe4\xbd\xa0\xe5\xa5\xbd"}]}\n',
    b'{"id": 7, "channel": "email", "agent": 5, "team": "", "meta": null, "messages": []}\n',
    b'{"id": "b", "messages": [{"role": "bot", "text": "x"}]}\n',
    b'{"id": "c", "messages": [{"role": "agent", "text": 5}]}\n',
    b'{"id": "d", "messages": [{"role": "agent", "text": "x", "ts": "yesterday"}]}\n',
    b'{"id": "e", "messages": [{"role": "agent", "text": "x", "ts": "2026-11-20T10:00:00Z"}], "started_at": ""}\n',
    b'{"id": " ", "messages": []}\n',
    b'{"messages": []}\n',
    b'{"id": "f", "channel": "fax", "messages": []}\n',
    b'{"id": "g", "messages": {}}\n',
    b'{"id": "h", "messages": [], "meta": [1]}\n',
    b'{"id": "i", "messages": [], "meta": {"product": "cloud"}}\n',
    b'[{"id": "j1", "messages": []}, {"id": "j2", "messages": [5]}]\n',
    b'{"id": "k", "messages": [{"role": "agent", "text": "\\ud800\xe4\xba\xb2"}]}\n',
    b'{"id": "l", "messages": [{"role": "agent", "text": "x", "ts": NaN}]}\n',
    b'{"id": "m", "messages": [{"role": "agent", "text": "x"}], "extra": 123456789012345678901234567890}\n',
    b'\xef\xbb\xbf{"id": "n", "messages": []}\n',
    b'{"id": "o", "messages": [{"role": "agent", "text": "\xff"}]}\n',
    b'{"id": "p", "messages": [{"role": "agent", "text": "x", "ts": 5}]}\n',
    b'{"id": "q", "messages": [{"role": "agent", "text": "\\u4eb2", "ts": "2026-11-20T10:00:00.123456+08:00"}]}\n',
    b'{"id": "r", "messages": [{"role": "agent", "text": "x"}]\n',
    b'"just a string"\n',
    b'{"id": "s", "id": "t", "messages": []}\n',
]


def test_the_record_reader_gives_what_the_line_reader_gives(linter):
    items = [UnparsedLine("in.jsonl", n, raw) for n, raw in enumerate(BROKEN_LINES, 1)]
    block = read_block(items)
    for item, entries in zip(items, block.entries):
        expected = item.parse()
        assert len(entries) == len(expected), item.raw
        for entry, wanted in zip(entries, expected):
            if isinstance(wanted, InputProblem):
                assert entry == wanted
            else:
                assert block.conversation(entry) == wanted
    results = scan_block(linter, items, keep_conversations=True)
    for item, entries in zip(items, results):
        expected = item.parse()
        assert [e if isinstance(e, InputProblem) else (e[0], e[1], e[2]) for e in entries] == [
            w if isinstance(w, InputProblem) else (w, len(w.messages), linter.scan(w)) for w in expected]


def test_records_of_the_generated_corpus_read_as_conversation_from_dict(linter):
    stream = _generator().conversations(seed=6)
    records = [next(stream) for _ in range(200)]
    block = read_block(_lines([conversation_from_dict(r, f"in.jsonl:{n}") for n, r in enumerate(records, 1)]))
    assert [block.conversation(c) for c in range(len(block))] == [
        conversation_from_dict(json.loads(json.dumps(conversation_to_dict(conversation_from_dict(r)))),
                               f"in.jsonl:{n}") for n, r in enumerate(records, 1)]


def test_a_block_that_cannot_be_planned_is_scanned_message_by_message_and_says_so(linter, monkeypatch,
                                                                                  corpus_conversations):
    """A failure while planning a block (here a rule's row mask) loses nothing: the block is scanned by the
    per-message path, with its findings, and a warning names what failed, so a slow scan has a visible cause."""
    from qa_linter.blocks.engine import BlockPlanWarning

    conversations = [conversation_from_dict(d) for d in corpus_conversations[:6]]
    expected = [[f.to_dict() for f in linter.scan(c)] for c in conversations]
    rule = next(r for r in linter.pack.rules if r.id == "banned-phrase-taboo")

    def broken(index):
        raise ValueError("a mask of the wrong shape")

    monkeypatch.setattr(rule, "block_rows", broken)
    with pytest.warns(BlockPlanWarning, match=r"ValueError in .*broken while planning rule banned-phrase-taboo\); "
                                              r"it was scanned message by message"):
        got = [entry for entries in scan_block(linter, _lines(conversations), keep_conversations=False)
               for entry in entries]
    assert [[f.to_dict() for f in entry[2]] for entry in got] == expected


def test_the_tools_own_runtime_warnings_are_one_line_for_the_user(capsys):
    from qa_linter.blocks.engine import BlockPlanWarning
    from qa_linter.cli import _show_warning

    _show_warning(BlockPlanWarning("a block was scanned message by message"), BlockPlanWarning, "engine.py", 1)
    assert capsys.readouterr().err == "qa-lint: warning: a block was scanned message by message\n"

"""Clause-aware conditions (`when:` / `unless:`) and the clause splitter they stand on."""
from __future__ import annotations

import pytest

from packs import conversation, linter_from_yaml
from qa_linter.errors import RuleLoadError
from qa_linter.text.clauses import looks_like_question, split


def _texts(text, **kw):
    return [text[c.start : c.end] for c in split(text, **kw)]


def _flags(tmp_path, pack: str, text: str) -> bool:
    """Whether the pack finds anything in one agent message."""
    return bool(linter_from_yaml(tmp_path, pack).scan(conversation(("agent", text))))


def test_clauses_end_at_punctuation_and_line_breaks():
    assert _texts("您好,请稍等。我查一下!\n好的") == ["您好,", "请稍等。", "我查一下!", "好的"]


def test_clause_sentences_are_counted():
    clauses = split("您好,请稍等。我查一下")
    assert [c.sentence for c in clauses] == [0, 0, 1]


def test_clauses_split_before_a_conjunction_without_punctuation():
    assert _texts("重启一下试试如果还是不行再联系我们") == ["重启一下试试", "如果还是不行再联系我们"]
    assert _texts("密码如果忘了") == ["密码如果忘了"]  # a short topic stays with its clause


def test_clauses_split_after_the_particle_that_closes_a_condition():
    # Run-on chat: what follows a condition is a clause of its own (the agent giving up, not the condition).
    assert _texts("不送的话这边也没办法了亲") == ["不送的话", "这边也没办法了亲"]
    assert _texts("物流的话我也不知道") == ["物流的话", "我也不知道"]
    assert _texts("不行的话，再联系我们") == ["不行的话，", "再联系我们"]  # punctuation already ends it
    assert _texts("方便的话") == ["方便的话"]  # nothing after it
    # Only where 的话 is a word of its own: a boundary function that says no keeps one clause.
    assert _texts("您说的话我记下了", is_boundary=lambda pos: pos not in (2, 4)) == ["您说的话我记下了"]


def test_conjunction_split_needs_a_word_boundary():
    text = "这是水果如果您喜欢"
    # 果如 is not a boundary question here; 如果 must start a word: a boundary function that says no keeps one clause.
    assert _texts(text, is_boundary=lambda pos: pos != 4) == [text]


def test_removed_whitespace_is_a_clause_gap():
    assert _texts("那个我查一下就是说您稍等", gaps=[5]) == ["那个我查一", "下就是说您稍等"]


@pytest.mark.parametrize(
    "clause, expected",
    [("现在可以了吗", True), ("能不能再试一次", True), ("请问是否已经恢复", True), ("好的呢", False), ("我查一下", False)],
)
def test_question_form(clause, expected):
    assert looks_like_question(clause) is expected


TABOO = """
rules:
  - id: taboo
    type: phrases
    category: banned-phrase
    message: "忌语「{match}」"
    terms: [不知道, 没办法, 不清楚]
    unless:
      - clause: {mood: conditional}
      - clause: {mood: question, person: second}
      - clause: {person: third}
"""


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("这个我不知道，您问别人吧", True),
        ("没办法，就这样吧", True),
        ("如果重启后还是没办法开机，请联系我们", False),
        ("系统不知道您已经搬家，所以寄到了旧地址", False),
        ("请问您不清楚的是哪一步呢？", False),
        ("这个我不清楚？", True),  # a question, but about the agent: still a refusal
        ("通过后台没办法直接改，您自己改吧", True),  # 后台 is the means here, not who cannot
    ],
)
def test_unless_cancels_hits_in_conditionals_questions_and_third_party_clauses(tmp_path, text, flagged):
    assert _flags(tmp_path, TABOO, text) is flagged


CREDENTIAL = """
rules:
  - id: credential
    type: phrases
    category: credential-request
    message: "索要「{match}」"
    terms: [密码, 验证码, CVV]
    when:
      - clause: {mood: request}
    unless:
      - clause: {any: [negators]}
"""


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("您把网银密码告诉我一下", True),
        ("麻烦报一下卡片背面的CVV码", True),
        ("验证码请不要告诉任何人", False),
        ("密码已经重置成功了", False),  # not a request
        ("请勿向任何人透露密码", False),
    ],
)
def test_when_requires_a_request_and_unless_a_negator_cancels(tmp_path, text, flagged):
    assert _flags(tmp_path, CREDENTIAL, text) is flagged


NEAR = """
rules:
  - id: near
    type: phrases
    category: slang
    message: "m"
    terms: [远程]
    when:
      - near: {any: [first-person], within: 2, side: before}
"""


def test_near_counts_words_not_characters(tmp_path):
    linter = linter_from_yaml(tmp_path, NEAR)
    assert linter.scan(conversation(("agent", "我先远程看一下")))
    assert not linter.scan(conversation(("agent", "我们的工程师明天会远程看一下")))


def test_near_stays_in_the_sentence_of_the_hit(tmp_path):
    linter = linter_from_yaml(tmp_path, NEAR)
    assert linter.scan(conversation(("agent", "我，远程看一下")))           # a comma ends a clause, not a sentence
    assert not linter.scan(conversation(("agent", "我。远程看一下")))       # 我 belongs to the sentence before


def test_conditions_in_a_sequence_trigger(tmp_path):
    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - id: seq
            type: sequence
            category: empathy-missing
            message: "m"
            trigger: {role: customer, terms: [又坏了], unless: [{clause: {mood: conditional}}]}
            expect: {role: agent, where: next, require: {terms: [抱歉]}}
        """,
    )
    assert linter.scan(conversation(("customer", "又坏了"), ("agent", "好的")))
    assert not linter.scan(conversation(("customer", "万一又坏了怎么办"), ("agent", "好的")))


@pytest.mark.parametrize(
    "conditions, reason",
    [
        ("unless: [{clause: {any: [negaters]}}]", "did you mean 'negators'"),
        ("unless: [{paragraph: {any: [negators]}}]", "one of clause, sentence, message, near"),
        ("unless: [{clause: {mood: angry}}]", "mood must be one or a list of"),
        ("unless: [{clause: {within: 3, any: [negators]}}]", "within is for near"),
        ("unless: [{near: {within: 0, any: [negators]}}]", "within must be a whole number"),
        ("unless: [{clause: {side: left, any: [negators]}}]", "side must be one of"),
        ("unless: [{clause: {}}]", "needs a mapping"),
        ("unless: [{clause: {colour: red}}]", "unknown condition field 'colour'"),
        ("when: 3", "when must be a list of conditions"),
    ],
)
def test_bad_conditions_are_load_errors_with_a_line(tmp_path, conditions, reason):
    text = f"""
rules:
  - id: bad
    type: phrases
    category: slang
    message: "m"
    terms: [亲]
    {conditions}
"""
    with pytest.raises(RuleLoadError) as err:
        linter_from_yaml(tmp_path, text)
    problems = [str(e) for e in err.value.errors]
    assert any(reason in p and "rules.yaml:" in p for p in problems), problems


def test_cancelled_hits_are_traced_with_the_deciding_condition(tmp_path):
    linter = linter_from_yaml(tmp_path, TABOO)
    linter.pack.toolkit.trace = []
    assert not linter.scan(conversation(("agent", "如果还是没办法开机，请联系我们")))
    (owner, index, text, reason), = linter.pack.toolkit.trace
    assert (owner, index, text) == ("taboo", 0, "没办法")
    assert reason.startswith("unless: clause: mood: conditional")


def test_letter_spaced_words_are_not_clause_gaps():
    from qa_linter.text.clauses import removed_whitespace
    from qa_linter.text.normalize import normalize

    spaced = normalize("我 不 知 道您看了多少")
    assert removed_whitespace(spaced.original, spaced.starts, spaced.ends) == []
    phone = normalize("好的 那我这边断开了 您再试试")
    gaps = removed_whitespace(phone.original, phone.starts, phone.ends)
    assert [phone.text[g:g + 2] for g in gaps] == ["那我", "您再"]


def test_word_spaced_speech_to_text_marks_words_not_clauses():
    from qa_linter.text.clauses import removed_whitespace
    from qa_linter.text.normalize import normalize

    # A space between every word: only a filler said on its own (嗯) stands for a pause.
    words = normalize("嗯 按斤 卖 的 不知道 您 这边 一次 要 几 斤")
    gaps = removed_whitespace(words.original, words.starts, words.ends)
    assert [words.text[g:g + 2] for g in gaps] == ["按斤"]
    # A few spaces between longer runs are the speaker's pauses, as before.
    phone = normalize("嗯 我查一下 您这个单子已经发货了 明天上午能到")
    gaps = removed_whitespace(phone.original, phone.starts, phone.ends)
    assert [phone.text[g:g + 2] for g in gaps] == ["我查", "您这", "明天"]
    # A question's particle ends its clause (…十点 可以吗 拿回 报告 后…), whatever the spacing of the words.
    asked = normalize("我们 上门 取 明天 上午 十点 可以吗 拿回 报告 后 您 核对一下 编号 对不对")
    gaps = removed_whitespace(asked.original, asked.starts, asked.ends)
    assert [asked.text[g:g + 2] for g in gaps] == ["拿回"]


def test_a_check_asked_after_a_spoken_question_is_not_the_agents_own(builtin_linter):
    # The clause before 核对一下 starts at 拿回, not at 我们 (which made the check the agent's own).
    spoken = "送检 大概 七到十个 工作日 我们 上门 取 明天 十点 可以吗 拿回 报告 后 您 核对一下 每支的 编号 和 证书 对不对得上"
    findings = builtin_linter.scan(conversation(("customer", "送检 要 多久"), ("agent", spoken)))
    assert not [f for f in findings if f.category == "no-resolution-check"]


def test_word_spaced_speech_is_judged_as_the_same_words_unspaced(builtin_linter):
    spoken = "按斤 卖 的 不知道 您 这边 一次 要 几 斤 要得 多 的话 可以 便宜 点"
    for text in (spoken, spoken.replace(" ", "")):
        findings = builtin_linter.scan(conversation(("customer", "辣白菜怎么卖"), ("agent", text)))
        assert not [f for f in findings if f.category == "banned-phrase"], text


VERIFY = """
rules:
  - id: verify
    type: phrases
    category: no-resolution-check
    message: "请用户查看「{match}」"
    terms: [看看]
    when:
      - sentence: {mood: question, side: after}
"""


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("您打开邮箱看看收到没有", True),
        ("您打开邮箱看看收到没有，里面有个取件码，快递来了给他看就行", True),  # a question ends a middle clause
        ("您打开邮箱看看，里面有个取件码，快递来了给他看就行", False),
        ("您打开邮箱看看收到没有。里面有个取件码", True),
        ("收到没有您打开邮箱看看。里面有个取件码", False),  # the question is before the hit: not on its side
    ],
)
def test_a_question_may_end_any_clause_of_the_region(tmp_path, text, flagged):
    assert _flags(tmp_path, VERIFY, text) is flagged


HAND_OVER = """
rules:
  - id: credential
    type: phrases
    category: credential-request
    message: "索要「{match}」"
    terms: [验证码]
    when:
      - sentence: {any: [hand-over-requests], negated: false}
"""


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("验证码收到了吗 收到的话告诉我", True),
        ("验证码会发到您手机上 您不要告诉我", False),  # the only request is negated in its own clause
        ("验证码会发到您手机上 不用担心 您告诉我就行", True),  # the negator is in another clause
        ("不要告诉别人 验证码直接告诉我", True),
    ],
)
def test_negated_false_ignores_class_terms_negated_in_their_clause(tmp_path, text, flagged):
    assert _flags(tmp_path, HAND_OVER, text) is flagged


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("您把验证码跟我说一下", True),
        ("先跟您说一下 您把验证码报一下", True),  # a request of its own beside the announcing
        # 说一下 inside 跟您说一下 (lexicons/hand-over-requests-except.txt) is the agent telling: no request
        ("先跟您说一下 新手机登录需要验证码 在App里填就行", False),
    ],
)
def test_a_class_term_inside_one_of_its_except_terms_does_not_count(tmp_path, text, flagged):
    assert _flags(tmp_path, HAND_OVER, text) is flagged


@pytest.mark.parametrize(
    "body, message",
    [("{any: [hand-over-requests], negated: maybe}", "negated must be false"),
     ("{mood: request, negated: false}", "negated: false is about the any / all class terms")],
)
def test_negated_is_checked(tmp_path, body, message):
    with pytest.raises(RuleLoadError) as err:
        linter_from_yaml(tmp_path, HAND_OVER.replace("{any: [hand-over-requests], negated: false}", body))
    assert message in str(err.value)


FIRST_PERSON = """
rules:
  - id: look
    type: phrases
    category: no-resolution-check
    message: "「{match}」"
    terms: [看看]
    unless:
      - clause: {person: first}
"""


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("看看照片是不是都能播放 呃 有问题打我们电话", True),  # a filler alone between spaces is a pause
        ("看看照片是不是都能播放 有问题打我们电话", True),
        ("我 看 看 照片", False),  # letter-spaced: one clause, about 我
    ],
)
def test_a_filler_between_spaces_keeps_the_clause_breaks_around_it(tmp_path, text, flagged):
    assert _flags(tmp_path, FIRST_PERSON, text) is flagged


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("在「我的设计」里看看是否能找到", True),  # 我 of a label on the screen acts in nothing
        ("在“我的订单”里看看", True),
        ("我在后台看看", False),
    ],
)
def test_a_person_word_inside_quotation_marks_is_no_subject(tmp_path, text, flagged):
    assert _flags(tmp_path, FIRST_PERSON, text) is flagged


def test_a_clause_mood_is_read_on_the_side_given(tmp_path):
    linter = linter_from_yaml(tmp_path, """
        rules:
          - id: check
            type: phrases
            category: no-resolution-check
            message: m
            terms: [对一下]
            unless:
              - clause: {mood: conditional, side: before}
        """)
    assert linter.scan(conversation(("agent", "请您对一下型号不对的话再联系我们")))     # the condition comes after
    assert not linter.scan(conversation(("agent", "如果收到了请您对一下型号")))

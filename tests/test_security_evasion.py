"""Evasion: a taboo phrase, a slang word or a credential request disguised by typing tricks is still found.

What is folded, and where (docs/security.md, "What the normaliser folds"):
- everywhere: invisible format characters (zero-width space/joiners, word joiner, BOM, bidi marks, soft hyphen)
  and variation selectors; NFKC compatibility forms (full-width Latin and digits); case; Traditional characters;
- only between two Chinese characters: runs of FOLDED_SEPARATORS (spaces, tab, ideographic and no-break space,
  . · • * _ ~ - | / \\ ' " ` ^ + = 、), and combining marks or spacing accents put on a Chinese character or a
  separator;
- never: sentence punctuation (，。！？；：…——), and separators between Latin letters or digits (v1.2, a-b).

The second half proves the folding does not create findings in ordinary text that uses those characters.
"""
from __future__ import annotations

import unicodedata

import pytest

from qa_linter.text.normalize import FOLDED_SEPARATORS, normalize

TARGETS = {
    # category: (rule id, the plain phrase inside a sentence, the phrase itself)
    "banned-phrase": ("banned-phrase-taboo", "这个问题{}，您找别人吧。", "不归我管"),
    "slang": ("slang-internet", "好的{}，马上帮您处理。", "老铁"),
    "credential-request": ("credential-request", "麻烦您把{}发给我，我帮您登录。", "验证码"),
}


def spaced(word: str, separator: str) -> str:
    return separator.join(word)


DISGUISES = {
    "plain": lambda w: w,
    "spaces": lambda w: spaced(w, " "),
    "ideographic space": lambda w: spaced(w, "\u3000"),
    "no-break space": lambda w: spaced(w, "\u00a0"),
    "tab and newline": lambda w: spaced(w, "\t\n"),
    "zero-width space": lambda w: spaced(w, "\u200b"),
    "zero-width joiners": lambda w: spaced(w, "\u200c\u200d"),
    "word joiner and BOM": lambda w: spaced(w, "\u2060\ufeff"),
    "soft hyphen": lambda w: spaced(w, "\u00ad"),
    "bidi marks": lambda w: spaced(w, "\u200e\u202e\u2066"),
    "variation selector": lambda w: spaced(w, "\ufe0f"),
    "dots": lambda w: spaced(w, "."),
    "middle dots": lambda w: spaced(w, "·"),
    "dashes and underscores": lambda w: spaced(w, "-_"),
    "stars": lambda w: spaced(w, "*"),
    "slashes and bars": lambda w: spaced(w, "/|\\"),
    "quotes and backticks": lambda w: spaced(w, "'\"`"),
    "enumeration comma": lambda w: spaced(w, "、"),
    "separator with spaces": lambda w: spaced(w, " . "),
    "combining acute": lambda w: spaced(w, "\u0301"),
    "combining marks after a space": lambda w: spaced(w, " \u0301\u0308"),
    "spacing accent": lambda w: spaced(w, "´"),
    "enclosing circle": lambda w: spaced(w, "\u20dd"),
    "hangul filler": lambda w: spaced(w, "\u3164"),
    "halfwidth hangul filler": lambda w: spaced(w, "\uffa0"),
    "braille blank": lambda w: spaced(w, "\u2800"),
    "katakana middle dot": lambda w: spaced(w, "・"),
    "halfwidth katakana middle dot": lambda w: spaced(w, "･"),
    "hyphenation point and bullet operator": lambda w: spaced(w, "‧∙"),
    "hyphen look-alikes": lambda w: spaced(w, "‐–−"),
    "traditional characters": lambda w: {"不归我管": "不歸我管", "老铁": "老鐵", "验证码": "驗證碼"}[w],
    "traditional and spaced": lambda w: spaced({"不归我管": "不歸我管", "老铁": "老鐵", "验证码": "驗證碼"}[w], " "),
}


def scan_one(linter, text: str, role: str = "agent"):
    return linter.scan({"id": "evasion", "messages": [{"role": role, "text": text}]})


@pytest.mark.parametrize("category", sorted(TARGETS))
@pytest.mark.parametrize("disguise", sorted(DISGUISES))
def test_a_disguised_phrase_is_still_found_and_points_at_what_was_typed(builtin_linter, category, disguise):
    rule, sentence, phrase = TARGETS[category]
    typed = DISGUISES[disguise](phrase)
    text = sentence.format(typed)
    findings = [f for f in scan_one(builtin_linter, text) if f.rule == rule]
    assert findings, f"{disguise}: {text!r} not flagged by {rule}"
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text
    # The finding covers the whole disguised phrase as typed, hidden characters included.
    assert any(f.start <= text.index(typed) and text.index(typed) + len(typed) <= f.end for f in findings)


# Inside a word of three characters or more: a filler between every two characters (two gaps or more).
IN_WORD_DISGUISES = {
    "latin letters": lambda w: "".join(ch + "xyzab"[i] for i, ch in enumerate(w[:-1])) + w[-1],
    "capital letters": lambda w: spaced(w, "Q"),
    "digits": lambda w: "".join(ch + str(i + 1) for i, ch in enumerate(w[:-1])) + w[-1],
    "full-width digits": lambda w: spaced(w, "８"),
    "brackets": lambda w: w[0] + "(" + w[1] + ")" + w[2:],
    "lenticular brackets": lambda w: w[0] + "【" + w[1] + "】" + w[2:],
    "corner brackets": lambda w: w[0] + "「" + w[1] + "」" + w[2:],
    "brackets twice": lambda w: w[0] + "(" + w[1] + ")" + w[2] + "(" + w[3:4] + ")" + w[4:] if len(w) > 3 else w[0] + "(" + w[1] + ")" + w[2:],
    "letters with dots": lambda w: spaced(w, ".k."),
}


@pytest.mark.parametrize("category", ["banned-phrase", "credential-request"])
@pytest.mark.parametrize("disguise", sorted(IN_WORD_DISGUISES))
def test_a_filler_between_every_two_characters_is_still_found(builtin_linter, category, disguise):
    rule, sentence, phrase = TARGETS[category]
    typed = IN_WORD_DISGUISES[disguise](phrase)
    text = sentence.format(typed)
    findings = [f for f in scan_one(builtin_linter, text) if f.rule == rule]
    assert findings, f"{disguise}: {text!r} not flagged by {rule}"
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text
    covered = typed.rstrip(")")  # a bracket closed after the last character is not part of the words
    assert any(f.start <= text.index(covered) and text.index(covered) + len(covered) <= f.end for f in findings)


LATIN_SLANG = ["yyds", "YYDS", "YyDs", "ｙｙｄｓ", "ＹｙＤｓ", "ｙyＤs",
               "уyds", "yуdѕ", "ΥYDS", "YYDЅ"]  # Cyrillic у, ѕ, Ѕ and Greek Υ in a Latin word


@pytest.mark.parametrize("typed", LATIN_SLANG)
def test_latin_slang_in_any_case_or_width_is_found(builtin_linter, typed):
    text = f"这个功能真的{typed}！"
    findings = [f for f in scan_one(builtin_linter, text) if f.rule == "slang-internet"]
    assert [f.text for f in findings] == [typed]


@pytest.mark.parametrize("typed", ["CVV", "cvv", "Cvv", "ＣＶＶ", "ｃｖｖ", "СVV", "CVΝ", "ϲvv"])
def test_a_credential_named_in_latin_letters_of_any_case_or_width_is_found(builtin_linter, typed):
    text = f"请提供一下卡背面的{typed}码"
    assert any(f.rule == "credential-request" for f in scan_one(builtin_linter, text))


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("请把yzm发给我，我帮您登录。", "yzm"),
        ("麻烦把 YZM 告诉我一下", "YZM"),
        ("请把收到的yan zheng ma发给我", "yan zheng ma"),
        ("麻烦把verification code发给我", "verification code"),
        ("请把SMS-Code回复给我们", "SMS-Code"),
        ("您的mima是多少？", "mima"),
        ("请提供一下您的password", "password"),
        ("请把 yzм 发给我", "yzм"),  # and a Cyrillic м in it
    ],
)
def test_romanised_and_english_credential_names_are_found(builtin_linter, text, typed):
    findings = [f for f in scan_one(builtin_linter, text) if f.rule == "credential-request"]
    assert findings, text
    assert any(f.start <= text.index(typed) and text.index(typed) + len(typed) <= f.end for f in findings)
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text


# -- what is deliberately NOT folded ----------------------------------------------------------------------------
@pytest.mark.parametrize("mark", ["，", "。", "！", "？", "；", "：", "…", "——"])
def test_sentence_punctuation_between_characters_is_kept(mark):
    """Folding 。！？ would glue separate sentences into phrases; such a split is a documented limit."""
    assert normalize(f"不{mark}归{mark}我{mark}管").text == unicodedata.normalize("NFKC", mark.join("不归我管"))


@pytest.mark.parametrize("text", ["y.y.d.s", "y y d s", "y-y-d-s"])
def test_separators_between_latin_letters_are_kept(text):
    """v1.2, a-b and URLs must keep their dots and dashes, so spelled-out Latin slang is not folded (a limit)."""
    assert normalize(text).text == text


# -- ordinary text is not flagged by the folding -----------------------------------------------------------------
ORDINARY = [
    "请升级到 v1.2 版本后重试。",
    "版本号v1.2.3，请升级到2.0版本。",
    "请访问 https://help.example.com/a-b/c_d?x=1&y=2 查看说明。",
    "A-B 测试的结果：方案B更好。",
    "我们做了A/B测试。",
    "日期 2024-01-02 至 2024/01/05。",
    "服务时间 9:00-18:00，周末 10:00~16:00。",
    "请准备：身份证、银行卡、户口本。",
    "吃饭、睡觉、打豆豆。",
    "第1、2、3项已处理。",
    "上海-北京-广州的线路都已恢复。",
    "中国/美国/日本站点都可以访问。",
    "北京·朝阳门店今天营业。",
    "文件名 report_2024-01.xlsx 已收到。",
    "使用 Ctrl+C 复制，a=b+c 是示例。",
    "亲子、家庭套餐都有优惠。",
    "知道了，谢谢您的耐心。",
    "管理员-我-已处理完毕。",
    "验证码请勿告诉任何人，包括客服。",
    "请在App里输入验证码即可。",
    "这个功能的英文叫 Live-Stream。",
    "café 和 naïve 都是外来词。",  # combining marks on Latin letters stay
    # letters, digits and brackets that are meaning, not a disguise
    "会议定在1月2日3点，地点在3楼5号。",
    "10月17日到10月20日之间都可以。",
    "4G和5G网络都支持，A类B类C类套餐都能办。",
    "第1次第2次都失败了，请看《用户手册》第3章。",
    "请在App里输入password即可，不要告诉任何人。",
    "验证码请勿告诉任何人，yzm 只在App里填写。",
    "Привет! Это русский текст, не маскировка.",
    "Ελληνικά: αβγ, και ΑΒΓ.",
    "pwd 命令显示当前目录。",
]
FOLDING_CATEGORIES = {"banned-phrase", "slang", "credential-request"}


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_with_separators_is_not_flagged(builtin_linter, text):
    findings = [f for f in scan_one(builtin_linter, text) if f.category in FOLDING_CATEGORIES]
    assert findings == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("请升级到 v1.2 版本", "v1.2"),
        ("https://help.example.com/a-b/c_d?x=1", "https://help.example.com/a-b/c_d?x=1"),
        ("A-B 测试", "a-b"),
        ("2024-01-02", "2024-01-02"),
        ("9:00-18:00", "9:00-18:00"),
        ("café", "café"),
        ("report_2024-01.xlsx", "report_2024-01.xlsx"),
    ],
)
def test_separators_outside_chinese_text_survive_normalisation(text, kept):
    assert kept in normalize(text).text


def test_the_enumeration_comma_is_folded_only_between_chinese_characters():
    assert normalize("身份证、银行卡").text == "身份证银行卡"
    assert normalize("1、2、3").text == "1、2、3"
    assert normalize("a、b").text == "a、b"


def test_every_folded_separator_is_documented():
    """docs/security.md lists the same separators the code folds (by code point)."""
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "security.md").read_text(encoding="utf-8")
    for ch in FOLDED_SEPARATORS:
        assert f"U+{ord(ch):04X}" in doc, f"{unicodedata.name(ch, repr(ch))} is folded but not documented"


@pytest.mark.parametrize("text", ["[微笑]在「后台」设置", "您说的「不知道」是指", "请看《用户手册》和《说明》"])
def test_brackets_around_words_are_kept(text):
    """A bracket is a gap only in a pair around one character (不(归)我管): an emoticon code such as [微笑] right
    before a quoted word must stay whole (benchmarks/evasion_folding.py once found the emoticon rule lose one)."""
    assert normalize(text).text == text


@pytest.mark.parametrize("text", ["好的[赞]谢谢您", "您好[强]请您看一下", "太好了[强][强]收到"])
def test_one_character_emoticon_codes_between_words_are_kept(text):
    """[强] and [赞] are a pair of brackets around one character too, but in square brackets and with one of the
    platforms' one-character codes inside they are an emoticon typed between words, not a disguise (d186 found
    好了[强] 请您… losing its emoticon: the space before 请 goes, and [强] between two characters was unfolded)."""
    assert normalize(text).text == text


def test_a_square_bracket_around_another_character_is_still_a_disguise():
    assert normalize("验[证]码[吧]").text == "验证码吧"
    assert normalize("不[归]我[管]").text == "不归我管"


def test_one_character_emoticon_codes_are_the_listed_ones():
    """ONE_CHARACTER_CODES is exactly the one-character bracket codes of lexicons/platform-codes.txt."""
    import re
    from pathlib import Path

    from qa_linter.text.normalize import ONE_CHARACTER_CODES

    lexicon = (Path(__file__).parent.parent / "lexicons" / "platform-codes.txt").read_text(encoding="utf-8")
    listed = {m.group(1) for m in re.finditer(r"^\[(.)\]\t", lexicon, re.M)}
    assert listed == set(ONE_CHARACTER_CODES)


@pytest.mark.parametrize("text", ["第1次", "A类", "老a铁", "3楼", "验1证"])
def test_one_letter_or_digit_between_two_characters_is_meaning_and_stays(text):
    """Only a filler between *every* two characters of a run (twice or more) is a disguise; so a two-character
    word with one letter inside (老a铁) is not found: a documented limit."""
    assert normalize(text).text == text.lower()


@pytest.mark.parametrize("text", [
    "大约需要2到3小时才能恢复",  # a range
    "新地址是幸福里5幢3单元",  # a building and a unit
    "请量一下A线B线之间的电压",  # labels of parts of one kind
    "A区C区照常浇水",
    "到账时间是T加1",  # a pair joined by a connector
    "系统把D和0认错了",
    "第2、第5道吸液不准",  # ordinals
    "配3匹和2匹两台机组",
    "号码是九一h三k七五",  # a code read out in numerals
    "绝缘电阻只有0.8MΩ",  # a Greek capital that imitates no Latin capital (its small ω looks like w)
])
def test_numbers_and_labels_between_characters_are_meaning_and_stay(text):
    """Runs of single letters and digits between characters that ordinary text is full of (about 1 message in
    5,000 of the dev and generated corpora had one) are not folded away: the text is what it is without the
    in-word folding."""
    from qa_linter.text import normalize as module

    folded = normalize(text).text
    module.DISGUISE_FOLDING = False
    try:
        assert folded == normalize(text).text
    finally:
        module.DISGUISE_FOLDING = True


def test_a_capital_counts_as_a_look_alike_only_where_it_imitates_a_latin_capital():
    """The capitals of the small look-alikes are listed by what they imitate as typed (TYPED_CONFUSABLES); the
    two left out imitate no Latin letter (Γ; Ω, the ohm sign of 50kΩ), so a word holding them is not rewritten."""
    from qa_linter.text.normalize import CONFUSABLES, TYPED_CONFUSABLES

    unlisted = {low.upper() for low in CONFUSABLES if low.upper() != low and low.upper() not in TYPED_CONFUSABLES}
    assert unlisted == {"Γ", "Ω"}
    assert normalize("ԜeChat").text == "wechat"
    assert normalize("50kΩ").text == "50kω"


@pytest.mark.parametrize(("text", "word"), [
    ("你x到y底z会不会", "你到底会不会"),  # 到 joins a range of numbers only
    ("不是1跟2你3说了吗", "不是跟你说了吗"),  # 跟 is no connector: it is inside taboo phrases
    ("这点1小2事3也要问", "这点小事也要问"),  # 小 is no unit for the same reason
    ("我q知a道a了", "我知道了"),  # lower-case letters are no labels
    ("不Q归Q我Q管", "不归我管"),  # nor is one capital repeated
])
def test_a_disguise_around_a_connector_or_unit_of_a_taboo_phrase_is_still_undone(text, word):
    assert word in normalize(text).text


def test_the_extra_folding_adds_no_finding_to_the_sample_corpus(builtin_linter, corpus_conversations):
    """The in-word folding (letters between characters, look-alikes, romanised names) must cost no false hit on
    the labelled sample: the findings with it are exactly those without it. (The generated corpus is measured
    by benchmarks/evasion_folding.py.)"""
    from qa_linter.text import normalize as module

    def findings(enabled):
        module.DISGUISE_FOLDING = enabled
        try:
            return [f.to_dict() for conv in corpus_conversations for f in builtin_linter.scan(conv)]
        finally:
            module.DISGUISE_FOLDING = True

    assert findings(True) == findings(False)

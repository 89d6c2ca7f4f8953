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


LATIN_SLANG = ["yyds", "YYDS", "YyDs", "ｙｙｄｓ", "ＹｙＤｓ", "ｙyＤs"]


@pytest.mark.parametrize("typed", LATIN_SLANG)
def test_latin_slang_in_any_case_or_width_is_found(builtin_linter, typed):
    text = f"这个功能真的{typed}！"
    findings = [f for f in scan_one(builtin_linter, text) if f.rule == "slang-internet"]
    assert [f.text for f in findings] == [typed]


@pytest.mark.parametrize("typed", ["CVV", "cvv", "Cvv", "ＣＶＶ", "ｃｖｖ"])
def test_a_credential_named_in_latin_letters_of_any_case_or_width_is_found(builtin_linter, typed):
    text = f"请提供一下卡背面的{typed}码"
    assert any(f.rule == "credential-request" for f in scan_one(builtin_linter, text))


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

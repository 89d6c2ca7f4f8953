"""What each rule type says about itself: its fields, a renamed field, personal data, the pre-send check."""
from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest
import regex

from packs import agent_says, linter_from_yaml
from qa_linter.checks import RULE_TYPES, Draft, Rule
from qa_linter.errors import RuleLoadError
from qa_linter.loader import load_rule_pack
from qa_linter.model import Conversation, Message
from qa_linter.vocabulary import PII_PATTERNS


def load(tmp_path: Path, text: str):
    path = tmp_path / "pack.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pack = load_rule_pack([path], builtin=False)
    return pack, [str(w.message) for w in caught]


def errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "pack.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(RuleLoadError) as info:
        load_rule_pack([path], builtin=False)
    return [e.describe().replace(f"{tmp_path}/", "") for e in info.value.errors]


TOKENS = "[[{LOWER: 你}, {LOWER: 自己}, {LOWER: 查}]]"


def test_token_patterns_is_the_field_of_a_pattern_rule(tmp_path):
    pack, caught = load(tmp_path, f"""
        rules:
          - {{id: r, type: pattern, category: banned-phrase, message: x, token_patterns: {TOKENS}}}
        """)
    assert pack.warnings == [] and caught == []
    assert [f.text for f in agent_says_pack(pack, "你自己查吧")] == ["你自己查"]


def test_the_old_name_still_loads_with_a_deprecation_warning_naming_file_and_line(tmp_path):
    pack, caught = load(tmp_path, f"""
        rules:
          - id: r
            type: pattern
            category: banned-phrase
            message: x
            patterns: {TOKENS}
        """)
    assert [w.describe().replace(f"{tmp_path}/", "") for w in pack.warnings] == [
        "pack.yaml:7: [r] 'patterns' is now called 'token_patterns' in pattern rules; rename it (the old name will "
        "stop working in a later version)"
    ]
    assert caught == [pack.warnings[0].describe()]  # a DeprecationWarning for Python callers
    assert [f.text for f in agent_says_pack(pack, "你自己查吧")] == ["你自己查"]


def test_both_names_at_once_is_an_error(tmp_path):
    assert errors(tmp_path, f"""
        rules:
          - {{id: r, type: pattern, category: banned-phrase, message: x, patterns: {TOKENS}, token_patterns: {TOKENS}}}
        """) == ["pack.yaml:3: [r] give token_patterns only: patterns is its old name"]


def test_rules_validate_prints_the_warning_and_passes(tmp_path):
    from click.testing import CliRunner

    from qa_linter.cli import main

    path = tmp_path / "pack.yaml"
    path.write_text(f"rules:\n  - {{id: r, type: pattern, category: x, message: x, patterns: {TOKENS}}}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "validate", str(path)])
    assert result.exit_code == 0 and result.stdout.strip() == "ok: 1 rule in 1 file"
    assert result.stderr.startswith(f"warning: {path}:2: [r] 'patterns' is now called 'token_patterns'")


def agent_says_pack(pack, text):
    from qa_linter import Linter

    return agent_says(Linter(pack), text)


# -- conditions: every matcher takes when/unless, the regex type too ----------------------------------------------
def test_a_regex_rule_honours_when_and_unless(tmp_path):
    linter = linter_from_yaml(tmp_path, """
        rules:
          - id: r
            type: regex
            category: banned-phrase
            message: x
            pattern: '自己去?找'
            unless:
              - clause: {any: [negators], side: before}
          - id: w
            type: regex
            category: banned-phrase
            message: x
            pattern: '自己去?查'
            when:
              - clause: {person: second}
        """)
    assert [f.rule for f in agent_says(linter, "您自己去找快递吧")] == ["r"]
    assert agent_says(linter, "不用您自己去找快递，我来安排") == []
    assert [f.rule for f in agent_says(linter, "您自己查一下")] == ["w"]
    assert agent_says(linter, "我自己查一下") == []


# -- personal data: a regex rule with `pii:` uses the masker's patterns --------------------------------------------
def test_a_pii_rule_finds_what_the_masker_hides(tmp_path):
    from qa_linter.masking import Masker

    linter = linter_from_yaml(tmp_path, """
        rules:
          - {id: m, type: regex, category: pii-exposure, message: x, pii: mobile}
          - {id: e, type: regex, category: pii-exposure, message: x, pii: email}
        """)
    text = "电话 139-1234-5678，邮件 li.ming@example.com，抄送 support@example.com"
    found = [(f.rule, f.text) for f in agent_says(linter, text)]
    assert found == [("m", "139-1234-5678"), ("e", "li.ming@example.com")]
    assert [text[s.start:s.end] for s in Masker().spans(text)] == ["139-1234-5678", "li.ming@example.com"]


def test_the_allowlist_reaches_pii_rules_of_any_category(tmp_path):
    from qa_linter import Linter
    from qa_linter.config import Config

    path = tmp_path / "pack.yaml"
    path.write_text("rules:\n  - {id: m, type: regex, category: leak, message: x, pii: mobile}\n"
                    "  - {id: n, type: regex, category: leak, message: x, pattern: '1\\d{10}'}\n", encoding="utf-8")
    linter = Linter.from_config(Config(None, {"allowlist": ["139-1234-5678"]}), rules=[path], builtin=False)
    # `m` finds personal data and takes the allowlist; `n` is an ordinary pattern of another category and does not.
    assert [f.rule for f in agent_says(linter, "热线 13912345678")] == ["n"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ("pii: phone", "unknown pii kind 'phone'; known: " + ", ".join(PII_PATTERNS)),
        ("pii: mobile, pattern: '1\\d{10}'", "give pii or pattern, not both"),
        ("pii: mobile, validator: luhn", "give pii or validator, not both"),
    ],
)
def test_pii_mistakes(tmp_path, fields, error):
    assert errors(tmp_path, f"rules:\n  - {{id: r, type: regex, category: x, message: x, {fields}}}\n") == [
        f"pack.yaml:2: [r] {error}"
    ]


# -- the pre-send check asks the rule -------------------------------------------------------------------------------
def test_every_rule_type_says_how_it_judges_a_draft():
    assert {name: cls.MESSAGE_LOCAL for name, cls in RULE_TYPES.items()} == {
        "phrases": True, "regex": True, "pattern": True, "emoji": True,
        "required": False, "sequence": False, "jargon": False, "timing": False,
    }


def test_a_new_rule_type_judges_drafts_in_context_unless_it_says_otherwise(tmp_path, monkeypatch):
    class Counting(Rule):
        TYPE = "counting"
        FIELDS = {"limit": "a number"}

        def compile(self, spec, ctx):
            self.limit = int(spec.get("limit", 1))

        def check(self, conv):
            return []

    monkeypatch.setitem(RULE_TYPES, "counting", Counting)
    pack, _ = load(tmp_path, """
        rules:
          - {id: a, type: counting, category: x, message: x}
          - {id: b, type: counting, category: x, message: x, scope: last}
        """)
    assert [r.on_draft for r in pack.rules] == [Draft.IN_CONTEXT, Draft.LATER]
    assert RULE_TYPES["counting"].fields()["limit"].doc == "a number"


# -- \b next to Chinese text can never mean a word boundary ------------------------------------------------------
HINT = ("\\b next to Chinese text never marks a word between Chinese characters (Chinese has no spaces between "
        "words); for whole words list the words as terms (boundary: word, the default), or remove the \\b")


@pytest.mark.parametrize(
    ("fields", "pattern"),
    [
        ("patterns: ['\\b您好\\b']", "\\b您好\\b"),
        ("patterns: ['(您好|你好)\\b']", "(您好|你好)\\b"),
        ("patterns: ['\\b(?:您|你)好']", "\\b(?:您|你)好"),
        ("patterns: ['\\b\\p{Han}+']", "\\b\\p{Han}+"),
        ("patterns: ['好+\\b']", "好+\\b"),
        ("terms: [好], exception_patterns: ['\\b[您你]好']", "\\b[您你]好"),
    ],
)
def test_a_word_boundary_next_to_chinese_is_refused_with_a_hint(tmp_path, fields, pattern):
    assert errors(tmp_path, f"rules:\n  - {{id: r, type: phrases, category: x, message: x, {fields}}}\n") == [
        f"pack.yaml:2: [r] bad regular expression {pattern!r}: {HINT}"
    ]


def test_the_same_check_covers_allow_and_span_patterns(tmp_path):
    found = errors(tmp_path, """
        rules:
          - {id: a, type: regex, category: x, message: x, pattern: '\\d+', allow: ['\\b客服']}
          - {id: j, type: jargon, category: x, message: x, terms: [DNS], ignore_inside: ['网址\\b']}
        """)
    assert found == [f"pack.yaml:3: [a] bad allow pattern '\\\\b客服': {HINT}",
                     f"pack.yaml:4: [j] bad ignore_inside pattern '网址\\\\b': {HINT}"]


@pytest.mark.parametrize("pattern", ["^(hi|hello)\\b", "\\bvpn\\b", "\\\\b您好", "您好\\s*\\d+\\b"])
def test_a_word_boundary_next_to_latin_text_or_digits_is_fine(tmp_path, pattern):
    pack, _ = load(tmp_path, f"rules:\n  - {{id: r, type: phrases, category: x, message: x, patterns: ['{pattern}']}}\n")
    assert [r.id for r in pack.rules] == ["r"]


# -- read_pauses: the writer's spaces between clauses, seen by the patterns again -----------------------------------
PAUSED_ADDRESS = """
    rules:
      - id: addr
        type: phrases
        category: slang
        message: "称呼：{match}"
        terms: [宝宝]
        read_pauses: %s
        # Not an address unless a pause or punctuation stands after it.
        exception_patterns: ['宝宝(?![,，。\\s]|$)']
    """


@pytest.mark.parametrize("text, flagged", [
    ("宝宝 师傅明天上午就到", True),        # a typed space between clauses: the pause is seen
    ("宝宝，师傅明天上午就到", True),        # punctuation, with or without read_pauses
    ("宝宝师傅明天上午就到", False),         # no pause typed
    ("宝宝 床 可以拆洗", False),            # one character on its own is letter spacing, no pause
])
def test_read_pauses_lets_exception_patterns_see_the_space_between_clauses(tmp_path, text, flagged):
    linter = linter_from_yaml(tmp_path, PAUSED_ADDRESS % "true")
    found = agent_says(linter, text)
    assert [(f.rule, f.text) for f in found] == ([("addr", "宝宝")] if flagged else [])


def test_without_read_pauses_the_folded_text_is_read(tmp_path):
    linter = linter_from_yaml(tmp_path, PAUSED_ADDRESS % "false")
    assert agent_says(linter, "宝宝 师傅明天上午就到") == []   # folding dropped the space: the exception holds
    assert [f.text for f in agent_says(linter, "宝宝，师傅明天上午就到")] == ["宝宝"]


def test_a_pattern_read_with_pauses_reports_the_messages_own_positions(tmp_path):
    linter = linter_from_yaml(tmp_path, """
        rules:
          - {id: p, type: phrases, category: x, message: "{match}", read_pauses: true, patterns: ['(?<=\\s)别急']}
        """)
    text = "好的 别急 我查一下"
    [finding] = agent_says(linter, text)
    assert finding.text == "别急" and text[finding.start:finding.end] == "别急"


def test_read_pauses_must_be_true_or_false(tmp_path):
    assert errors(tmp_path, """
        rules:
          - {id: r, type: phrases, category: x, message: x, terms: [亲], read_pauses: yes please}
        """) == ["pack.yaml:3: [r] read_pauses must be true or false, not 'yes please'"]


# -- jargon: abbreviations in capitals that no term list holds ---------------------------------------------------
ACRONYM_PACK = """
    rules:
      - id: j
        type: jargon
        category: jargon-unexplained
        message: x
        terms: [DNS]
        audiences: {consumer: {knows: []}, developer: {knows: all}, merchant: {knows: []}}
        product_keywords: {hosting: developer, shop: merchant}
        acronyms: {min: 2, max: 4, everyday: [everyday-acronyms], known_to: [merchant]}
    """


def test_jargon_abbreviations_are_judged_for_the_audience(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, ACRONYM_PACK)
    assert [f.text for f in agent_says(linter, "您的SKU库存不足，DNS也要改")] == ["SKU", "DNS"]
    assert agent_says(linter, "请打开APP；sku 写小写的不算；ABCDE 太长；SKU-12 是编号") == []
    assert agent_says(linter, "这款LV包和YSL口红都有货，SUV车型另算") == []   # brands and car types shoppers write

    def found(product: str, text: str, customer: str = "你好") -> list[str]:
        conv = conversation(("customer", customer), ("agent", text))
        conv["meta"] = {"product": product}
        return [f.text for f in linter.scan(conv)]

    assert found("parcels", "这是FBA仓的货") == ["FBA"]
    assert found("web-hosting", "这是FBA仓的货") == []      # a developer knows every term
    assert found("shop-tools", "这是FBA仓的货") == []       # abbreviations are known to merchants
    assert found("fba-parcels", "这是FBA仓的货") == []      # the product line's own name
    assert found("parcels", "这是FBA仓的货", customer="我们的FBA库存不对") == []  # the customer wrote it first


def test_a_products_generation_is_part_of_its_name_not_an_abbreviation(tmp_path):
    # The spec: a term inside a product name is not jargon. A Roman numeral after a model name and a space or a
    # hyphen is that product's generation; the same capitals elsewhere are judged as any abbreviation.
    linter = linter_from_yaml(tmp_path, ACRONYM_PACK)
    assert agent_says(linter, "R6 Mark II和A7C III都有货，Pixel-IV也有") == []
    assert [f.text for f in agent_says(linter, "R6 Mark II要先做CMOS清洁")] == ["CMOS"]
    assert [f.text for f in agent_says(linter, "品牌的VI手册发您了")] == ["VI"]      # visual identity, after no name
    assert [f.text for f in agent_says(linter, "品牌 VI 手册发您了")] == ["VI"]     # a space after Chinese is no name
    assert agent_says(linter, "设备 A7C XIV 和 Galaxy S-VIII") == []
    assert [f.text for f in agent_says(linter, "型号 A7C XVX")] == ["XVX"]          # no Roman numeral


def test_jargon_customer_abbreviations_make_a_technical_customer(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, ACRONYM_PACK.replace(
        "acronyms:", "technical_customer: {min_terms: 2, audience: developer}\n        ignore_inside: ['《[^》]*》']\n        acronyms:"))

    def found(customer: str) -> list[str]:
        return [f.text for f in linter.scan(conversation(("customer", customer), ("agent", "DNS要改一下")))]

    assert found("我们的ERP和WMS对不上") == []              # two abbreviations of their own: a developer
    assert found("我们的ERP对不上") == ["DNS"]               # one is not enough (min_terms)
    assert found("我们的APP和VIP都用不了") == ["DNS"]        # everyday abbreviations say nothing
    assert found("我买了《ERP与WMS入门》") == ["DNS"]         # words of a title are not the customer's own
    assert found("我们的erp和wms对不上") == ["DNS"]          # not typed as abbreviations
    assert found("什么是ERP？WMS是什么？") == ["DNS"]          # asked about: not words of their own
    assert found("我买的LV和YSL都要查") == ["DNS"]            # brands are no technical vocabulary
    assert found("那个什么ERP 还有WMS在哪") == ["DNS"]


def test_jargon_common_markers_explain_only_right_after_the_term(tmp_path):
    linter = linter_from_yaml(tmp_path, """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: x
            terms: [光猫, 网关, 调制解调器]
            explained_by: {terms: [也就是], boundary: none}
            explained_right_after: {terms: [就是], boundary: none}
        """)

    def found(text: str) -> list[str]:
        return [f.text for f in agent_says(linter, text)]

    assert found("光猫就是入户的小盒子") == []
    assert found("光猫呢，就是入户的小盒子") == []               # a few characters between, same clause
    assert found("网关重启的时间就是昨晚十点") == ["网关"]          # 就是 further on opens no explanation
    assert found("光猫。就是入户的小盒子") == ["光猫"]              # not across a clause end
    assert found("光猫就是入户的调制解调器") == []                 # a term inside the explanation is part of it
    assert found("网关重启了以后，就是昨晚十点。调制解调器也重启了") == ["网关", "调制解调器"]
    assert found("过了很久，也就是昨晚，网关重启了") == []          # the ordinary markers count near the term


# -- the engine: one finding for the same words in one category ------------------------------------------------
def test_two_rules_of_a_category_flagging_the_same_words_give_one_finding(tmp_path):
    linter = linter_from_yaml(tmp_path, """
        rules:
          - {id: b-list, type: phrases, category: banned-phrase, severity: warning, message: x, terms: [不归我管]}
          - {id: a-pattern, type: regex, category: banned-phrase, severity: warning, message: x, pattern: '不归.{0,4}管'}
          - {id: c-louder, type: regex, category: banned-phrase, severity: error, message: x, pattern: '我管'}
          - {id: d-other, type: regex, category: slang, message: x, pattern: '不归我管'}
        """)
    found = [(f.rule, f.text) for f in agent_says(linter, "这个不归我管，那个不归售后管")]
    # the error wins its words; the listed phrase and the pattern over other words stay; another category stays
    assert found == [("d-other", "不归我管"), ("c-louder", "我管"), ("a-pattern", "不归售后管")]


def test_a_business_customer_needs_no_settlement_words_explained(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: x
            lexicon: [tech-terms-payments, tech-terms-web]
            audiences: {consumer: {knows: []}, business: {knows: [tech-terms-payments]}}
            business_customer: {cues: {terms: [我们店, 贵司], boundary: none}, audience: business}
        """)

    def found(customer: str, agent: str) -> list[str]:
        return [f.text for f in linter.scan(conversation(("customer", customer), ("agent", agent)))]

    reply = "对账有差异是因为CDN还没更新"
    assert found("我的账不对", reply) == ["对账", "CDN"]          # a consumer: both are jargon
    assert found("我们店的账不对", reply) == ["CDN"]               # a business knows its settlement words
    assert found("账不对", "贵司的对账有差异是因为CDN还没更新") == ["CDN"]   # the agent's 贵司 says so too


def test_advice_quoting_a_missing_term_suggestion_shows_where_the_words_go(tmp_path):
    linter = linter_from_yaml(tmp_path, """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: x
            suggest: "例如「{match}（{suggestion}）」"
            terms: [{term: DNS, suggest: 域名解析}, CDN]
        """)
    assert [f.suggestion for f in agent_says(linter, "改DNS和CDN")] == ["例如「DNS（域名解析）」", "例如「CDN（……）」"]


_IP_ADDRESS_CUSTOMER = """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: x
            terms: [DNS, 网关]
            audiences: {consumer: {knows: []}, developer: {knows: all}}
            technical_customer: {min_terms: 2, audience: developer, patterns: ['(?<![\\d.])(\\d{1,3}\\.){3}\\d{1,3}(?![\\d.])']}
        """


def _jargon_after(linter, customer: str) -> list[str]:
    """What the rule flags in 可能是DNS的问题 answering `customer`."""
    from packs import conversation

    return [f.text for f in linter.scan(conversation(("customer", customer), ("agent", "可能是DNS的问题")))]


def test_technical_customer_patterns_count_as_the_customers_own_terms(tmp_path):
    linter = linter_from_yaml(tmp_path, _IP_ADDRESS_CUSTOMER)
    assert _jargon_after(linter, "网页打不开") == ["DNS"]
    assert _jargon_after(linter, "我ping 192.168.1.1 和 10.0.0.1 都是通的") == []      # two matches: two terms of their own
    assert _jargon_after(linter, "我ping 192.168.1.1 是通的") == ["DNS"]                # one is not enough
    assert _jargon_after(linter, "网关 192.168.1.1 能ping通") == []                     # a listed term and a match


def test_technical_customer_cues_make_a_customer_technical_by_themselves(tmp_path):
    linter = linter_from_yaml(tmp_path, _IP_ADDRESS_CUSTOMER.replace(
        "technical_customer: {", "layperson_cues: {terms: [不懂], boundary: none}\n"
        "            technical_customer: {cues: {patterns: ['我是[^，。]{0,8}网管']}, "))
    assert _jargon_after(linter, "我是这家店的网管，网页打不开") == []
    assert _jargon_after(linter, "网页打不开，找我们网管也没用") == ["DNS"]        # someone else's job
    assert _jargon_after(linter, "我是这家店的网管，但是网络这些我不懂") == ["DNS"]   # a layperson cue decides first


def test_technical_customer_patterns_bound_the_count_without_reading_the_customers_words(tmp_path, monkeypatch):
    """One match of a pattern and no listed term cannot make two terms: the customer's words are not read."""
    linter = linter_from_yaml(tmp_path, _IP_ADDRESS_CUSTOMER)
    rule = next(r for r in linter.pack.rules if r.id == "j")
    read = []
    vocabulary = rule._vocabulary
    monkeypatch.setattr(rule, "_vocabulary", lambda view: read.append(view) or vocabulary(view))

    assert _jargon_after(linter, "我ping 192.168.1.1 是通的") == ["DNS"] and read == []
    assert _jargon_after(linter, "我ping 192.168.1.1 和 10.0.0.1 都是通的") == [] and read != []


_ACKNOWLEDGED = """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: "术语「{match}」"
            terms: [DNS]
            audiences: {consumer: {knows: []}, developer: {knows: all}}
            technical_customer: {min_terms: 1, audience: developer, vocabulary: [tech-vocabulary]}
            acknowledged_by:
              cues: {terms: [太专业], boundary: none}
              message: "客服承认说得太专业"
              suggest: 换成用户听得懂的话
        """


def test_a_reply_the_agent_next_calls_too_technical_is_reported_with_the_asked_term(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _ACKNOWLEDGED)
    findings = linter.scan(conversation(("customer", "眼镜怎么选"), ("agent", "选阿贝数高的镜片"),
                                        ("customer", "啥是阿贝数"), ("agent", "不好意思，说得太专业了")))
    assert [(f.message_index, f.text, f.message) for f in findings] == [(1, "阿贝数", "客服承认说得太专业")]
    # Nothing asked about: the message without words marked, with the rule's advice for that case.
    [finding] = linter.scan(conversation(("customer", "漏水"), ("agent", "溢流管在溢水"),
                                         ("customer", "听不懂"), ("agent", "抱歉太专业了")))
    assert (finding.message_index, finding.start, finding.suggestion) == (1, None, "换成用户听得懂的话")


def test_an_admission_adds_nothing_where_a_term_was_reported_and_holds_for_any_audience(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _ACKNOWLEDGED)
    findings = linter.scan(conversation(("customer", "打不开"), ("agent", "改一下DNS"), ("agent", "抱歉太专业了")))
    assert [(f.message_index, f.text) for f in findings] == [(1, "DNS")]
    # A customer who writes 服务器 is technical here, so DNS is known; the agent's own admission still counts.
    findings = linter.scan(conversation(("customer", "服务器打不开"), ("agent", "改一下DNS"), ("agent", "抱歉太专业了")))
    assert [(f.message_index, f.message) for f in findings] == [(1, "客服承认说得太专业")]
    # The admission in the same message, or with no agent message before it, reports nothing.
    assert linter.scan(conversation(("customer", "打不开"), ("agent", "抱歉太专业了"))) == []


_ASKED = """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: "术语「{match}」"
            terms: [DNS]
            audiences: {consumer: {knows: []}, developer: {knows: all}}
            technical_customer: {min_terms: 1, audience: developer, vocabulary: [tech-vocabulary]}
            explained_by: {terms: [也就是], boundary: none}
            ignore_inside: ['「[^」]*」']
            asked_by_customer:
              patterns: ['(?P<term>[^\\s\\p{P}是]{2,6}?)是什么意思', '什么叫(?P<term>[^\\s\\p{P}]{2,6}?)(?=[\\s\\p{P}]|$)']
              not_terms: [remote-tools]
              message: "用户问「{trigger}」：「{match}」没有解释"
        """


def test_words_the_customer_asks_the_meaning_of_are_reported_at_the_agents_first_use(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _ASKED)
    # No list holds 转潮: the question shows it meant nothing to this customer.
    findings = linter.scan(conversation(("customer", "菌包不出菇了"), ("agent", "等转潮以后再喷水"),
                                        ("customer", "转潮是什么意思？")))
    assert [(f.message_index, f.text, f.message) for f in findings] == [(1, "转潮", "用户问「转潮是什么意思」：「转潮」没有解释")]
    # Reported where the agent first used the words, even when the question follows a later message.
    findings = linter.scan(conversation(("agent", "要先转潮"), ("agent", "转潮后喷水"), ("customer", "什么叫转潮")))
    assert [(f.message_index, f.text) for f in findings] == [(0, "转潮")]
    # A marker before the words explained something else: the customer still asks.
    findings = linter.scan(conversation(("agent", "菌包也就是菌棒，等转潮"), ("customer", "转潮是什么意思")))
    assert [f.text for f in findings] == ["转潮"]
    # Whoever the audience is: a customer who writes 服务器 is technical, and still did not know 转潮.
    findings = linter.scan(conversation(("customer", "服务器"), ("agent", "等转潮"), ("customer", "转潮是什么意思")))
    assert [f.text for f in findings] == ["转潮"]


def test_asked_words_that_were_explained_said_first_reported_or_named_are_not_reported_again(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _ASKED)
    explained = conversation(("agent", "等转潮，也就是第二批菇长出来"), ("customer", "转潮是什么意思"))
    customer_first = conversation(("customer", "转潮了吗"), ("agent", "转潮要等一周"), ("customer", "转潮是什么意思"))
    label = conversation(("agent", "点「转潮」按钮"), ("customer", "转潮是什么意思"))
    program = conversation(("agent", "请打开向日葵"), ("customer", "向日葵是什么意思"))
    not_said = conversation(("agent", "请稍等"), ("customer", "转潮是什么意思"))
    for conv in (explained, customer_first, label, program, not_said):
        assert linter.scan(conv) == [], conv.messages
    # A term the lists hold and the rule reported already is not reported twice.
    findings = linter.scan(conversation(("agent", "改一下DNS"), ("customer", "DNS是什么意思")))
    assert [(f.text, f.message) for f in findings] == [("DNS", "术语「DNS」")]


# A wrong setting of a jargon rule is a load problem that says what is wrong: (field, its YAML flow text, the
# words one problem must hold).
JARGON_SETTING_PROBLEMS = [
    ("acronyms", "{min: 3, max: 2}", ["acronyms.min and max"]),
    ("business_customer", "{audience: merchant}", ["business_customer needs"]),
    ("technical_customer", "{min_terms: 2, audience: developer, words: [日志]}", ["technical_customer needs", "patterns"]),
    ("acknowledged_by", "{cues: {terms: [太专业]}, message: '{match}'}", ["only {trigger}"]),
    ("acknowledged_by", "{cues: {terms: [太专业]}}", ["acknowledged_by needs"]),
    ("asked_by_customer", "{patterns: ['是什么意思']}", ["no group named term"]),
    ("asked_by_customer", "{terms: [啥]}", ["asked_by_customer needs"]),
    ("asked_by_customer", "{patterns: ['(?P<term>..)是啥'], not_terms: [no-such-list]}", ["unknown lexicon"]),
    ("asked_by_customer", "{patterns: ['(?P<term>..)是啥'], message: '{suggestion}'}", ["only {match} and {trigger}"]),
    ("not_followed_by", "{cues: {terms: [听不懂]}}", ["not_followed_by needs"]),
    ("not_followed_by", "{cues: {terms: [听不懂]}, message: x, heard: y}", ["seen_cues"]),
    ("not_followed_by", "{cues: {terms: [听不懂]}, message: '{match}'}", ["only {trigger}"]),
    ("answered_by_customer", "{when: [{clause: {mood: question}}]}", ["answered_by_customer needs"]),
    ("answered_by_customer", "{confusion: {terms: [啥]}, reply: next}", ["answered_by_customer needs"]),
    ("answered_by_customer", "{confusion: {terms: [啥]}, when: [{clause: {mood: maybe}}]}", ["maybe"]),
]


@pytest.mark.parametrize("field, body, expected", JARGON_SETTING_PROBLEMS)
def test_wrong_jargon_settings_are_load_problems(tmp_path, field, body, expected):
    problems = errors(tmp_path, f"""
        rules:
          - {{id: j, type: jargon, category: jargon-unexplained, message: x, terms: [DNS],
             {field}: {body}}}
        """)
    assert any(all(words in p for words in expected) for p in problems), problems


_REPLIES = """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: "术语「{match}」"
            terms: [DNS]
            asked_by_customer:
              patterns: ['(?P<term>[^\\s\\p{P}是]{2,6}?)是什么意思']
              echo_patterns:
                - '(?:^|(?<=\\p{P}))(?:啥|什么)+(?P<term>\\p{Han}{1,3}?)(?=$|\\p{P}|我)'
                - '(?:^|(?<=\\p{P}))(?P<term>\\p{Han}{1,2}?)(?:什么|啥)(?=$|\\p{P}|我)'
              message: "用户问「{trigger}」：「{match}」"
            not_followed_by:
              cues: {patterns: ['(?:^|(?<=\\p{P}))我?(?:听不懂|没听懂)'], boundary: none}
              seen_cues: {patterns: ['(?:^|(?<=\\p{P}))我?(?:看不懂|没看懂)'], boundary: none}
              message: "用户说「{trigger}」"
              suggest: 换个说法
        """


def test_a_part_of_a_word_asked_back_reports_the_agents_word_that_ends_or_starts_with_it(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _REPLIES)
    ends = linter.scan(conversation(("customer", "水不热"), ("agent", "多半是比例阀坏了"), ("customer", "什么阀？")))
    assert [(f.message_index, f.text, f.message) for f in ends] == [(1, "比例阀", "用户问「什么阀」：「比例阀」")]
    starts = linter.scan(conversation(("customer", "没吸力"), ("agent", "先把滤芯拆下来"), ("customer", "滤什么")))
    assert [(f.message_index, f.text) for f in starts] == [(1, "滤芯")]
    # A part that is no edge of a word, a word of one character, and a phrase with a pronoun or a count ask about
    # no word.
    for agent, reply in (("多半是比例阀坏了", "什么例"), ("您先等等", "等什么"), ("我远程连上您的电脑", "连什么"),
                         ("先用热水刷一遍", "刷什么")):
        assert linter.scan(conversation(("customer", "怎么办"), ("agent", agent), ("customer", reply))) == [], reply


def test_a_question_the_customer_ends_or_starts_with_a_pause_is_read_there(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _REPLIES)
    # Folding drops the space: 什么阀 after 啥意思 is no start of a clause, and 阀 runs on into 在哪 - unless the
    # pause is read as one.
    after = linter.scan(conversation(("customer", "水不热"), ("agent", "多半是比例阀坏了"), ("customer", "啥意思 什么阀")))
    assert [(f.message_index, f.text, f.message) for f in after] == [(1, "比例阀", "用户问「什么阀」：「比例阀」")]
    before = linter.scan(conversation(("customer", "水不热"), ("agent", "多半是比例阀坏了"), ("customer", "什么阀 在哪")))
    assert [(f.message_index, f.text, f.start, f.message) for f in before] == [(1, "比例阀", 3, "用户问「什么阀」：「比例阀」")]
    # Without the space the words run on: no question of this shape.
    assert linter.scan(conversation(("customer", "水不热"), ("agent", "多半是比例阀坏了"), ("customer", "啥意思什么阀"))) == []


def test_text_with_its_pauses_marked_maps_back_to_the_text():
    from qa_linter.text.clauses import PausedMatch, with_pauses

    paused, shift = with_pauses("啥意思什么阀在哪", [3, 6], ",")
    assert paused == "啥意思,什么阀,在哪"
    match = regex.search(r"(?<=,)什么(?P<term>阀)(?=,)", paused)
    moved = PausedMatch(match, shift)
    assert moved.span() == (3, 6) and moved.span("term") == (5, 6) and moved.group("term") == "阀"
    assert with_pauses("abc", [], " ") == ("abc", [0, 1, 2, 3])


def test_a_reply_that_did_not_follow_reports_the_message_it_answers(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _REPLIES)
    lost = linter.scan(conversation(("customer", "窗户关不严"), ("agent", "是合页下沉了"), ("customer", "听不懂")))
    assert [(f.message_index, f.start, f.message, f.suggestion) for f in lost] == [(1, None, "用户说「听不懂」", "换个说法")]
    # Not reading it counts after a statement, not after the agent's question (the customer answers about their
    # screen); the customer's first message answers nothing; a system line between does not break the pair.
    assert linter.scan(conversation(("customer", "锅底黑了"), ("agent", "是涂层氧化"), ("customer", "没看懂")))
    assert linter.scan(conversation(("customer", "电视黑屏"), ("agent", "屏幕上显示什么？"), ("customer", "我看不懂"))) == []
    assert linter.scan(conversation(("agent", "您好，请讲"), ("customer", "短信我看不懂"))) == []
    assert linter.scan(conversation(("customer", "慢"), ("agent", "是带宽满了"), ("system", "转接中"), ("customer", "听不懂")))
    # A message already reported for a term is not reported twice.
    twice = linter.scan(conversation(("customer", "上不了网"), ("agent", "改一下DNS"), ("customer", "听不懂")))
    assert [(f.text, f.message) for f in twice] == [("DNS", "术语「DNS」")]


_ANSWERED = """
        rules:
          - id: j
            type: jargon
            category: jargon-unexplained
            message: "术语「{match}」"
            terms: [固件, VPN]
            answered_by_customer:
              when: [{clause: {mood: question}}]
              confusion: {terms: [什么, 啥, 不懂], boundary: none}
        """


def test_a_term_in_a_question_the_customer_answers_plainly_is_known_from_then_on(tmp_path):
    from packs import conversation

    linter = linter_from_yaml(tmp_path, _ANSWERED)
    asked = ("agent", "请问路由器的固件版本是多少？")
    assert linter.scan(conversation(asked, ("customer", "V2.1.3"), ("agent", "这个固件要升级"))) == []
    # An answer that asks back, or no answer yet: the question is judged as written.
    [finding] = linter.scan(conversation(asked, ("customer", "固件是啥")))
    assert (finding.message_index, finding.text) == (0, "固件")
    assert [f.message_index for f in linter.scan(conversation(asked))] == [0]
    # The customer's answer is read after the agent's other messages, but a statement is no question.
    assert linter.scan(conversation(asked, ("agent", "在设置里能看到"), ("customer", "1.0"))) == []
    findings = linter.scan(conversation(("agent", "您的固件要升级。您升级过吗？"), ("customer", "没有")))
    assert [f.text for f in findings] == ["固件"]


# -- required: a requirement met anywhere --------------------------------------------------------------------------
ANYWHERE = """
    rules:
      - id: check
        type: required
        category: no-resolution-check
        message: x
        scope: {role: agent, messages: last 2}
        anchor: last
        require:
          - terms: [是否已解决]
          - patterns: ['核对[^。]{0,4}收货地址']
            anywhere: true
    """


def _shop_chat(*agent_lines: str) -> Conversation:
    messages = []
    for i, line in enumerate(agent_lines):
        messages += [Message(2 * i, "customer", "好"), Message(2 * i + 1, "agent", line)]
    return Conversation("c", messages)


def test_a_requirement_marked_anywhere_is_met_outside_the_scope(tmp_path):
    from test_block_engine import assert_same_findings

    linter = linter_from_yaml(tmp_path, ANYWHERE)
    early_address = _shop_chat("运费已改，请核对一下收货地址", "好的", "三天到", "嗯嗯")
    early_question = _shop_chat("是否已解决？", "好的", "三天到", "嗯嗯")   # not anywhere: the last two only
    late_question = _shop_chat("好的", "三天到", "是否已解决？", "嗯嗯")
    nothing = _shop_chat("好的", "三天到", "嗯嗯")
    assert [len(linter.scan(c)) for c in (early_address, early_question, late_question, nothing)] == [0, 1, 0, 1]
    # The block engine (scan) decides alike, and so does a pack that holds the requirement without `anywhere`.
    assert assert_same_findings(linter, [early_address, early_question, late_question, nothing] * 3) == 6
    scoped = linter_from_yaml(tmp_path, ANYWHERE.replace("anywhere: true", "anywhere: false"), name="b.yaml")
    assert len(scoped.scan(early_address)) == 1


def test_an_unknown_field_of_a_requirement_is_refused(tmp_path):
    found = errors(tmp_path, ANYWHERE.replace("anywhere: true", "everywhere: true"))
    assert len(found) == 1 and "unknown field 'everywhere' in require[1]" in found[0] and "anywhere" in found[0]
    found = errors(tmp_path, ANYWHERE.replace("anywhere: true", "anywhere: 'yes please'"))
    assert len(found) == 1 and "require[1].anywhere must be true or false" in found[0]


def test_a_greeting_that_may_come_in_any_message_is_not_judged_on_a_draft(tmp_path):
    linter = linter_from_yaml(tmp_path, """
        rules:
          - id: hello
            type: required
            category: greeting-missing
            message: x
            scope: first
            require:
              - terms: [您好]
              - terms: [欢迎]
                anywhere: true
        """)
    assert linter.pack.get("hello").draft_judgement() is Draft.LATER

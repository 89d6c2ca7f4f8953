"""The built-in rule pack against the labelled sample, its hard cases per category, and its documentation."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.vocabulary import CATEGORIES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def calibration(corpus_path):
    result = CliRunner().invoke(
        main, ["calibrate", str(corpus_path), "--gold", str(corpus_path.with_name("labels.jsonl")), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_every_category_of_the_spec_has_a_builtin_rule(builtin_linter):
    assert {r.category for r in builtin_linter.rules} == set(CATEGORIES)


@pytest.mark.parametrize("category", CATEGORIES)
def test_calibration_on_the_labelled_sample_reaches_090(calibration, category):
    row = next(c for c in calibration["categories"] if c["category"] == category)
    assert row["tp"] > 0, row
    assert row["precision"] >= 0.90 and row["recall"] >= 0.90, row


def test_calibration_counts_add_up_to_the_labels(calibration, corpus_path):
    labels = [json.loads(line) for line in corpus_path.with_name("labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert calibration["micro"]["tp"] + calibration["micro"]["fn"] == sum(len(l["findings"]) for l in labels)
    assert calibration["conversations"] == len(labels)


def test_calibrate_shows_each_error_with_its_excerpt(tmp_path, corpus_path):
    # A label the rules cannot produce, and a finding nobody labelled: both must be listed.
    gold = tmp_path / "labels.jsonl"
    lines = corpus_path.with_name("labels.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["findings"].append({"message_index": 1, "category": "slang", "note": "invented"})
    second = json.loads(lines[1])
    second["findings"] = [f for f in second["findings"] if f["category"] != "emoji"]
    gold.write_text("\n".join([json.dumps(first, ensure_ascii=False), json.dumps(second, ensure_ascii=False), *lines[2:]]), encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", str(corpus_path), "--gold", str(gold), "--show-errors"])
    assert result.exit_code == 0, result.output
    assert "FN s-001 #1 slang: invented" in result.output
    assert re.search(r"FP s-002 #3 emoji: .*«\[捂脸\]»", result.output)


def test_calibrate_reports_a_bad_label_file_with_its_line(tmp_path, corpus_path):
    gold = tmp_path / "labels.jsonl"
    gold.write_text('{"id": "s-001", "findings": []}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", str(corpus_path), "--gold", str(gold)])
    assert result.exit_code == 2
    assert f"{gold}:2:" in result.output and "Traceback" not in result.output


# Hard cases per category, beyond each rule's own examples: (text or conversation, category, flagged?)
HARD_CASES = [
    ("我 不 知 道您具体看了多少", "banned-phrase", True),
    ("不\u200b归我管", "banned-phrase", True),
    ("如果您不知道订单号也没关系", "banned-phrase", False),
    ("您也可以自己在订单详情里查看", "banned-phrase", False),
    ("亲自到营业厅办理", "slang", False),
    ("请拖动滚动条", "slang", False),
    ("订单 T20261123666098 已提交", "slang", False),
    ("普通成员账号木 有这个权限", "slang", True),
    ("醬紫的話", "slang", True),
    ("云协办公®客户成功团队", "emoji", False),
    ("我给您截个图：[图片]", "emoji", False),
    ("报名只要三步：1️⃣ 选课", "emoji", True),
    ("详见 https://help.example.cn/a", "emoji", False),
    ("已查到号码 138****5678", "pii-exposure", False),
    ("热线 400-123-4567，或 95588", "pii-exposure", False),
    ("运单号 4300138123456781", "pii-exposure", False),
    ("订单 202611198800012345", "pii-exposure", False),
    ("联系您的手机 137 0000 1111", "pii-exposure", True),
    ("请勿向任何人透露验证码", "credential-request", False),
    ("请在App里输入验证码", "credential-request", False),
    ("请把短信里收到的6位数字回复到本邮件", "credential-request", True),
    ("这款向日葵种子适合在20℃发芽", "remote-no-consent", False),
    ([{"customer": "能不能远程帮我弄一下？"}, {"agent": "好的，我这边发起远程请求。"}], "remote-no-consent", False),
    ([{"customer": "电脑坏了"}, {"agent": "我现在给您发起远程协助。"}], "remote-no-consent", True),
    ([{"customer": "不着急，我等会儿再来看"}, {"agent": "好的，请稍等。"}], "empathy-missing", False),
    ([{"customer": "重启过了没用，呵呵"}, {"agent": "那您可以升级套餐。"}], "empathy-missing", True),
    ("DNS（域名解析系统）设置有问题", "jargon-unexplained", False),
    ("《Python API开发入门》第5章", "jargon-unexplained", False),
    ([{"customer": "我已经清过缓存了"}, {"agent": "既然缓存已经清过，我们换个办法"}], "jargon-unexplained", False),
    ("在的，请说。", "greeting-missing", True),
    ([{"agent": "您好"}, {"agent": "好的宝宝，请问还有别的问题吗？"}], "no-resolution-check", True),
]


def _conversation(case):
    if isinstance(case, str):
        messages = [{"role": "customer", "text": "你好"}, {"role": "agent", "text": case}]
    else:
        messages = [{"role": next(iter(m)), "text": next(iter(m.values()))} for m in case]
    return {"id": "hard", "channel": "chat", "messages": messages}


@pytest.mark.parametrize(("case", "category", "flagged"), HARD_CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(HARD_CASES)])
def test_hard_cases(builtin_linter, case, category, flagged):
    found = [f for f in builtin_linter.scan(_conversation(case)) if f.category == category]
    assert bool(found) is flagged, found


def test_readme_rule_reference_is_generated_from_the_rules(builtin_linter):
    from qa_linter.docs import rules_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- rules:start -->", "<!-- rules:end -->"
    assert start in readme and end in readme
    block = readme.split(start, 1)[1].split(end, 1)[0].strip()
    assert block == rules_table(builtin_linter.rules, "markdown").strip(), (
        "README rule reference is stale: regenerate it with `qa-lint rules list --format markdown`"
    )


def test_rules_list_names_every_rule_with_category_and_manual(builtin_linter):
    result = CliRunner().invoke(main, ["rules", "list"])
    assert result.exit_code == 0
    for rule in builtin_linter.rules:
        line = next(l for l in result.output.splitlines() if l.startswith(rule.id + " "))
        assert rule.category in line and str(rule.manual) in line


def test_config_allowlist_exempts_company_numbers_and_mailboxes(tmp_path):
    from qa_linter import Linter
    from qa_linter.config import load_config

    (tmp_path / "qa-linter.yaml").write_text('allowlist: ["138 0013 8000", "li.ming@example.com"]\n', encoding="utf-8")
    linter = Linter.from_config(load_config(tmp_path / "qa-linter.yaml"), select=["pii-exposure"])
    text = "请拨打 13800138000 或 13912345678，邮件 li.ming@example.com 或 wang@example.com"
    found = [f.text for f in linter.scan({"id": "a", "messages": [{"role": "agent", "text": text}]})]
    assert found == ["13912345678", "wang@example.com"]


def test_the_jargon_rule_span_patterns_run_only_where_their_words_are(builtin_linter):
    # The spans the rule ignores, shows or reads as explanations are searched in every message holding a term: a
    # pattern whose words are only in a lookaround has no literal every match needs, so it runs at every position of
    # every such message (a listing-title lookahead cost the rule 60% on the dev set). Words inside the span keep
    # the gate.
    rule = next(r for r in builtin_linter.pack.rules if r.id == "jargon-unexplained")
    spans = [(field, pattern.pattern, gate) for field in ("ignore", "introduced", "explanations")
             for pattern, gate in getattr(rule, field) or []]
    assert spans
    assert [(field, pattern) for field, pattern, gate in spans if gate is None] == []

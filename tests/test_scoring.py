"""The scoring model: formula, caps, N/A sections, auto-fail, pass mark, validation with file:line, CLI output."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.model import Finding, Severity
from qa_linter.scoring import ScorecardError, load_scoring_model
from qa_linter.vocabulary import CATEGORIES as KNOWN_CATEGORIES

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
TS = "2026-11-20T10:00:{:02d}+08:00"


@pytest.fixture(scope="module")
def model():
    return load_scoring_model()


def conversation(timed: bool = True, channel: str = "chat", agent_messages: int = 2):
    messages = []
    for i in range(agent_messages):
        messages.append({"role": "customer", "text": "你好", **({"ts": TS.format(i * 2)} if timed else {})})
        messages.append({"role": "agent", "text": "您好", **({"ts": TS.format(i * 2 + 1)} if timed else {})})
    if not agent_messages:
        messages.append({"role": "customer", "text": "在吗"})
    return conversation_from_dict({"id": "c-1", "channel": channel, "messages": messages})


def finding(category: str, severity: str = "warning", index: int = 1) -> Finding:
    return Finding("c-1", index, "agent", f"r-{category}", category, Severity.parse(severity), "msg")


def section(card, name):
    return next(s for s in card.sections if s.section.name == name)


# -- the bundled model ---------------------------------------------------------------------------------------
def test_default_model_maps_every_category_once_and_totals_100(model):
    names = [s.name for s in model.sections]
    assert names == ["礼貌规范", "服务忌语", "书面规范", "表达清晰", "信息安全", "服务流程", "响应及时"]
    mapped = [c for s in model.sections for c in s.categories]
    assert sorted(mapped) == sorted(KNOWN_CATEGORIES)
    assert sum(s.points for s in model.sections) == 100
    assert set(model.auto_fail) == {"pii-exposure", "credential-request"}
    assert model.pass_mark == 80


def test_clean_timed_conversation_scores_100_and_passes(model):
    card = model.score(conversation(), [])
    assert card.total == 100.0 and card.passed is True and not card.auto_fail
    assert all(s.applicable for s in card.sections)


def test_deductions_by_severity_are_capped_per_section(model):
    # courtesy (15 points, warning 5): three warnings take 15, a fourth takes nothing more.
    findings = [finding("greeting-missing"), finding("closing-missing"), finding("empathy-missing"), finding("greeting-missing")]
    card = model.score(conversation(), findings)
    courtesy = section(card, "礼貌规范")
    assert (courtesy.findings, courtesy.deducted, courtesy.earned) == (4, 15, 0)
    assert card.total == 85.0 and card.passed is True
    # taboo overrides deductions (error 20): one error empties the section.
    card = model.score(conversation(), [finding("banned-phrase", "error")])
    assert section(card, "服务忌语").deducted == 20 and card.total == 80.0 and card.passed is True  # at the mark passes


def test_below_pass_mark_fails(model):
    card = model.score(conversation(), [finding("banned-phrase", "error"), finding("slang", "info")])
    assert card.total == 78.0 and card.passed is False and not card.auto_fail


def test_no_timestamps_makes_timeliness_na_and_out_of_the_denominator(model):
    card = model.score(conversation(timed=False), [finding("slang")])
    timeliness = section(card, "响应及时")
    assert not timeliness.applicable and timeliness.na_reason == "无时间戳，无法判断"
    assert card.points_possible == 90
    assert card.total == round(100 * (90 - 5) / 90, 1) == 94.4
    assert card.to_dict()["sections"][-1]["earned"] is None


def test_channel_without_response_targets_is_na(model):
    card = model.score(conversation(channel="phone"), [])
    assert not section(card, "响应及时").applicable and card.points_possible == 90 and card.total == 100.0


def test_a_finding_proves_a_section_applies(model):
    card = model.score(conversation(timed=False), [finding("slow-response")])
    assert section(card, "响应及时").applicable and card.total == 95.0


def test_auto_fail_fails_whatever_the_score(model):
    card = model.score(conversation(), [finding("pii-exposure", "info", index=3)])
    assert card.total == 95.0 and card.passed is False
    assert [a.to_dict() for a in card.auto_fail] == [
        {"category": "pii-exposure", "rule": "r-pii-exposure", "message_index": 3, "reason": "泄露客户个人信息"}]


def test_on_auto_fail_zero(tmp_path):
    path = write_card(tmp_path, """
        on_auto_fail: zero
        auto_fail: [credential-request]
        sections:
          - {id: s, name: 安全, points: 10, categories: [credential-request]}
    """)
    card = load_scoring_model(path).score(conversation(), [finding("credential-request")])
    assert card.total == 0.0 and card.passed is False and card.auto_fail[0].reason == "一票否决项：credential-request"


def test_conversation_without_agent_messages_has_no_score(model):
    card = model.score(conversation(agent_messages=0), [])
    assert card.total is None and card.passed is None
    assert {s.na_reason for s in card.sections} == {"没有客服消息"}


def test_sections_whose_rules_do_not_run_are_na(model, test_linter):
    slang_only = [r for r in test_linter.rules if r.category == "slang"]
    card = model.limited_to(slang_only).score(conversation(), [finding("slang")])
    assert [s.section.name for s in card.sections if s.applicable] == ["书面规范"]
    assert card.total == 50.0 and section(card, "服务忌语").na_reason == "未启用相关规则"


def test_findings_of_unmapped_categories_are_counted_not_scored(model):
    card = model.score(conversation(), [finding("custom-thing")])
    assert card.total == 100.0 and card.unscored_findings == 1
    assert model.unmapped_categories(["slang", "custom-thing"]) == ["custom-thing"]


# -- validation ------------------------------------------------------------------------------------------------
def write_card(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scorecard.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ScorecardError) as info:
        load_scoring_model(path)
    return [e.describe() for e in info.value.errors]


def test_every_mistake_is_reported_with_file_and_line(tmp_path):
    path = write_card(tmp_path, """
        pass_mrk: 80
        deductions: {error: 10, warnig: 3}
        sections:
          - id: a
            name: 礼貌
            points: 10
            categories: [greeting-misssing]
          - id: b
            name: 安全
            points: 5
            cap: 8
            categories: [slang]
          - id: c
            name: 书面
            points: 5
            categories: [slang]
            requires: [clock]
    """)
    assert errors_of(path) == [
        f"{path}:1: unknown setting 'pass_mrk'; did you mean 'pass_mark'?",
        f"{path}:2: unknown severity 'warnig'; did you mean 'warning'?",
        f"{path}:7: unknown category 'greeting-misssing'; did you mean 'greeting-missing'?",
        f"{path}:11: cap 8 is more than the section's 5 points",
        f"{path}:16: category 'slang' is already in section 'b'; a category belongs to one section",
        f"{path}:17: unknown requirement 'clock'; use timestamps",
    ]


def test_yaml_syntax_and_wrong_shapes(tmp_path):
    assert errors_of(write_card(tmp_path, "sections: [\n  - id: a\n")) [0].startswith(f"{tmp_path / 'scorecard.yaml'}:")
    path = write_card(tmp_path, "pass_mark: 120\nsections: []\n")
    assert errors_of(path) == [
        f"{path}:1: pass_mark must be a number between 0 and 100, not 120",
        f"{path}:2: sections must be a non-empty list of {{id, name, points, categories}}",
    ]
    missing = tmp_path / "nope.yaml"
    assert errors_of(missing) == [f"{missing}: scorecard file not found"]


# -- the CLI ---------------------------------------------------------------------------------------------------
@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scan_json(*args):
    result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(RULES), "--format", "json", *map(str, args)],
                                catch_exceptions=False)
    return result, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None)


def test_json_output_carries_score_and_breakdown(in_tmp, corpus_path, test_linter, model):
    result, doc = scan_json(corpus_path)
    assert doc["scorecard"] == model.fingerprint
    records = {c["id"]: c for c in doc["conversations"]}
    assert len(records) == 40
    # The same numbers as the Python API gives for the same conversation.
    raw = next(line for line in corpus_path.read_text(encoding="utf-8").splitlines() if '"s-010"' in line)
    conv = conversation_from_dict(json.loads(raw))
    expected = model.limited_to(test_linter.rules).score(conv, test_linter.scan(conv)).to_dict()
    assert records["s-010"]["scorecard"] == expected
    assert records["s-010"]["score"] == expected["score"] and records["s-010"]["passed"] == expected["passed"]
    timeliness = records["s-010"]["scorecard"]["sections"][-1]
    assert timeliness["applicable"] is False and timeliness["na_reason"] == "无时间戳，无法判断"


def test_text_output_shows_the_score_on_the_header(in_tmp, corpus_path):
    result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(RULES), str(corpus_path)])
    assert f"{corpus_path}:2: s-002  chat · agent.03 · t1 · 2026-11-16 14:20  得分 55.0" in result.stdout.splitlines()


def test_scorecard_option_and_setting(in_tmp, corpus_path):
    strict = write_card(in_tmp, """
        pass_mark: 100
        sections:
          - {id: all, name: 全部, points: 10, categories: [slang, emoji, banned-phrase]}
    """)
    result, doc = scan_json("--scorecard", strict, corpus_path)
    s002 = next(c for c in doc["conversations"] if c["id"] == "s-002")
    assert s002["score"] == 0.0 and [s["name"] for s in s002["scorecard"]["sections"]] == ["全部"]
    (in_tmp / "qa-linter.yaml").write_text(f"scorecard: {strict.name}\n", encoding="utf-8")
    result, doc = scan_json(corpus_path)
    assert doc["scorecard"].startswith("scorecard@0+")


def test_a_broken_scorecard_stops_the_scan_with_exit_2(in_tmp, corpus_path):
    bad = write_card(in_tmp, "sections:\n  - {id: a, name: x, points: -1, categories: [slang]}\n")
    result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(RULES), "--scorecard", str(bad), str(corpus_path)])
    assert result.exit_code == 2
    assert f"error: {bad}:2: points must be a number of 0 or more, not -1" in result.stderr
    assert "1 error in the scorecard; nothing was scanned" in result.stderr

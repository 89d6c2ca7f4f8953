"""The customer's audience named by the transcript (meta.audience, a CRM's segment for the account): it decides
whom jargon is judged for, after the customer's own "I don't understand" and before anything guessed from
their words, on every path (block engine, per-message scan, --jobs, pre-send); a value that names no audience is
reported in the summary and the audience is worked out as if it were absent."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa_linter.cli import main

AGENT = "请把域名的DNS记录改一下。"
RULE = "jargon-unexplained"


def record(cid: str, customer: str, audience=..., agent: str = AGENT) -> dict:
    out = {"id": cid, "channel": "chat",
           "messages": [{"role": "customer", "text": customer}, {"role": "agent", "text": agent}]}
    if audience is not ...:
        out["meta"] = {"audience": audience}
    return out


@pytest.fixture
def fresh_linter():
    # Its own, so the rule problems it reports are this test's (builtin_linter is shared by the session).
    from qa_linter import Linter

    return Linter.from_config()


def terms(linter, rec: dict) -> list[str]:
    return [f.text for f in linter.scan(rec) if f.rule == RULE]


def test_a_named_audience_decides_over_the_customers_words(builtin_linter):
    lay, technical = "网站打不开了", "我们的SDK和API都正常，网站打不开了"
    assert terms(builtin_linter, record("a", lay)) == ["域名", "DNS"]  # a consumer by default
    assert terms(builtin_linter, record("b", lay, "developer")) == []  # knows every term
    assert terms(builtin_linter, record("c", lay, "it-admin")) == []  # knows the network words
    assert terms(builtin_linter, record("d", technical)) == []  # their own SDK and API make them a developer
    assert terms(builtin_linter, record("e", technical, "consumer")) == ["域名", "DNS"]  # the account says otherwise
    # What the customer says about themselves still comes first.
    assert terms(builtin_linter, record("f", "我不懂这些，" + lay, "developer")) == ["域名", "DNS"]


def test_the_name_is_read_whatever_its_case_and_padding(fresh_linter):
    for value in ("Developer", " developer ", "DEVELOPER"):
        assert terms(fresh_linter, record("a", "网站打不开了", value)) == []
    assert terms(fresh_linter, record("b", "我们的SDK和API都正常", "Consumer")) == ["域名", "DNS"]
    assert not fresh_linter.rule_problems


@pytest.mark.parametrize("value", ["expert", 3, ["developer"], "dev eloper", True])
def test_a_value_that_names_no_audience_is_reported_and_ignored(fresh_linter, value):
    assert terms(fresh_linter, record("odd", "我们的SDK和API都正常", value)) == []  # worked out from their words
    problem = fresh_linter.rule_problems["meta.audience"]
    assert problem.startswith(f"odd: meta.audience {value!r} ") and "is none of the audiences of jargon-unexplained" in problem
    assert "developer" in problem and "consumer" in problem


def test_absent_or_empty_meta_is_no_problem(fresh_linter):
    # An empty cell or null is a segment not known for this customer, as an absent one is, not a wrong one.
    for rec in (record("a", "网站打不开了"), {**record("b", "网站打不开了"), "meta": {}}, record("c", "好", "developer"),
                record("d", "网站打不开了", ""), record("e", "网站打不开了", None), record("f", "网站打不开了", "  ")):
        terms(fresh_linter, rec)
    assert not fresh_linter.rule_problems


@pytest.fixture
def mixed(tmp_path):
    # Enough conversations for --jobs 2 to hand blocks to a worker; every kind of value, in turn.
    values = ["developer", "consumer", "it-admin", ..., "expert"]
    customers = ["网站打不开了", "我们的SDK和API都正常，网站打不开了"]
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(record(f"c{i}", customers[i % 2], values[i % 5]), ensure_ascii=False) for i in range(400)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_scan_reads_it_like_the_per_message_path(mixed, fresh_linter, jobs):
    result = CliRunner().invoke(main, ["scan", str(mixed), "--format", "jsonl", "--select", RULE, "--jobs", jobs])
    assert result.exit_code == 2  # the odd value is reported; nothing is skipped
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            f = json.loads(line)
            found.setdefault(f["conversation_id"], []).append(f["text"])
    expected = {}
    for line in mixed.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if got := terms(fresh_linter, rec):
            expected[rec["id"]] = got
    assert found == expected
    assert "c0" not in found and found["c1"] == ["域名", "DNS"] and "c2" not in found  # developer, consumer, it-admin
    assert "meta.audience" in result.output and "'expert' is none of the audiences" in result.output


def test_pre_send_reads_it_from_the_context(builtin_linter):
    def draft_terms(audience):
        context = record("ctx", "网站打不开了", audience)
        context["messages"] = context["messages"][:1]
        result = builtin_linter.check_reply(AGENT, context=context)
        return [f.text for f in result.findings if f.rule == RULE]

    assert draft_terms("developer") == []
    assert draft_terms("consumer") == ["域名", "DNS"]


def test_calibrate_says_who_decided(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "transcripts.jsonl").write_text(
        json.dumps(record("t", "网站打不开了", "developer"), ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "labels.jsonl").write_text(
        json.dumps({"id": "t", "findings": [{"message_index": 1, "category": RULE, "note": "DNS"}]}) + "\n",
        encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(folder), "--show-errors", "--select", RULE])
    assert result.exit_code == 0, result.output
    assert "meta.audience: developer" in result.output


def test_a_chat_log_header_names_it(tmp_path):
    chat = "2026-11-20 10:02:05 客户-张三：网站打不开了\n2026-11-20 10:02:11 客服-小王：您好，请把域名的DNS记录改一下。\n"
    path = tmp_path / "console.log"
    path.write_text(f"==== 会话 s-1 | 坐席：小王 | audience：developer ====\n{chat}==== 会话 s-2 | 坐席：小王 ====\n{chat}",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(path), "--format", "jsonl", "--select", RULE, "-q"])
    assert {json.loads(line)["conversation_id"] for line in result.stdout.splitlines()} == {"s-2"}


def test_the_segment_script_writes_meta_audience_from_meta_customer(tmp_path, fresh_linter):
    # benchmarks/jargon_with_segments.py: the README's "with the segment" figures come from such copies.
    from packs import benchmark

    module = benchmark("jargon_with_segments")
    source, target = tmp_path / "set", tmp_path / "copy"
    source.mkdir()
    records = [record("t", "网站打不开了"), record("n", "我们的SDK和API都正常"), record("x", "网站打不开了")]
    records[0]["meta"] = {"customer": "technical", "product": "cloud"}
    records[1]["meta"] = {"customer": "non-technical"}
    (source / "transcripts.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                              encoding="utf-8")
    (source / "labels.jsonl").write_text('{"id": "t", "findings": []}\n', encoding="utf-8")
    assert module.with_segments(source, target, "developer", "consumer") == 2
    copied = [json.loads(line) for line in (target / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r.get("meta") for r in copied] == [{"customer": "technical", "product": "cloud", "audience": "developer"},
                                               {"customer": "non-technical", "audience": "consumer"}, None]
    assert (target / "labels.jsonl").read_text(encoding="utf-8") == '{"id": "t", "findings": []}\n'
    assert [terms(fresh_linter, r) for r in copied] == [[], ["域名", "DNS"], ["域名", "DNS"]]


# -- a CRM's own segment names, and the configuration's audiences checked -----------------------------------------

def linter_with(tmp_path, yaml_text: str):
    from qa_linter import Linter

    path = tmp_path / "qa-linter.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    return Linter.from_config(path)


def test_audience_segments_map_a_crms_segment_names(tmp_path):
    linter = linter_with(tmp_path, "audience_segments:\n  开发者: developer\n  个人用户: Consumer\n  ' 企业IT ': it-admin\n")
    lay, technical = "网站打不开了", "我们的SDK和API都正常，网站打不开了"
    assert terms(linter, record("a", lay, "开发者")) == []
    assert terms(linter, record("b", technical, "个人用户")) == ["域名", "DNS"]  # the account says consumer
    assert terms(linter, record("c", lay, "企业it")) == []  # the segment's case and padding do not matter
    assert terms(linter, record("d", lay, "developer")) == []  # an audience's own name still counts
    remapped = linter_with(tmp_path, "audience_segments:\n  Consumer: developer\n")  # the CRM's own meaning wins
    assert terms(remapped, record("r", lay, "consumer")) == [] and terms(remapped, record("s", lay)) == ["域名", "DNS"]
    assert not linter.rule_problems
    assert terms(linter, record("e", technical, "VIP")) == []  # unmapped: worked out from their words
    assert "nor a segment of audience_segments" in linter.rule_problems["meta.audience"]


def test_a_crms_segment_codes_may_be_numbers(tmp_path):
    # A CRM that keeps its segments as codes: numbers in the configuration's keys (mixed with names, which the
    # kept pack's fingerprint once failed to sort: a traceback) and in the transcript's meta.audience.
    (tmp_path / "qa-linter.yaml").write_text("audience_segments:\n  1: developer\n  2: consumer\n  企业客户: business\n",
                                             encoding="utf-8")
    lay = "网站打不开了"
    lines = [record("n1", lay, 1), record("s1", lay, "1"), record("n2", lay, 2), record("s2", lay, " 2 "), record("x", lay, 7)]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    for _ in range(2):  # the second run reads the kept pack
        result = CliRunner().invoke(main, ["scan", str(tmp_path / "t.jsonl"), "--format", "jsonl", "--select", RULE,
                                           "--config", str(tmp_path / "qa-linter.yaml"), "-q"])
        assert "Traceback" not in result.output and result.exit_code == 2, result.output  # 2: the unmapped 7
        flagged = sorted({json.loads(line)["conversation_id"] for line in result.stdout.splitlines()})
        assert flagged == ["n2", "s2", "x"]  # 7 is no code of the mapping: worked out from the words (a layperson)
        assert "meta.audience 7 is none of the audiences" in result.stderr


@pytest.mark.parametrize("setting, line", [("audiences", 3), ("audience_segments", 3)])
def test_an_audience_the_rule_does_not_know_is_a_configuration_error(tmp_path, setting, line):
    from qa_linter.errors import RuleLoadError

    with pytest.raises(RuleLoadError) as raised:
        linter_with(tmp_path, f"{setting}:\n  good: developer\n  typo: devloper\n")
    message = str(raised.value)
    assert f"qa-linter.yaml:{line}: {setting}" in message
    assert "typo: 'devloper' is none of the audiences of jargon-unexplained" in message and "'good'" not in message


def test_the_configurations_audience_is_read_whatever_its_case(tmp_path):
    # `audiences: {cloud-support: Developer}` used to be taken as an audience of its own, one that knows nothing.
    linter = linter_with(tmp_path, "audiences:\n  cloud-support: Developer\n")
    rec = {**record("a", "网站打不开了"), "team": "cloud-support"}
    assert terms(linter, rec) == []


def test_a_bad_audience_in_the_configuration_stops_scan_with_its_line(tmp_path):
    (tmp_path / "qa-linter.yaml").write_text("audiences:\n  cloud-support: devloper\n", encoding="utf-8")
    (tmp_path / "t.jsonl").write_text(json.dumps(record("a", "网站打不开了"), ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "t.jsonl"), "--config", str(tmp_path / "qa-linter.yaml")])
    assert result.exit_code == 2
    assert "qa-linter.yaml:2: audiences: cloud-support: 'devloper' is none of the audiences" in result.output
    assert "Traceback" not in result.output


def test_a_csv_column_of_customer_segments_is_meta_audience(tmp_path):
    (tmp_path / "qa-linter.yaml").write_text("audience_segments:\n  开发者: developer\n", encoding="utf-8")
    rows = ["会话ID,时间,角色,内容,客户类型"]
    for cid, segment in (("c1", "开发者"), ("c2", ""), ("c3", "consumer")):
        rows += [f"{cid},2026-11-20 10:00:00,客户,网站打不开了,{segment}",
                 f"{cid},2026-11-20 10:00:30,客服,您好，请把域名的DNS记录改一下。,"]  # the segment on one row is enough
    (tmp_path / "export.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "export.csv"), "--format", "jsonl", "--select", RULE,
                                       "--config", str(tmp_path / "qa-linter.yaml"), "-q"])
    assert result.exit_code == 0, result.output
    assert {json.loads(line)["conversation_id"] for line in result.stdout.splitlines()} == {"c2", "c3"}


def test_the_segment_survives_grouping_on_disk():
    from qa_linter.readers.row_groups import Row, RowGroups

    groups = RowGroups(memory_rows=2)
    for i in range(6):
        groups.add(f"c{i % 2}", Row(line=i + 1, ts=None, role="customer", text="好", audience=f"seg{i % 2}"))
    assert groups.on_disk
    assert {cid: {r.audience for r in rows} for cid, rows in groups.groups()} == {"c0": {"seg0"}, "c1": {"seg1"}}


def test_calibrate_says_whom_a_false_jargon_hit_took_the_customer_for(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    asked = {"id": "q", "channel": "chat", "messages": [
        {"role": "customer", "text": "鱼缸的水发白了"}, {"role": "agent", "text": "先闷缸三天就好。"},
        {"role": "customer", "text": "闷缸是什么意思"}]}
    records = [record("t", "网站打不开了"), record("d", "网站打不开了", "developer"), asked]
    (folder / "transcripts.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                              encoding="utf-8")
    # The labeller knew the first customer to be technical: no jargon anywhere.
    (folder / "labels.jsonl").write_text("".join(json.dumps({"id": r["id"], "findings": []}) + "\n" for r in records),
                                         encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", "--set", str(folder), "--show-errors", "--select", RULE])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    fp_t = next(i for i, line in enumerate(lines) if line.strip().startswith("FP t #1"))
    assert lines[fp_t + 2].strip() == "why: audience consumer: default_audience"
    # A word the customer asked about is reported whoever they are: no audience is named under it.
    fp_q = next(i for i, line in enumerate(lines) if line.strip().startswith("FP q #1"))
    assert "用户随后问" in lines[fp_q] and not any("why:" in line for line in lines[fp_q + 1:fp_q + 3])
    assert not any(line.strip().startswith("FP d ") for line in lines)  # a developer's account: nothing reported


def test_csv_columns_can_name_the_segment_column(tmp_path):
    (tmp_path / "qa-linter.yaml").write_text("csv_columns: {audience: 客户分层}\naudience_segments: {技术客户: developer}\n",
                                             encoding="utf-8")
    rows = ["会话ID,角色,内容,客户分层",
            "c1,客户,网站打不开了,技术客户", "c1,客服,请把域名的DNS记录改一下。,",
            "c2,客户,网站打不开了,普通客户", "c2,客服,请把域名的DNS记录改一下。,"]
    (tmp_path / "export.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "export.csv"), "--format", "jsonl", "--select", RULE,
                                       "--config", str(tmp_path / "qa-linter.yaml"), "-q"])
    assert result.exit_code == 2  # 普通客户 maps to no audience: reported, and worked out from the words
    assert {json.loads(line)["conversation_id"] for line in result.stdout.splitlines()} == {"c2"}
    assert "'普通客户' is none of the audiences" in result.output


def test_an_audience_another_jargon_rule_knows_is_no_mistake(tmp_path):
    # A team's own jargon rule with audiences of its own reads the same `audiences` setting as the built-in one.
    (tmp_path / "rules.yaml").write_text(
        "rules:\n  - id: my-jargon\n    type: jargon\n    category: jargon-unexplained\n    message: m\n"
        "    terms: [光猫]\n    audiences: {novice: {knows: []}, installer: {knows: all}}\n    default_audience: novice\n",
        encoding="utf-8")
    linter = linter_with(tmp_path, f"rules: [{tmp_path / 'rules.yaml'}]\naudiences:\n  fitters: installer\n"
                                   "  cloud-support: developer\n")
    mine = next(r for r in linter.rules if r.id == "my-jargon")
    builtin = next(r for r in linter.rules if r.id == RULE)
    assert mine.audience_of == {"fitters": "installer"} and builtin.audience_of == {"cloud-support": "developer"}
    from qa_linter.errors import RuleLoadError

    with pytest.raises(RuleLoadError, match="typo: 'instaler' is none of the audiences"):
        linter_with(tmp_path, f"rules: [{tmp_path / 'rules.yaml'}]\naudiences:\n  typo: instaler\n")

"""The weekly report's honesty about noise (issue 19, item 10): a change is drawn up or down only when it is beyond
chance, small samples are marked, a change that rounds to 0 is flat, and 最需辅导 lists only failed conversations.

The interval formulas are checked against the worked examples of Newcombe (1998); the report against stores
built here with known counts; the page in Chromium, as a manager sees it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from browser import launch_browser, requires_chromium
from qa_linter.canonical import conversation_from_dict
from qa_linter.cli import main
from qa_linter.model import Finding, Severity
from qa_linter.reporting.significance import (
    count_difference, mean_difference, proportion_difference, rate_difference, wilson,
)
from qa_linter.store import open_store
from qa_linter.store.base import ScanResult

CST = timezone(timedelta(hours=8))
W47_MONDAY = datetime(2026, 11, 16, 9, tzinfo=CST)
W48_MONDAY = datetime(2026, 11, 23, 9, tzinfo=CST)


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


# -- the formulas ----------------------------------------------------------------------------------------------
def test_wilson_interval_matches_newcombe_1998():
    # Newcombe, Statistics in Medicine 17 (1998) 857-872, table I: 81/263 -> 0.2553 to 0.3662; 0/10 -> 0 to 0.2775.
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)


def test_difference_of_proportions_matches_newcombe_method_10():
    # Newcombe, Statistics in Medicine 17 (1998) 873-890, table II, method 10: 56/70 - 48/80 -> 0.0524 to 0.3339;
    # 9/10 - 3/10 -> 0.1705 to 0.8090.
    assert proportion_difference(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert proportion_difference(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=1e-4)
    assert proportion_difference(1, 0, 1, 2) is None


def test_means_rates_and_counts():
    low, high = mean_difference([90.0, 92.0, 94.0], [80.0, 82.0, 84.0])
    assert low > 0 and high < 20 and (low + high) / 2 == pytest.approx(10.0)
    assert mean_difference([90.0], [80.0, 82.0]) is None  # no variance from one value
    low, high = rate_difference(50, 100, 20, 100)  # 50 vs 20 per 100 messages
    assert low > 0 and (low + high) / 2 == pytest.approx(30.0)
    assert count_difference(7, 2)[0] < 0 < count_difference(30, 5)[0]  # +5 on 9 is noise; +25 on 35 is not


# -- the report over a store with known counts ------------------------------------------------------------------
def _result(conv_id: str, team: str, agent: str, start: datetime, passed: bool, score: float) -> ScanResult:
    text = "亲，不知道" if not passed else "您好，已为您处理"
    conv = conversation_from_dict({"id": conv_id, "agent": agent, "team": team, "started_at": start.isoformat(),
                                   "messages": [{"role": "customer", "text": "你好"}, {"role": "agent", "text": text}]})
    findings = [] if passed else [Finding(conv_id, 1, "agent", "slang-internet", "slang", Severity.ERROR, "网络用语「亲」",
                                          0, 1, "亲")]
    card = {"score": score, "passed": passed, "auto_fail": [],
            "sections": [{"id": "courtesy", "name": "礼貌规范", "categories": ["slang"], "points": 100,
                          "applicable": True, "findings": len(findings), "earned": score}]}
    return ScanResult(conv, findings, card, "p@1+a", "card@1+b", datetime(2026, 11, 30, tzinfo=timezone.utc))


def _week(monday: datetime, team: str, agent_of, outcomes: list[tuple[bool, float]], tag: str) -> list[ScanResult]:
    return [_result(f"{tag}-{team}-{i}", team, agent_of(i), monday + timedelta(minutes=7 * i), passed, score)
            for i, (passed, score) in enumerate(outcomes)]


def _store(results: list[ScanResult]) -> None:
    with open_store("store.db") as store:
        store.record_many(results)


def _report(tmp_path: Path) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["report", "weekly", "--store", "store.db", "--week", "2026-W48", "--out", "out"])
    assert result.exit_code == 0, result.output
    return (json.loads((tmp_path / "out" / "weekly-2026-W48.json").read_text(encoding="utf-8")),
            (tmp_path / "out" / "weekly-2026-W48.html").read_text(encoding="utf-8"))


@pytest.fixture
def world(tmp_path):
    """Team `big`: 30 conversations a week, from 9/30 passing to 27/30 (a real rise). Team `tiny`: 2 a week, from
    0/2 to 2/2 (a swing that Newcombe's test alone would call significant). Team `steady`: 12 a week, all passing,
    scores 90.00 and 90.02 on average (a change that rounds to 0)."""
    big_before = [(i < 9, 95.0 if i < 9 else 60.0 + i % 7) for i in range(30)]
    big_now = [(i < 27, 95.0 - i % 5 if i < 27 else 60.0) for i in range(30)]
    tiny_before, tiny_now = [(False, 50.0), (False, 55.0)], [(True, 96.0), (True, 98.0)]
    steady_before = [(True, 90.0)] * 12
    steady_now = [(True, 90.0)] * 11 + [(True, 90.24)]
    results = (_week(W47_MONDAY, "big", lambda i: f"big.{i % 3}", big_before, "a")
               + _week(W48_MONDAY, "big", lambda i: f"big.{i % 3}", big_now, "b")
               + _week(W47_MONDAY, "tiny", lambda i: "tiny.0", tiny_before, "a")
               + _week(W48_MONDAY, "tiny", lambda i: "tiny.0", tiny_now, "b")
               + _week(W47_MONDAY, "steady", lambda i: "steady.0", steady_before, "a")
               + _week(W48_MONDAY, "steady", lambda i: "steady.0", steady_now, "b"))
    _store(results)
    data, html = _report(tmp_path)
    return {"data": data, "html": html, "teams": {t["team"]: t for t in data["teams"]},
            "agents": {a["agent"]: a for a in data["agents"]}}


def test_a_real_rise_is_drawn_as_one(world):
    big = world["teams"]["big"]["changes"]["pass_rate"]
    assert big["change"] == pytest.approx(0.6) and big["significant"] is True and big["better"] is True
    assert world["teams"]["big"]["small_sample"] is False
    assert '<span class="up good" title="超出随机波动' in world["html"]


def test_a_two_conversation_swing_is_marked_small_and_never_a_trend(world):
    tiny = world["teams"]["tiny"]
    assert tiny["small_sample"] is True
    for metric in ("pass_rate", "average_score"):
        c = tiny["changes"][metric]
        assert c["direction"] == "up" and c["significant"] is False and c["better"] is None, metric
    assert tiny["changes"]["pass_rate"]["interval"][0] > 0  # the test alone would have called it a trend
    row = world["html"].split('data-v="tiny"', 1)[1].split("</tr>", 1)[0]
    assert "样本少" in row and "▲" not in row and "▼" not in row and "good" not in row
    assert "样本少，不判定升降" in row


def test_a_change_that_rounds_to_zero_is_flat_not_a_red_arrow(world):
    steady = world["teams"]["steady"]["changes"]["average_score"]
    assert 0 < steady["change"] < 0.05 and steady["direction"] == "flat" and steady["better"] is None
    row = world["html"].split('data-v="steady"', 1)[1].split("</tr>", 1)[0]
    assert "持平" in row and "▼" not in row and "▲" not in row and "bad" not in row


def test_the_headline_and_the_footnote(world):
    data, html = world["data"], world["html"]
    h = data["headline"]["pass_rate"]  # 29/44 against 9/44: a real rise
    assert h["significant"] is True and h["better"] is True
    assert data["noise"] == {"confidence": 0.95, "z": 1.96, "min_sample": 10}
    footnote = html.split('id="noise-rule"', 1)[1].split("</p>", 1)[0]
    for words in ("超出随机波动", "Wilson", "Newcombe", "Welch", "泊松", "少于 10 个会话", "样本少", "持平"):
        assert words in footnote, words


def test_coaching_lists_only_failed_conversations(world):
    worst = world["data"]["worst"]
    assert worst and all(w["passed"] is False for w in worst)
    assert {w["team"] for w in worst} == {"big"}  # tiny and steady passed everything this week
    assert {w["agent"] for w in worst} <= {a for a, row in world["agents"].items() if row["pass_rate"] < 1}


def test_a_week_where_everything_passed_lists_no_one_to_coach(tmp_path):
    _store(_week(W48_MONDAY, "t", lambda i: f"a.{i}", [(True, 92.0)] * 5, "b"))
    data, html = _report(tmp_path)
    assert data["worst"] == []
    assert "本期会话全部合格，没有需要辅导的会话。" in html
    text = CliRunner().invoke(main, ["report", "weekly", "--store", "store.db", "--week", "2026-W48", "--format", "text"])
    assert "最需辅导" not in text.output


def test_the_headline_text_never_shows_minus_zero(tmp_path):
    _store(_week(W47_MONDAY, "t", lambda i: "a", [(True, 90.0)] * 12, "a")
           + _week(W48_MONDAY, "t", lambda i: "a", [(True, 90.0)] * 11 + [(True, 89.9)], "b"))
    data, html = _report(tmp_path)
    h = data["headline"]["average_score"]
    assert h["change"] < 0 and h["direction"] == "flat"
    tile = html.split('id="h-average_score"', 1)[1].split("</div>\n    </div>", 1)[0]
    assert "持平" in tile and "-0.0" not in tile and "−0.0" not in tile and "▼" not in tile


@requires_chromium
def test_the_page_as_a_manager_sees_it(world, tmp_path):
    page_path = tmp_path / "out" / "weekly-2026-W48.html"
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_path.as_uri())
        tiny = page.locator("#teams tbody tr", has_text="tiny")
        assert tiny.locator(".badge.small-sample").is_visible()
        # Grey, not green: the tiny team's rise is drawn in the faint colour, with the reason on hover.
        noise = tiny.locator(".noise").first
        assert noise.get_attribute("title") == "样本少，不判定升降"
        colour = noise.evaluate("e => getComputedStyle(e).color")
        good = page.locator("#teams tbody tr", has_text="big").locator(".up.good").first
        assert good.is_visible() and good.evaluate("e => getComputedStyle(e).color") != colour
        assert page.locator("#noise-rule").is_visible()
        page.screenshot(path=str(tmp_path / "noise.png"), full_page=True)
        browser.close()
    assert (tmp_path / "noise.png").stat().st_size > 20_000

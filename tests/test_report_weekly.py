"""`qa-lint report weekly` over a store holding two ISO weeks of the sample corpus (W47, W48).

Every headline figure is checked against numbers computed here from the transcripts and the scan's own JSON
output, not from the store or the report code. Set QA_LINTER_UPDATE_SCREENSHOTS=1 to refresh
docs/img/weekly-report.png.
"""
from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from pathlib import Path
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from qa_linter.cli import main

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
# Every figure here is computed from the scan's own output, so any rule pack will do: the small test pack
# keeps these tests independent of the built-in one, except when refreshing the docs' screenshot.
UPDATE_SCREENSHOTS = bool(os.environ.get("QA_LINTER_UPDATE_SCREENSHOTS"))
TEST_PACK = [] if UPDATE_SCREENSHOTS else ["--no-builtin", "--rules", str(RULES)]
SHANGHAI = ZoneInfo("Asia/Shanghai")
from browser import launch_browser, requires_chromium
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def run(*args, expect: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def extra_conversations(corpus: list[dict]) -> list[dict]:
    """agent.09 works only in week 48; x-boundary starts Monday 06:30 in Shanghai (Sunday 22:30 UTC)."""
    newcomer = json.loads(json.dumps(next(c for c in corpus if c["id"] == "s-002")))
    newcomer.update(id="x-newcomer", agent="agent.09", team="t2", started_at="2026-11-24T10:00:00+08:00")
    for i, m in enumerate(newcomer["messages"]):
        m["ts"] = f"2026-11-24T10:{i:02d}:00+08:00"
    boundary = json.loads(json.dumps(next(c for c in corpus if c["id"] == "s-001")))
    boundary.update(id="x-boundary", started_at="2026-11-23T06:30:00+08:00")
    for i, m in enumerate(boundary["messages"]):
        m["ts"] = f"2026-11-23T06:{30 + i:02d}:00+08:00"
    return [newcomer, boundary]


@pytest.fixture(scope="module")
def world(tmp_path_factory, corpus_path):
    tmp = tmp_path_factory.mktemp("weekly")
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        corpus = [json.loads(line) for line in corpus_path.read_text(encoding="utf-8").splitlines()]
        extra = tmp / "extra.jsonl"
        extra.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in extra_conversations(corpus)) + "\n", encoding="utf-8")
        inputs = [corpus_path, extra]
        run("scan", *TEST_PACK, *inputs, "--store", "store.db", "--html", "cards", "--format", "json", "-o", "scan.json", expect=1)
        run("report", "weekly", "--store", "store.db", "--week", "2026-W48", "--scorecards", "cards", "--out", "report")
        transcripts = {c["id"]: c for c in [*corpus, *extra_conversations(corpus)]}
        scanned = json.loads((tmp / "scan.json").read_text(encoding="utf-8"))
    finally:
        os.chdir(cwd)
    return {"tmp": tmp, "inputs": inputs, "transcripts": transcripts, "scan": scanned,
            "report": json.loads((tmp / "report" / "weekly-2026-W48.json").read_text(encoding="utf-8"))}


@pytest.fixture
def in_world(world, monkeypatch):
    """Run from the folder holding the store (restored after the test)."""
    monkeypatch.chdir(world["tmp"])
    return world


def week_of(conv: dict, tz=SHANGHAI) -> str:
    year, week, _ = datetime.fromisoformat(conv["started_at"]).astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def expected_figures(world, week: str, tz=SHANGHAI, where=lambda conv: True) -> dict:
    """The headline figures of one week, computed from the transcripts and the scan's JSON output only."""
    records = {r["id"]: r for r in world["scan"]["conversations"]}
    ids = [i for i, c in world["transcripts"].items() if week_of(c, tz) == week and where(c)]
    scores = [records[i]["score"] for i in ids if records[i]["score"] is not None]
    judged = [i for i in ids if records[i]["passed"] is not None]
    findings = sum(records[i]["findings"] for i in ids)
    agent_messages = sum(1 for i in ids for m in world["transcripts"][i]["messages"] if m["role"] == "agent")
    return {
        "ids": set(ids),
        "conversations": len(ids),
        "pass_rate": sum(1 for i in judged if records[i]["passed"]) / len(judged) if judged else None,
        "average_score": mean(scores) if scores else None,
        "auto_fails": sum(1 for i in ids if records[i]["scorecard"]["auto_fail"]),
        "findings_per_100": 100 * findings / agent_messages if agent_messages else None,
        "findings": findings,
    }


def test_the_sample_spans_two_iso_weeks(world):
    weeks = {week_of(c) for c in world["transcripts"].values()}
    assert weeks == {"2026-W47", "2026-W48"}


def test_headline_figures_against_an_independent_count(world):
    report = world["report"]
    now, before = expected_figures(world, "2026-W48"), expected_figures(world, "2026-W47")
    assert now["conversations"] == 23 and before["conversations"] == 19  # 21 + newcomer + boundary; 19
    assert report["period"]["label"] == "2026-W48" and report["previous_period"]["label"] == "2026-W47"
    assert report["period"]["first_day"] == "2026-11-23" and report["period"]["last_day"] == "2026-11-29"
    better_when = {"conversations": None, "pass_rate": "up", "average_score": "up", "auto_fails": "down", "findings_per_100": "down"}
    # The export rounds rates to 4 decimals and scores to 2.
    tolerance = {"conversations": 0, "auto_fails": 0, "pass_rate": 6e-5, "average_score": 6e-3, "findings_per_100": 6e-3}
    for metric, good in better_when.items():
        h, tol = report["headline"][metric], tolerance[metric]
        assert h["current"] == pytest.approx(now[metric], abs=tol), metric
        assert h["previous"] == pytest.approx(before[metric], abs=tol), metric
        assert h["change"] == pytest.approx(now[metric] - before[metric], abs=2 * tol), metric
        direction = "up" if now[metric] > before[metric] + 1e-9 else "down" if now[metric] < before[metric] - 1e-9 else "flat"
        assert h["direction"] == direction, metric
        # Good or bad news only when the change is beyond noise: its 95 % interval leaves out 0.
        if good is not None:
            low, high = h["interval"]
            if metric == "auto_fails":  # compared as a share of the conversations
                assert h["interval_of"] == "auto_fail_rate"
                shown = now[metric] / now["conversations"] - before[metric] / before["conversations"]
            else:
                shown = h["change"]
            assert low <= shown <= high, metric
            assert h["significant"] == (low > 0 or high < 0) and h["small_sample"] is False, metric
        assert h["better"] == (direction == good if h["significant"] and good is not None else None), metric
    # The week's pass rate rose by 10 points on 19 and 23 conversations: within noise, so no good news yet.
    assert report["headline"]["pass_rate"]["direction"] == "up" and report["headline"]["pass_rate"]["significant"] is False


def test_an_agent_in_only_one_week(world, in_world):
    agents = {row["agent"]: row for row in world["report"]["agents"]}
    newcomer = agents["agent.09"]
    record = next(r for r in world["scan"]["conversations"] if r["id"] == "x-newcomer")
    assert newcomer["status"] == "new" and newcomer["team"] == "t2"
    assert (newcomer["conversations"], newcomer["previous_conversations"]) == (1, 0)
    assert newcomer["average_score"] == pytest.approx(record["score"]) and newcomer["score_change"] is None
    assert newcomer["previous_average_score"] is None and newcomer["pass_rate_change"] is None
    # An agent present in both weeks: change = this week's mean − last week's, from the scan output.
    expected = {w: expected_figures(world, w, where=lambda c: c["agent"] == "agent.03") for w in ("2026-W48", "2026-W47")}
    row = agents["agent.03"]
    assert row["status"] == "both" and row["conversations"] == expected["2026-W48"]["conversations"]
    assert row["score_change"] == pytest.approx(expected["2026-W48"]["average_score"] - expected["2026-W47"]["average_score"], abs=0.011)
    # The week after: agent.09 is listed as absent, with last week's figures.
    run("report", "weekly", "--store", "store.db", "--week", "2026-W49", "--out", "w49")
    later = json.loads((world["tmp"] / "w49" / "weekly-2026-W49.json").read_text(encoding="utf-8"))
    gone = next(r for r in later["agents"] if r["agent"] == "agent.09")
    assert gone["status"] == "absent" and gone["conversations"] == 0 and gone["previous_conversations"] == 1
    assert later["headline"]["conversations"]["current"] == 0 and later["headline"]["pass_rate"]["current"] is None


def test_teams_rules_and_worst_conversations(world):
    report, records = world["report"], {r["id"]: r for r in world["scan"]["conversations"]}
    teams = {row["team"]: row for row in report["teams"]}
    for team in ("t1", "t2"):
        exp = expected_figures(world, "2026-W48", where=lambda c: c["team"] == team)
        assert teams[team]["conversations"] == exp["conversations"]
        assert teams[team]["pass_rate"] == pytest.approx(exp["pass_rate"], abs=1e-4)
        assert teams[team]["average_score"] == pytest.approx(exp["average_score"], abs=0.006)
    now_ids = expected_figures(world, "2026-W48")["ids"]
    counts = {}
    for f in world["scan"]["findings"]:
        if f["conversation_id"] in now_ids:
            counts[f["rule"]] = counts.get(f["rule"], 0) + 1
    assert {r["rule"]: r["current"] for r in report["rules"]} == dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
    for rule in report["rules"]:
        assert 1 <= len(rule["examples"]) <= 2 and all(e["conversation_id"] in now_ids for e in rule["examples"])
    worst = report["worst"]
    # Only conversations that failed or were auto-failed, all of them up to ten: a passed one is no coaching case.
    failed = {i for i in now_ids if records[i]["passed"] is False or records[i]["scorecard"]["auto_fail"]}
    assert 0 < len(failed) < 10 and {w["id"] for w in worst} == failed
    assert all(w["passed"] is False or w["auto_fail"] for w in worst)
    agents = {row["agent"]: row for row in report["agents"]}
    assert all(agents[w["agent"]]["pass_rate"] < 1 for w in worst)  # never an agent whose conversations all passed
    auto = [w for w in worst if w["auto_fail"]]
    assert worst[: len(auto)] == auto  # auto-fails first
    rest = [w["score"] for w in worst[len(auto):]]
    assert rest == sorted(rest)
    assert all(w["href"] and (world["tmp"] / "report" / w["href"]).is_file() for w in worst)
    assert all(records[w["id"]]["score"] == w["score"] for w in worst)


def test_nothing_unmasked_in_the_report(world):
    text = "".join((world["tmp"] / "report" / name).read_text(encoding="utf-8-sig")
                   for name in ("weekly-2026-W48.html", "weekly-2026-W48.json", "weekly-2026-W48.csv"))
    corpus_text = " ".join(m["text"] for c in world["transcripts"].values() for m in c["messages"])
    for secret in ("13700001111", "137 0000 1111", "11010519491231002X", "13912345678"):
        if secret in corpus_text:
            assert secret not in text, secret


def test_trend_and_exports(world):
    report = world["report"]
    trend = {t["week"]: t["conversations"] for t in report["trend"]}
    assert list(trend)[-1] == "2026-W48" and len(trend) == 8
    assert trend["2026-W47"] == 19 and trend["2026-W48"] == 23 and sum(trend.values()) == 42
    with open(world["tmp"] / "report" / "weekly-2026-W48.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    headline = {r["metric"]: r for r in rows if r["table"] == "headline"}
    assert float(headline["average_score"]["current"]) == report["headline"]["average_score"]["current"]
    assert int(headline["conversations"]["change"]) == 4
    assert headline["conversations"]["beyond_noise"] == "" and headline["pass_rate"]["beyond_noise"] == "false"
    assert {r["group"] for r in rows if r["table"] == "agent"} >= {"agent.09", "agent.01"}


def test_rescanning_leaves_every_figure_unchanged(world, in_world):
    run("scan", *TEST_PACK, *world["inputs"], "--store", "store.db", "-q", expect=1)
    run("report", "weekly", "--store", "store.db", "--week", "2026-W48", "--scorecards", "cards", "--out", "again")
    again = json.loads((world["tmp"] / "again" / "weekly-2026-W48.json").read_text(encoding="utf-8"))
    first = dict(world["report"])
    for doc in (again, first):
        doc.pop("generated_at")
    assert again == first


def test_transcripts_mode_gives_the_same_figures(world, in_world):
    run("report", "weekly", *TEST_PACK, *world["inputs"], "--week", "2026-W48", "--out", "direct")
    direct = json.loads((world["tmp"] / "direct" / "weekly-2026-W48.json").read_text(encoding="utf-8"))
    assert direct["headline"] == world["report"]["headline"] and direct["agents"] == world["report"]["agents"]


def test_time_zone_and_date_range(world, in_world):
    run("report", "weekly", "--store", "store.db", "--week", "2026-W48", "--timezone", "UTC", "--out", "utc")
    utc = json.loads((world["tmp"] / "utc" / "weekly-2026-W48.json").read_text(encoding="utf-8"))
    exp = expected_figures(world, "2026-W48", tz=ZoneInfo("UTC"))
    assert "x-boundary" not in exp["ids"] and utc["headline"]["conversations"]["current"] == exp["conversations"] == 22
    assert utc["timezone"] == "UTC"
    run("report", "weekly", "--store", "store.db", "--from", "2026-11-23", "--to", "2026-11-29", "--out", "range")
    ranged = json.loads((world["tmp"] / "range" / "weekly-2026-W48.json").read_text(encoding="utf-8"))
    assert ranged["headline"] == world["report"]["headline"]
    run("report", "weekly", "--store", "store.db", "--from", "2026-11-16", "--to", "2026-11-29", "--out", "fortnight")
    fortnight = json.loads((world["tmp"] / "fortnight" / "weekly-2026-11-16_2026-11-29.json").read_text(encoding="utf-8"))
    assert fortnight["headline"]["conversations"]["current"] == 42
    assert fortnight["previous_period"]["first_day"] == "2026-11-02"


def test_text_summary(world, in_world):
    out = run("report", "weekly", "--store", "store.db", "--week", "2026-W48", "--format", "text").stdout
    lines = out.splitlines()
    assert lines[0] == "质检周报 2026-W48（2026-11-23 – 2026-11-29，Asia/Shanghai）"
    row = next(line for line in lines if line.startswith("质检会话"))
    assert row.split() == ["质检会话", "23", "19", "+4", "↑"]
    row = next(line for line in lines if line.startswith("合格率"))
    assert "（波动范围内）" in row and "↑" not in row  # a rise within noise is not drawn as a trend
    assert any("样本少" in line and line.strip().startswith("agent.") for line in lines)
    assert any("agent.09" in line and "新" in line for line in lines)


@pytest.mark.parametrize("args, message", [
    (["--week", "2026-W54"], "2026-W54 is not an ISO week (2026 has 53 weeks)"),
    (["--week", "47"], "--week '47': use an ISO week such as 2026-W47"),
    (["--timezone", "Mars/Base"], "unknown time zone 'Mars/Base'"),
    (["--week", "2026-W47", "--from", "2026-11-16"], "give either --week or --from/--to, not both"),
    (["--from", "2026-11-16"], "--from and --to go together"),
    (["--from", "2026-11-20", "--to", "2026-11-16"], "--to 2026-11-16 is before --from 2026-11-20"),
])
def test_mistakes_are_exit_2_with_a_reason(world, in_world, args, message):
    result = CliRunner().invoke(main, ["report", "weekly", "--store", "store.db", *args])
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize("args, message", [
    (["--week", "0001-W01"], "0001-W01: too close to the ends of the calendar"),
    (["--week", "9999-W52"], "9999-W52 is outside the calendar qa-linter can work with"),
    (["--week", "0000-W01"], "0000-W01: the year must be between 0001 and 9999"),
    (["--from", "0001-01-01", "--to", "0001-01-03"], "0001-01-01 – 0001-01-03: too close to the ends of the calendar"),
    (["--from", "9999-12-20", "--to", "9999-12-31"], "--to 9999-12-31: too close to the end of the calendar"),
])
def test_periods_at_the_ends_of_the_calendar_are_exit_2_with_a_reason(world, in_world, args, message):
    result = CliRunner().invoke(main, ["report", "weekly", "--store", "store.db", "--format", "text", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and message in result.output, result.output


def test_missing_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", "weekly", "--week", "2026-W48"])
    assert result.exit_code == 2 and "no results store: give --store PATH" in result.output
    result = CliRunner().invoke(main, ["report", "weekly", "--store", "nope.db", "--week", "2026-W48"])
    assert result.exit_code == 2 and "nope.db: no such results store" in result.output


@requires_chromium
def test_the_page_in_chromium(world, tmp_path):
    page_path = world["tmp"] / "report" / "weekly-2026-W48.html"
    target = DOCS_IMG if UPDATE_SCREENSHOTS else tmp_path
    with launch_browser() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        requests, errors = [], []
        context.route("**/*", lambda route: (requests.append(route.request.url),
                                             route.continue_() if route.request.url.startswith("file://") else route.abort()))
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        assert page.locator("#h-conversations .value").text_content() == "23"
        assert page.locator("svg.trend circle.dot.score").count() == 2
        # Sort the agent table by conversations, descending.
        page.click("#agents th:has-text('会话')")
        counts = [int(v) for v in page.locator("#agents tbody tr td:nth-child(3)").all_text_contents()]
        assert counts == sorted(counts, reverse=True)
        target.mkdir(parents=True, exist_ok=True)
        page.click("#agents th:has-text('平均分')")
        page.click("#agents th:has-text('平均分')")  # ascending: the agents to talk to first
        page.screenshot(path=str(target / "weekly-report.png"), full_page=True)
        # A link of the worst-conversations table opens its scorecard page.
        page.locator("#worst a").first.click()
        assert "质检评分卡" in page.title()
        browser.close()
    assert requests[0] == page_path.as_uri() and all(r.startswith("file://") for r in requests)
    assert errors == []
    assert (target / "weekly-report.png").stat().st_size > 50_000


def test_hostile_names_are_escaped_in_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    conv = {"id": f"{payload}-1", "agent": payload, "team": payload, "started_at": "2026-11-24T10:00:00+08:00",
            "messages": [{"role": "customer", "text": "太慢了"}, {"role": "agent", "text": f"亲{payload}"}]}
    Path("hostile.jsonl").write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    run("report", "weekly", *TEST_PACK, "hostile.jsonl", "--week", "2026-W48", "--out", "out")
    html = (tmp_path / "out" / "weekly-2026-W48.html").read_text(encoding="utf-8")
    assert html.count("<script") == 1 and "<img" not in html and "onerror=alert" in html  # as escaped text only
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;" in html

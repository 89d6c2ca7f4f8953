"""`qa-lint replay`: re-scanning stored transcripts with changed rules, against two independent scans.

Every expected figure comes from scanning the original corpus twice (the stored configuration and the changed
one) and comparing the JSON outputs here; the replay itself reads only the store.
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

import pytest

from browser import launch_browser, requires_chromium
from review_helpers import CORPUS, filled, read_csv_sheet, run, scan_into, write_csv_sheet

REMOVED = "pii-mobile"  # an auto-fail rule: removing it flips conversations


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        before = scan_into(tmp / "store.db", output=tmp / "before.json")
        run("scan", CORPUS, "--ignore", REMOVED, "--format", "json", "-o", tmp / "after.json", expect=None)
        after = json.loads((tmp / "after.json").read_text(encoding="utf-8"))
        # Reviewers confirm every pii-mobile finding and reject one slang finding.
        run("review", "sample", "--store", "store.db", "--per-agent", "10", "--seed", "1", "-o", "sheet.csv")
        rows = read_csv_sheet(tmp / "sheet.csv")
        verdicts = {r["finding_id"]: "correct" for r in rows if r["rule"] == REMOVED}
        wrong = next(r for r in rows if r["rule"] == "slang-internet")
        verdicts[wrong["finding_id"]] = "wrong"
        write_csv_sheet(tmp / "filled.csv", filled(rows, "li.na", verdicts))
        run("review", "import", "filled.csv", "--store", "store.db")
        data = json.loads(run("replay", "--store", "store.db", "--ignore", REMOVED, "--format", "json", "--html", "out/").stdout)
    finally:
        os.chdir(cwd)
    return {"tmp": tmp, "before": before, "after": after, "replay": data, "verdicts": verdicts}


def by_id(scan: dict) -> dict:
    return {c["id"]: c for c in scan["conversations"]}


def test_removing_a_rule_removes_exactly_its_findings(world):
    replay = world["replay"]
    expected = [f for f in world["before"]["findings"] if f["rule"] == REMOVED]
    assert expected
    rules = {r["rule"]: r for r in replay["rules"]}
    assert rules[REMOVED]["removed"] == len(expected) and rules[REMOVED]["after"] == 0 and rules[REMOVED]["added"] == 0
    assert [r for r in replay["rules"] if r["added"] or r["removed"]] == [rules[REMOVED]]
    assert replay["findings"] == {"before": len(world["before"]["findings"]), "after": len(world["after"]["findings"]),
                                  "added": 0, "removed": len(expected)}
    examples = rules[REMOVED]["examples_removed"]
    assert examples and all((e["conversation_id"], e["message_index"]) in {(f["conversation_id"], f["message_index"]) for f in expected}
                            for e in examples)
    assert all("*" in e["parts"][1] for e in examples)  # the hit is shown masked


def test_flips_and_score_changes_match_two_scans(world):
    before, after = by_id(world["before"]), by_id(world["after"])
    flipped = {i for i in before if before[i]["passed"] != after[i]["passed"]}
    assert flipped and {c["id"] for c in world["replay"]["flips"]} == flipped
    for c in world["replay"]["flips"]:
        assert (c["score_before"], c["passed_before"]) == (before[c["id"]]["score"], before[c["id"]]["passed"])
        assert (c["score_after"], c["passed_after"]) == (after[c["id"]]["score"], after[c["id"]]["passed"])
        assert c["removed"] == [[REMOVED, sum(1 for f in world["before"]["findings"] if f["conversation_id"] == c["id"] and f["rule"] == REMOVED)]]
    corpus = {json.loads(l)["id"]: json.loads(l) for l in CORPUS.read_text(encoding="utf-8").splitlines()}
    for key in ("team", "agent"):
        groups = defaultdict(list)
        for conv_id, conv in corpus.items():
            groups[conv[key]].append(conv_id)
        rows = {r[key]: r for r in world["replay"][f"{key}s"]}
        assert set(rows) == set(groups)
        for name, ids in groups.items():
            b = mean(before[i]["score"] for i in ids if before[i]["score"] is not None)
            a = mean(after[i]["score"] for i in ids if after[i]["score"] is not None)
            assert rows[name]["average_score_before"] == pytest.approx(b, abs=0.006)
            assert rows[name]["average_score_after"] == pytest.approx(a, abs=0.006)
            assert rows[name]["flipped"] == sum(1 for i in ids if i in flipped)


def test_precision_on_reviewed_findings(world):
    p = world["replay"]["precision"]
    confirmed = sum(1 for v in world["verdicts"].values() if v == "correct")
    # Before: every pii-mobile finding confirmed plus one rejected slang finding; after: the slang one is left.
    assert p["before"] == {"n": confirmed + 1, "correct": confirmed, "wrong": 1, "precision": round(confirmed / (confirmed + 1), 4),
                           "ci_low": p["before"]["ci_low"], "ci_high": p["before"]["ci_high"]}
    assert (p["after"]["n"], p["after"]["correct"], p["after"]["precision"]) == (1, 0, 0.0)
    assert (p["removed_correct"], p["removed_wrong"], p["added_reviewed"], p["added_unreviewed"]) == (confirmed, 0, 0, 0)


def test_an_unchanged_configuration_replays_to_no_difference(world, monkeypatch):
    monkeypatch.chdir(world["tmp"])
    data = json.loads(run("replay", "--store", "store.db", "--format", "json").stdout)
    assert data["findings"]["added"] == data["findings"]["removed"] == data["flipped"] == 0
    assert data["conversations"] == 40 and data["without_transcript"] == 0
    assert all(r["score_change"] == 0 for r in data["agents"])
    text = run("replay", "--store", "store.db").output
    assert "没有规则的结果发生变化" in text and "合格与否改变的会话 0 个" in text


def test_a_new_rule_pack_adds_its_findings(world, tmp_path, monkeypatch):
    monkeypatch.chdir(world["tmp"])
    pack = tmp_path / "extra.yaml"
    pack.write_text("""\
rules:
  - id: no-wait-phrase
    type: phrases
    category: banned-phrase
    severity: warning
    manual: "2.3"
    message: "请不要说「{match}」"
    terms: [稍等]
    examples:
      flag: [请稍等]
      pass: [马上为您处理]
""", encoding="utf-8")
    run("scan", CORPUS, "--rules", pack, "--format", "json", "-o", tmp_path / "new.json", expect=None)
    new = [f for f in json.loads((tmp_path / "new.json").read_text(encoding="utf-8"))["findings"] if f["rule"] == "no-wait-phrase"]
    data = json.loads(run("replay", "--store", "store.db", "--rules", pack, "--format", "json").stdout)
    rule = next(r for r in data["rules"] if r["rule"] == "no-wait-phrase")
    assert new and (rule["before"], rule["after"], rule["added"], rule["removed"]) == (0, len(new), len(new), 0)
    assert data["findings"]["added"] == len(new) and data["findings"]["removed"] == 0
    assert data["precision"]["added_unreviewed"] == len(new)


def test_week_and_conversations_without_transcripts(world, tmp_path):
    store = tmp_path / "store.db"
    with sqlite3.connect(world["tmp"] / "store.db") as source, sqlite3.connect(store) as copy:
        source.backup(copy)
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM transcripts WHERE conversation_id IN ('s-001', 's-002')")
    data = json.loads(run("replay", "--store", store, "--week", "2026-W47", "--format", "json").stdout)
    week = [c for c in world["before"]["conversations"]]
    corpus = [json.loads(l) for l in CORPUS.read_text(encoding="utf-8").splitlines()]
    in_week = [c["id"] for c in corpus if "2026-11-16" <= c["started_at"][:10] <= "2026-11-22"]
    missing = [i for i in ("s-001", "s-002") if i in in_week]
    assert data["scope"] == "2026-W47" and data["conversations"] == len(in_week) - len(missing)
    assert data["without_transcript"] == len(missing) and week


def test_suppressions_apply_to_the_replay(world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scan_into(Path("store.db"))
    target = next(f for f in world["before"]["findings"] if f["rule"] == "slang-internet")
    Path("qa-linter-suppressions.yaml").write_text(
        f"suppressions:\n  - {{conversation: {target['conversation_id']}, rule: slang-internet, message_index: {target['message_index']}, "
        f"text: '{target['text']}', who: li.na, why: 昵称, when: 2026-11-30}}\n", encoding="utf-8")
    data = json.loads(run("replay", "--store", "store.db", "--format", "json").stdout)
    rule = next(r for r in data["rules"] if r["rule"] == "slang-internet")
    assert (data["suppressed"], rule["removed"], rule["added"]) == (1, 1, 0)  # the store was filled without it
    scan_into(Path("store.db"))  # now the store holds the suppressed view
    data = json.loads(run("replay", "--store", "store.db", "--format", "json").stdout)
    assert (data["suppressed"], data["findings"]["added"], data["findings"]["removed"]) == (1, 0, 0)
    data = json.loads(run("replay", "--store", "store.db", "--no-suppress", "--format", "json").stdout)
    assert (data["suppressed"], data["findings"]["added"], data["findings"]["removed"]) == (0, 1, 0)


def test_text_output_and_mistakes(world, monkeypatch):
    monkeypatch.chdir(world["tmp"])
    text = run("replay", "--store", "store.db", "--ignore", REMOVED).output
    assert f"{REMOVED}" in text and "消失" in text and "合格与否改变的会话" in text and "在已复核问题上的准确率" in text
    assert "no such results store" in run("replay", "--store", "missing.db", expect=2).output
    # a selection that names no rule is a usage error (issue 19), not a replay of nothing
    assert "'nothing-like-this' is no rule id or category" in run(
        "replay", "--store", "store.db", "--select", "nothing-like-this", "--format", "json", expect=2).output


def test_hostile_names_are_escaped_in_the_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    conv = {"id": f"{payload}-1", "agent": payload, "team": payload, "started_at": "2026-11-24T10:00:00+08:00",
            "messages": [{"role": "customer", "text": "太慢了"}, {"role": "agent", "text": f"亲{payload} 手机13912345678"}]}
    Path("h.jsonl").write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    scan_into(Path("s.db"), inputs=["h.jsonl"])
    run("replay", "--store", "s.db", "--ignore", "pii-mobile", "--html", "r.html")
    html = Path("r.html").read_text(encoding="utf-8")
    assert html.count("<script") == 2 and "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "13912345678" not in html and "139****5678" in html


@requires_chromium
def test_the_replay_page_in_chromium(world):
    page_path = world["tmp"] / "out" / "replay-all.html"
    flips = world["replay"]["flips"]
    with launch_browser() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        requests, errors = [], []
        context.route("**/*", lambda route: (requests.append(route.request.url),
                                             route.continue_() if route.request.url.startswith("file://") else route.abort()))
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        assert page.locator("#t-removed .value").text_content() == str(world["replay"]["findings"]["removed"])
        assert page.locator("#t-flipped .value").text_content() == str(len(flips))
        assert page.locator("#rules tbody tr").first.get_attribute("data-rule") == REMOVED
        assert page.locator("#rules tbody tr").first.locator("mark").count() >= 1  # the removed hits, highlighted
        # Sort the rules table by findings before, descending.
        page.click("#rules th:has-text('原')")
        counts = [int(v) for v in page.locator("#rules tbody tr td:nth-child(3)").all_text_contents()]
        assert counts == sorted(counts, reverse=True)
        # The filter keeps the flipped conversations of one agent.
        agent = flips[0]["agent"]
        page.fill("#flip-filter", agent)
        visible = [row for row in page.locator("#flips tbody tr").all() if row.is_visible()]
        assert len(visible) == sum(1 for c in flips if agent in c["agent"] or agent in c["id"] or agent in c["team"])
        page.fill("#flip-filter", "no-such-agent")
        assert not any(row.is_visible() for row in page.locator("#flips tbody tr").all())
        # Agents sorted by score change, largest rise first (a number column sorts descending on the first click).
        page.click("#agents th:has-text('变化')")
        changes = [float(c.get_attribute("data-v")) for c in page.locator("#agents tbody tr td:nth-child(5)").all()]
        assert changes == sorted(changes, reverse=True) and changes[0] > 0
    assert requests[0] == page_path.as_uri() and all(r.startswith("file://") for r in requests)
    assert errors == []

"""`qa-lint review stats` over imported sheets: the figures of a hand-made verdict table, --export-labels into
calibrate, and the three output formats."""
from __future__ import annotations

import json

import pytest

from review_helpers import CORPUS, filled, read_csv_sheet, run, scan_into, write_csv_sheet

C, W = "correct", "wrong"
# Three reviewers, five findings (the first five of the sheet); majority by hand: C C W W C.
TABLE = [(C, C, C), (C, W, C), (W, W, W), (C, W, W), (C, C, W)]
REVIEWERS = ("li.na", "wang.fang", "zhao.lei")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stats")
    store = tmp / "store.db"
    scan_into(store)
    run("review", "sample", "--store", store, "--per-agent", "1", "--all-auto-fail", "--seed", "11", "-o", tmp / "sheet.csv")
    rows = read_csv_sheet(tmp / "sheet.csv")
    # The five judged findings: every finding of one conversation (A, 3 or 4 findings: it can be exported as
    # gold labels; one label per finding, so its third finding, rejected, is a false positive for calibrate) and
    # the first of another (B, with findings left unjudged: it cannot).
    by_conv: dict[str, list[dict]] = {}
    for r in rows:
        if r["finding_id"]:
            by_conv.setdefault(r["conversation_id"], []).append(r)
    a = next(c for c, found in by_conv.items()
             if 3 <= len(found) <= 4 and len({(r["message_index"], r["category"]) for r in found}) == len(found))
    b = next(c for c, found in by_conv.items() if c != a and len(found) > 5 - len(by_conv[a]))
    chosen = by_conv[a] + by_conv[b][:5 - len(by_conv[a])]
    for k, reviewer in enumerate(REVIEWERS):
        verdicts = {r["finding_id"]: labels[k] for r, labels in zip(chosen, TABLE)}
        sheet = filled(rows, reviewer, verdicts, {chosen[2]["finding_id"]: f"{reviewer} 认为不算"})
        write_csv_sheet(tmp / f"{reviewer}.csv", sheet)
    # li.na also reports a miss in conversation A.
    miss = next(r for r in rows if not r["finding_id"] and r["conversation_id"] == chosen[0]["conversation_id"])
    extra = dict(miss, verdict="missed", reviewer="li.na", category="greeting-missing", message_index="1", note="没有问候")
    write_csv_sheet(tmp / "li.na.csv", [*read_csv_sheet(tmp / "li.na.csv"), extra])
    run("review", "import", *[tmp / f"{r}.csv" for r in REVIEWERS], "--store", store)
    stats = json.loads(run("review", "stats", "--store", store, "--format", "json").stdout)
    return {"tmp": tmp, "store": store, "chosen": chosen, "stats": stats, "miss": extra, "a": a, "b": b}


def test_precision_per_rule_matches_the_hand_count(world):
    stats, chosen = world["stats"], world["chosen"]
    majority = [C, C, W, W, C]
    expected: dict[str, list[int]] = {}
    for row, verdict in zip(chosen, majority):
        expected.setdefault(row["rule"], [0, 0])[0 if verdict == C else 1] += 1
    assert {r["rule"]: [r["correct"], r["wrong"]] for r in stats["rules"]} == expected
    for r in stats["rules"]:
        assert r["n"] == sum(expected[r["rule"]]) and r["precision"] == pytest.approx(expected[r["rule"]][0] / r["n"], abs=1e-4)
        assert 0 <= r["ci_low"] <= r["precision"] <= r["ci_high"] <= 1
    o = stats["overall"]
    assert (o["n"], o["correct"], o["wrong"], o["precision"]) == (5, 3, 2, 0.6)
    assert (o["ci_low"], o["ci_high"]) == (pytest.approx(0.2307, abs=1e-4), pytest.approx(0.8824, abs=1e-4))
    assert o["missed"] == 1 and {c["category"]: c["missed"] for c in stats["categories"]}["greeting-missing"] == 1
    assert stats["conversations"] == len({r["conversation_id"] for r in chosen}) and stats["findings_judged"] == 5


def test_kappa_matches_the_hand_count(world):
    pairs = {tuple(p["reviewers"]): p for p in world["stats"]["reviewer_pairs"]}
    # li.na C C W C C, wang.fang C W W W C, zhao.lei C C W W W (worked out in test_review_agreement.py)
    assert pairs[("li.na", "wang.fang")]["kappa"] == pytest.approx(0.16 / 0.56, abs=1e-4)
    assert pairs[("li.na", "zhao.lei")]["kappa"] == pytest.approx(0.16 / 0.56, abs=1e-4)
    assert pairs[("wang.fang", "zhao.lei")]["kappa"] == pytest.approx(0.08 / 0.48, abs=1e-4)
    assert all(p["items"] == 5 and p["observed"] == 0.6 for p in pairs.values())
    fleiss = world["stats"]["fleiss"]
    assert (fleiss["items"], fleiss["raters_per_finding"]) == (5, 3) and fleiss["kappa"] == pytest.approx(22 / 112, abs=1e-4)
    li = next(r for r in world["stats"]["machine_vs_reviewer"] if r["reviewer"] == "li.na")
    # li.na: 4 confirmed, 1 rejected, 1 miss -> 8 / (8 + 1 + 1)
    assert (li["judged"], li["precision"], li["positive_agreement"]) == (5, 0.8, 0.8)


def test_text_and_html(world):
    text = run("review", "stats", "--store", world["store"]).output
    assert "总体准确率 60.0%（95% 置信区间 23–88%，n=5" in text
    assert "li.na / wang.fang: kappa 0.286" in text and "Fleiss' kappa 0.196" in text
    out = world["tmp"] / "stats.html"
    run("review", "stats", "--store", world["store"], "--format", "html", "-o", out)
    html = out.read_text(encoding="utf-8")
    assert 'id="t-precision"' in html and "60.0%" in html and html.count("<script") == 1
    assert '<td class="num">5</td><td class="num">60.0%</td>' in html  # a pair: 5 findings in common, 60 % alike
    assert "Fleiss' kappa <b>0.196</b>：5 条问题，各由 3 位复核员判定" in html


def test_week_scope(world):
    weeks = {}
    for week in ("2026-W47", "2026-W48"):
        weeks[week] = json.loads(run("review", "stats", "--store", world["store"], "--week", week, "--format", "json").stdout)
    assert weeks["2026-W47"]["scope"] == "2026-W47"
    assert weeks["2026-W47"]["findings_judged"] + weeks["2026-W48"]["findings_judged"] == 5


def test_exported_labels_are_accepted_by_calibrate(world):
    labels = world["tmp"] / "gold.jsonl"
    result = run("review", "stats", "--store", world["store"], "--format", "json", "--export-labels", labels)
    [line] = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    # Only A is fully reviewed; B has findings without a verdict (calibrate would count them as false positives).
    assert line["id"] == world["a"] and f"not exported: {world['b']}:" in result.output
    judged = [(r, v) for r, v in zip(world["chosen"], [C, C, W, W, C]) if r["conversation_id"] == world["a"]]
    confirmed = {(int(r["message_index"]), r["category"]) for r, v in judged if v == C}
    rejected = {(int(r["message_index"]), r["category"]) for r, v in judged if v == W} - confirmed
    assert confirmed and rejected
    assert {(f["message_index"], f["category"]) for f in line["findings"]} == confirmed | {(1, "greeting-missing")}
    assert {"message_index": 1, "category": "greeting-missing", "note": "li.na: 没有问候"} in line["findings"]
    cal = json.loads(run("calibrate", CORPUS, "--gold", labels, "--format", "json").stdout)
    # By hand: each confirmed finding is a TP, each rejected one an FP, the reported miss an FN.
    assert cal["conversations"] == 1
    assert (cal["micro"]["tp"], cal["micro"]["fp"], cal["micro"]["fn"]) == (len(confirmed), len(rejected), 1)

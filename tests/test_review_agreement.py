"""The review statistics' arithmetic against cases worked out by hand (the working is in the comments)."""
from __future__ import annotations

import pytest

from qa_linter.review.agreement import cohen_kappa, fleiss_kappa, positive_agreement, wilson
from qa_linter.review.stats import build_stats, consensus, export_labels
from qa_linter.store.review_tables import StoredMiss, StoredVerdict

C, W = "correct", "wrong"


def test_wilson_interval():
    # 8 of 10, z = 1.96: centre (0.8 + 3.8415/20) / 1.38415 = 0.71674,
    # half 1.95996/1.38415 * sqrt(0.016 + 3.8415/400) = 0.22658 -> 0.49016 .. 0.94332
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.49016, abs=5e-5) and high == pytest.approx(0.94332, abs=5e-5)
    # All or nothing still gives a real interval: 0 of 5 -> 0 .. z²/(n+z²) = 3.8415/8.8415 = 0.43448
    assert wilson(0, 5) == pytest.approx((0.0, 0.43448), abs=5e-5)
    assert wilson(5, 5) == pytest.approx((0.56552, 1.0), abs=5e-5)
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_cohen_kappa():
    # 10 findings: both correct 6, A correct / B wrong 1, A wrong / B correct 1, both wrong 2.
    # p_o = 8/10; A and B each 7 correct, 3 wrong: p_e = 0.7² + 0.3² = 0.58; κ = 0.22 / 0.42 = 0.5238
    pairs = [(C, C)] * 6 + [(C, W), (W, C)] + [(W, W)] * 2
    k = cohen_kappa(pairs)
    assert (k.items, k.observed, k.expected) == (10, pytest.approx(0.8), pytest.approx(0.58))
    assert k.kappa == pytest.approx(0.22 / 0.42)
    # Perfect agreement with both labels used: κ = 1; systematic disagreement: p_o = 0, p_e = 0.5, κ = -1.
    assert cohen_kappa([(C, C), (W, W)]).kappa == pytest.approx(1.0)
    assert cohen_kappa([(C, W), (W, C)]).kappa == pytest.approx(-1.0)
    # Both raters said "correct" to everything: p_e = 1, chance explains it all, κ is undefined.
    assert cohen_kappa([(C, C)] * 4).kappa is None
    assert cohen_kappa([]).items == 0


def test_fleiss_kappa():
    # 3 findings, 3 raters: [C C C], [C C W], [W W W].
    # P_i = 1, (4 + 1 - 3)/6 = 1/3, 1 -> P̄ = 7/9; p_C = 5/9, p_W = 4/9 -> P_e = 41/81; κ = (63-41)/(81-41) = 0.55
    k = fleiss_kappa([[C, C, C], [C, C, W], [W, W, W]])
    assert k.observed == pytest.approx(7 / 9) and k.expected == pytest.approx(41 / 81)
    assert k.kappa == pytest.approx(0.55)
    # Fleiss (1971) / Wikipedia: 10 subjects, 14 raters, 5 categories -> P̄ = 0.378, P_e = 0.213, κ = 0.210
    table = [(0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
             (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7)]
    items = [[k for k, n in enumerate(row) for _ in range(n)] for row in table]
    k = fleiss_kappa(items)
    assert k.observed == pytest.approx(0.378, abs=5e-4) and k.expected == pytest.approx(0.2128, abs=5e-4)
    assert k.kappa == pytest.approx(0.210, abs=5e-4)
    with pytest.raises(ValueError):
        fleiss_kappa([[C, C], [C, C, W]])


def test_positive_agreement():
    # a = 6 confirmed, b = 2 rejected, c = 2 missed: 12 / (12 + 4) = 0.75
    assert positive_agreement(6, 2, 2) == pytest.approx(0.75)
    assert positive_agreement(0, 0, 0) is None


def verdict(finding, reviewer, label, rule="r1", category="cat-a", conv="c1", index=1, note=""):
    return StoredVerdict(finding, reviewer, conv, index, rule, category, finding, label, note, "2026-11-30T00:00:00+00:00", "s.xlsx:2")


# Five findings judged by three reviewers (A, B, C); majority verdicts by hand:
#   f1 C C C -> correct   f2 C W C -> correct   f3 W W W -> wrong   f4 C W W -> wrong   f5 C C W -> correct
TABLE = {"f1": (C, C, C), "f2": (C, W, C), "f3": (W, W, W), "f4": (C, W, W), "f5": (C, C, W)}
RULES = {"f1": "r1", "f2": "r1", "f3": "r1", "f4": "r2", "f5": "r2"}


def table_verdicts():
    return [verdict(f, reviewer, label, rule=RULES[f], conv="c1" if f < "f4" else "c2", index=int(f[1]))
            for f, labels in TABLE.items() for reviewer, label in zip("ABC", labels)]


def test_precision_and_kappa_of_a_hand_made_table():
    misses = [StoredMiss("c1", 3, "cat-b", "A", "", "t", "s:9"), StoredMiss("c1", 3, "cat-b", "B", "", "t", "s:9"),
              StoredMiss("c2", 0, "cat-a", "C", "", "t", "s:9")]
    stats = build_stats(table_verdicts(), misses).to_dict()
    rules = {r["rule"]: r for r in stats["rules"]}
    # r1: f1 correct, f2 correct, f3 wrong -> 2/3; r2: f4 wrong, f5 correct -> 1/2
    assert (rules["r1"]["correct"], rules["r1"]["wrong"], rules["r1"]["precision"]) == (2, 1, pytest.approx(0.6667, abs=1e-4))
    assert (rules["r2"]["correct"], rules["r2"]["wrong"], rules["r2"]["precision"]) == (1, 1, 0.5)
    # overall 3 of 5; Wilson (0.2307, 0.8824)
    o = stats["overall"]
    assert (o["n"], o["precision"], o["ci_low"], o["ci_high"]) == (5, 0.6, pytest.approx(0.2307, abs=1e-4), pytest.approx(0.8824, abs=1e-4))
    # Misses: (c1, 3, cat-b) reported twice counts once; (c2, 0, cat-a) once -> 2 distinct
    assert o["missed"] == 2
    assert {c["category"]: c["missed"] for c in stats["categories"]} == {"cat-a": 1, "cat-b": 1}
    # Positive agreement of the majority: a = 3, b = 2, c = 2 -> 6 / 10
    assert o["positive_agreement"] == 0.6
    # Reviewer A: 4 correct, 1 wrong, 1 miss -> precision 0.8, agreement 8 / (8 + 1 + 1) = 0.8
    a = next(r for r in stats["machine_vs_reviewer"] if r["reviewer"] == "A")
    assert (a["correct"], a["wrong"], a["missed"], a["precision"], a["positive_agreement"]) == (4, 1, 1, 0.8, 0.8)
    # Cohen, A/B: pairs CC CW WW CW CC: p_o = 3/5; A 4C 1W, B 2C 3W: p_e = (8 + 3)/25; κ = 0.16/0.56
    # A/C: CC CC WW CW CW: p_o = 3/5; C 2C 3W: p_e = (4·2 + 1·3)/25 = 0.44; κ = 0.16/0.56
    # B/C: CC WC WW WW CW: p_o = 3/5; both 2C 3W: p_e = (4 + 9)/25 = 0.52; κ = 0.08/0.48
    kappas = {tuple(p["reviewers"]): p["kappa"] for p in stats["reviewer_pairs"]}
    assert kappas == {("A", "B"): pytest.approx(0.16 / 0.56, abs=1e-4), ("A", "C"): pytest.approx(0.16 / 0.56, abs=1e-4),
                      ("B", "C"): pytest.approx(0.08 / 0.48, abs=1e-4)}
    # Fleiss over the 5 findings with 3 ratings: P̄ = 3/5, p_C = 8/15, P_e = 113/225; κ = 22/112
    assert stats["fleiss"]["items"] == 5 and stats["fleiss"]["kappa"] == pytest.approx(22 / 112, abs=1e-4)


def test_a_tie_is_disputed_and_left_out_of_precision():
    assert consensus([C, W]) == "disputed" and consensus([C, C, W]) == C and consensus([W]) == W
    stats = build_stats([verdict("f1", "A", C), verdict("f1", "B", W), verdict("f2", "A", C)], []).to_dict()
    assert (stats["overall"]["n"], stats["overall"]["correct"], stats["overall"]["disputed"]) == (1, 1, 1)
    assert stats["fleiss"] is None  # never more than two ratings per finding


def test_export_labels_only_fully_reviewed_conversations():
    stats = build_stats(table_verdicts(), [StoredMiss("c1", 3, "cat-b", "A", "漏了", "t", "s:9")])
    exported = export_labels(stats, {"c1": ["f1", "f2", "f3"], "c2": ["f4", "f5", "f6"]})
    # c1: f1, f2 confirmed (messages 1 and 2, cat-a), f3 rejected, plus the miss; c2 has f6 without a verdict
    assert exported.lines == [{"id": "c1", "findings": [
        {"message_index": 1, "category": "cat-a", "note": ""}, {"message_index": 2, "category": "cat-a", "note": ""},
        {"message_index": 3, "category": "cat-b", "note": "A: 漏了"}]}]
    assert exported.left_out == {"c2": "1 finding without a verdict"}

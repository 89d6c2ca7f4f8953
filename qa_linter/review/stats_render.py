"""`review stats` output: a terminal summary, JSON, and a self-contained HTML page (reports/review-stats.html.j2)."""
from __future__ import annotations

import json
from datetime import datetime

from rich.cells import cell_len

from ..outputs.excerpt import terminal_safe
from ..outputs.html_common import environment, new_nonce
from .stats import ReviewStats


def to_json(stats: ReviewStats) -> str:
    return json.dumps(stats.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _interval(row: dict) -> str:
    if row["ci_low"] is None:
        return "—"
    return f"{row['ci_low'] * 100:.0f}–{row['ci_high'] * 100:.0f}%"


def _kappa(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _cells(value, width: int, right: bool = False) -> str:
    """`value` padded to `width` terminal cells (a Chinese character takes two)."""
    text = str(value)
    pad = " " * max(0, width - cell_len(text))
    return pad + text if right else text + pad


def _table(header: list[tuple[str, int, bool]], rows: list[list]) -> list[str]:
    """Lines of a plain table: (title, width, right-aligned) per column."""
    lines = ["  " + " ".join(_cells(title, width, right) for title, width, right in header)]
    for row in rows:
        lines.append("  " + " ".join(_cells(v, width, right) for v, (_, width, right) in zip(row, header)))
    return lines


def to_text(stats: ReviewStats) -> str:
    d = stats.to_dict()
    o = d["overall"]
    lines = [f"复核统计（{'全部' if d['scope'] == 'all' else d['scope']}）：{d['conversations']} 个会话，"
             f"{d['findings_judged']} 条问题有判定（{d['verdicts']} 个判定，复核员 {len(d['reviewers'])} 人）",
             f"总体准确率 {_pct(o['precision'])}（95% 置信区间 {_interval(o)}，n={o['n']}；"
             f"争议 {o['disputed']}，漏检 {o['missed']}）", "", "按规则的准确率"]
    lines += _table([("规则", 30, False), ("n", 5, True), ("正确", 5, True), ("误报", 5, True), ("争议", 5, True),
                     ("准确率", 8, True), ("95% 区间", 10, True)],
                    [[r["rule"], r["n"], r["correct"], r["wrong"], r["disputed"], _pct(r["precision"]), _interval(r)]
                     for r in d["rules"]])
    lines += ["", "按类别的准确率与漏检"]
    lines += _table([("类别", 30, False), ("n", 5, True), ("准确率", 8, True), ("95% 区间", 10, True), ("漏检", 5, True)],
                    [[c["category"], c["n"], _pct(c["precision"]), _interval(c), c["missed"]] for c in d["categories"]])
    lines += ["", "机器与复核员"]
    rows = [[r["reviewer"], r["judged"], r["correct"], r["wrong"], r["missed"], _pct(r["precision"]),
             _pct(r["positive_agreement"])] for r in d["machine_vs_reviewer"]]
    rows.append(["（多数意见）", o["n"], o["correct"], o["wrong"], o["missed"], _pct(o["precision"]),
                 _pct(o["positive_agreement"])])
    lines += _table([("复核员", 20, False), ("判定", 5, True), ("确认", 5, True), ("误报", 5, True), ("漏检", 5, True),
                     ("准确率", 8, True), ("正向一致率", 10, True)], rows)
    lines += ["", "复核员之间的一致性（Cohen's kappa，两人都判定过的问题）"]
    if not d["reviewer_pairs"]:
        lines.append("  没有两位复核员判定过同一条问题。")
    for p in d["reviewer_pairs"]:
        lines.append(f"  {p['reviewers'][0]} / {p['reviewers'][1]}: kappa {_kappa(p['kappa'])}，"
                     f"一致 {_pct(p['observed'])}（n={p['items']}）")
    if d["fleiss"]:
        f = d["fleiss"]
        lines.append(f"  Fleiss' kappa {_kappa(f['kappa'])}（{f['items']} 条问题，各由 {f['raters_per_finding']} 位复核员判定）")
    return terminal_safe("\n".join(lines), lines=True) + "\n"


def to_html(stats: ReviewStats) -> str:
    d = stats.to_dict()
    return environment().get_template("review-stats.html.j2").render(
        r=d, nonce=new_nonce(), title=f"复核统计 {d['scope']}", pct=_pct, interval=_interval, kappa=_kappa,
        generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
    )

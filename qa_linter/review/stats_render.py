"""`review stats` output: a terminal summary, JSON, and a self-contained HTML page (reports/review-stats.html.j2)."""
from __future__ import annotations

import json
from datetime import datetime

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


def to_text(stats: ReviewStats) -> str:
    d = stats.to_dict()
    o = d["overall"]
    lines = [f"复核统计（{'全部' if d['scope'] == 'all' else d['scope']}）：{d['conversations']} 个会话，"
             f"{d['findings_judged']} 条问题有判定（{d['verdicts']} 个判定，复核员 {len(d['reviewers'])} 人）",
             f"总体准确率 {_pct(o['precision'])}（95% 置信区间 {_interval(o)}，n={o['n']}；"
             f"争议 {o['disputed']}，漏检 {o['missed']}）"]
    lines += ["", "按规则的准确率", f"  {'规则':<30}{'n':>5}{'正确':>6}{'误报':>6}{'争议':>6}{'准确率':>9}   95% 区间"]
    for r in d["rules"]:
        lines.append(f"  {r['rule']:<32}{r['n']:>5}{r['correct']:>8}{r['wrong']:>8}{r['disputed']:>8}"
                     f"{_pct(r['precision']):>10}   {_interval(r)}")
    lines += ["", "按类别的准确率与漏检", f"  {'类别':<30}{'n':>5}{'准确率':>9}   95% 区间      漏检"]
    for c in d["categories"]:
        lines.append(f"  {c['category']:<32}{c['n']:>5}{_pct(c['precision']):>10}   {_interval(c):<13}{c['missed']:>4}")
    lines += ["", "机器与复核员", f"  {'复核员':<17}{'判定':>5}{'确认':>6}{'误报':>6}{'漏检':>6}{'准确率':>9}{'正向一致率':>10}"]
    for r in d["machine_vs_reviewer"]:
        lines.append(f"  {r['reviewer']:<20}{r['judged']:>5}{r['correct']:>8}{r['wrong']:>8}{r['missed']:>8}"
                     f"{_pct(r['precision']):>10}{_pct(r['positive_agreement']):>14}")
    lines.append(f"  {'（多数意见）':<14}{o['n']:>5}{o['correct']:>8}{o['wrong']:>8}{o['missed']:>8}"
                 f"{_pct(o['precision']):>10}{_pct(o['positive_agreement']):>14}")
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

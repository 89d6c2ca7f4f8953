"""`replay` output: a terminal summary, JSON, and a self-contained HTML page (reports/replay.html.j2)."""
from __future__ import annotations

import json
from datetime import datetime

from ..labels import category_label
from ..outputs.excerpt import terminal_safe
from ..outputs.html_common import environment, new_nonce
from .stats_render import _cells
from .replay import Replay


def to_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _score(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def _verdict(passed) -> str:
    return "不适用" if passed is None else ("合格" if passed else "不合格")


def _signed(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def to_text(data: dict) -> str:
    f, p = data["findings"], data["precision"]
    lines = [f"回放（{'全部' if data['scope'] == 'all' else data['scope']}）：{data['conversations']} 个会话，新规则包 {data['rule_pack']}",
             "原结果规则包：" + "，".join(f"{r['rule_pack']}（{r['conversations']}）" for r in data["stored_rule_packs"]),
             f"问题 {f['before']} → {f['after']}：新增 {f['added']}，消失 {f['removed']}；合格与否改变的会话 {data['flipped']} 个"]
    if data["without_transcript"]:
        lines.append(f"{data['without_transcript']} 个会话没有保存原文（早于本版本的扫描），未回放；请用 --store 重新扫描。")
    if data["suppressed"]:
        lines.append(f"已按屏蔽清单隐藏 {data['suppressed']} 条问题。")
    changed = [r for r in data["rules"] if r["added"] or r["removed"]]
    lines += ["", "按规则的变化" if changed else "没有规则的结果发生变化。"]
    for r in changed:
        lines.append(f"  {_cells(r['rule'], 30)} {r['before']:>4} → {r['after']:<4}  新增 {r['added']}，消失 {r['removed']}")
        for kind, key in (("+", "examples_added"), ("-", "examples_removed")):
            for e in r[key]:
                lines.append(f"      {kind} {e['conversation_id']} #{e['message_index']}: {e['excerpt']}")
    if data["flips"]:
        lines += ["", "合格与否改变的会话"]
        for c in data["flips"]:
            lines.append(f"  {c['id']}  {c['agent']}  {_score(c['score_before'])} {_verdict(c['passed_before'])} → "
                         f"{_score(c['score_after'])} {_verdict(c['passed_after'])}" + _rules(c))
    for key, title in (("teams", "团队"), ("agents", "客服")):
        rows = [r for r in data[key] if r["score_change"] or r["flipped"]]
        if rows:
            lines += ["", f"{title}得分变化"]
            name = key[:-1]
            for r in rows:
                lines.append(f"  {_cells(r[name] or '（未填写）', 16)} {r['conversations']:>4} 个会话  平均分 {_score(r['average_score_before'])} → "
                             f"{_score(r['average_score_after'])}（{_signed(r['score_change'], 2)}）  合格率 "
                             f"{_pct(r['pass_rate_before'])} → {_pct(r['pass_rate_after'])}")
    b, a = p["before"], p["after"]
    lines += ["", "在已复核问题上的准确率",
              f"  原规则 {_pct(b['precision'])}（n={b['n']}）→ 新规则 {_pct(a['precision'])}（n={a['n']}）",
              f"  消失的问题中：复核判定正确 {p['removed_correct']}（漏掉的真问题），判定误报 {p['removed_wrong']}（去掉的误报）",
              f"  新增的问题中：已复核 {p['added_reviewed']}，未复核 {p['added_unreviewed']}；找回复核员报告的漏检 {p['misses_caught']}"]
    return terminal_safe("\n".join(lines), lines=True) + "\n"


def _rules(c: dict) -> str:
    parts = [f"+{rule}×{n}" for rule, n in c["added"]] + [f"-{rule}×{n}" for rule, n in c["removed"]]
    return ("  " + " ".join(parts)) if parts else ""


def to_html(data: dict) -> str:
    return environment().get_template("replay.html.j2").render(
        r=data, nonce=new_nonce(), title=f"规则变更回放 {data['scope']}", pct=_pct, score=_score, verdict=_verdict,
        signed=_signed, category_label=category_label,
        generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
    )


"""Writing a weekly report: the HTML page (inline SVG charts), the CSV and JSON exports, the terminal summary."""
from __future__ import annotations

import csv
import io
import json
import math
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from ..outputs.excerpt import json_safe, spreadsheet_safe, terminal_safe
from ..outputs.html_common import atomic_write_text, environment, format_percent, format_score, new_nonce
from ..outputs.html_scorecard import read_manifest
from .weekly import HEADLINE, WeeklyReport

HEADLINE_LABELS = {
    "conversations": "质检会话",
    "pass_rate": "合格率",
    "average_score": "平均分",
    "auto_fails": "一票否决",
    "findings_per_100": "每百条客服消息问题数",
}


# -- links to scorecard pages ------------------------------------------------------------------------------------
class ScorecardLinks:
    """id -> relative href of its scorecard page in a `scan --html` folder, for pages that exist there.

    Looked up one id at a time: a masked folder's manifest lists its pages under a salted hash of the id,
    so it cannot be listed by id (see html_scorecard.Manifest)."""

    def __init__(self, scorecards_dir: Path | None, out_dir: Path):
        self.folder = Path(scorecards_dir) if scorecards_dir is not None else None
        self.out_dir = Path(out_dir)
        self.manifest = read_manifest(self.folder) if self.folder is not None else None

    def get(self, conv_id: str) -> str | None:
        if self.manifest is None:
            return None
        name = self.manifest.page_for(conv_id)
        page = self.folder / name if name else None
        if page is None or not page.is_file():
            return None
        rel = os.path.relpath(page.resolve(), self.out_dir.resolve())
        return quote(rel.replace(os.sep, "/"))


def scorecard_links(scorecards_dir: Path | None, out_dir: Path) -> ScorecardLinks:
    return ScorecardLinks(scorecards_dir, out_dir)


# -- files --------------------------------------------------------------------------------------------------------
def write_report(report: WeeklyReport, out_dir: Path) -> dict[str, Path]:
    """weekly-<period>.html, .csv and .json in `out_dir`; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"weekly-{report.period.key}"
    data = report.to_dict()
    paths = {"html": out_dir / f"{stem}.html", "csv": out_dir / f"{stem}.csv", "json": out_dir / f"{stem}.json"}
    atomic_write_text(paths["json"], json_safe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")
    atomic_write_text(paths["csv"], "\ufeff" + to_csv(data))  # BOM: Excel then reads the Chinese as UTF-8
    atomic_write_text(paths["html"], render_html(report, data, {k: p.name for k, p in paths.items()}))
    return paths


def to_csv(data: dict) -> str:
    """The report's figures in one long table (table, group, metric, current, previous, change, beyond_noise): pivots
    easily. beyond_noise is true/false where the report tests a change against noise (significance.py), else empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "table", "group", "metric", "current", "previous", "change", "beyond_noise"])
    period = data["period"]["label"]

    def row(table, group, metric, current, previous=None, delta=None, noise=None):
        writer.writerow([period, table, _text_cell(group), metric, _cell(current), _cell(previous), _cell(delta),
                         "" if noise is None or delta is None else str(bool(noise)).lower()])

    for metric, h in data["headline"].items():
        row("headline", "all", metric, h["current"], h["previous"], h["change"],
            h["significant"] if metric != "conversations" else None)
    for t in data["trend"]:
        for metric in ("conversations", "pass_rate", "average_score", "auto_fails", "findings_per_100"):
            row("trend", t["week"], metric, t[metric])
    for s in data["sections"]:
        row("section", s["name"], "findings", s["findings"], s["previous_findings"], s["findings"] - s["previous_findings"])
        row("section", s["name"], "score_rate", s["score_rate"], s["previous_score_rate"], s["change"])
    for c in data["categories"]:
        row("category", c["category"], "findings", c["current"], c["previous"], c["change"])
    for key in ("team", "agent"):
        for g in data[f"{key}s"]:
            row(key, g[key], "conversations", g["conversations"], g["previous_conversations"],
                g["conversations"] - g["previous_conversations"])
            row(key, g[key], "pass_rate", g["pass_rate"], g["previous_pass_rate"], g["pass_rate_change"],
                g["changes"]["pass_rate"]["significant"])
            row(key, g[key], "average_score", g["average_score"], g["previous_average_score"], g["score_change"],
                g["changes"]["average_score"]["significant"])
            row(key, g[key], "auto_fails", g["auto_fails"])
            row(key, g[key], "findings_per_100", g["findings_per_100"])
    for r in data["rules"]:
        row("rule", r["rule"], "findings", r["current"], r["previous"], r["change"], r["significant"])
    for w in data["worst"]:
        row("worst", w["id"], "score", w["score"])
    return out.getvalue()


def _cell(value):
    return "" if value is None else value


def _text_cell(value):
    # Team, agent and conversation names come from transcripts: one starting like a formula is made inert.
    return "" if value is None else spreadsheet_safe(value)


# -- HTML ---------------------------------------------------------------------------------------------------------
def render_html(report: WeeklyReport, data: dict, exports: dict[str, str]) -> str:
    template = environment().get_template("weekly.html.j2")
    return template.render(
        r=data,
        headline=[_headline_tile(name, data["headline"][name]) for name in HEADLINE],
        trend=trend_chart(data["trend"]),
        categories=bar_chart([(c["label"], c["current"], c["previous"], f"{c['category']}") for c in data["categories"]]),
        sections=bar_chart([(s["name"], _pct(s["score_rate"]), _pct(s["previous_score_rate"]), "")
                            for s in data["sections"]], percent=True),
        exports=exports,
        nonce=new_nonce(),
        title=f"质检周报 {data['period']['label']}",
        generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
    )


def _pct(rate):
    return None if rate is None else round(rate * 100, 1)


def _headline_tile(name: str, h: dict) -> dict:
    """A headline figure: its change is an up or down (coloured) only when it is beyond noise (significance.py)."""
    fmt = _formatter(name)
    delta = h["change"]
    note = ""
    if delta is None:
        change_text = "上期无数据" if h["previous"] is None else "—"
    elif h["direction"] == "flat":
        change_text = "持平"  # a change that rounds to 0 (-0.0 included) is no change
    else:
        change_text = _signed(delta, name)
        if HEADLINE[name] is not None and not h.get("significant"):
            note = "样本少" if h.get("small_sample") else "波动范围内"
    # The number of conversations is a count, not an estimate: its rise or fall is a fact, drawn without colour.
    significant = bool(h.get("significant")) or (HEADLINE[name] is None and h["direction"] in ("up", "down"))
    return {
        "name": name, "label": HEADLINE_LABELS[name], "value": fmt(h["current"]), "previous": fmt(h["previous"]),
        "change": change_text, "direction": h["direction"] or "none", "significant": significant, "note": note,
        "tone": "good" if h["better"] is True else "bad" if h["better"] is False else "neutral",
    }


def _signed(delta, name: str) -> str:
    """+1.2 / −1.2 (a true minus sign), in percentage points for the pass rate."""
    if name == "pass_rate":
        value, unit = delta * 100, " 个百分点"
    else:
        value, unit = delta, ""
    text = f"{abs(value):.1f}" if isinstance(value, float) else f"{abs(value):d}"
    return f"{'+' if value > 0 else '−'}{text}{unit}"


def _formatter(name: str):
    if name == "pass_rate":
        return format_percent
    if name in ("average_score", "findings_per_100"):
        return lambda v: "—" if v is None else f"{v:.1f}"
    return lambda v: "—" if v is None else str(v)


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def trend_chart(rows: list[dict], width: int = 1160, height: int = 260) -> dict:
    """Geometry of the trend chart: conversations as bars (right axis), score and pass rate as lines (0-100)."""
    left, right, top, bottom = 44, 48, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(rows))
    step = plot_w / n
    conv_max = _nice_ceiling(max([r["conversations"] for r in rows] + [1]))

    def y(value: float, scale: float = 100.0) -> float:
        return round(top + plot_h * (1 - value / scale), 1)

    points = []
    for i, r in enumerate(rows):
        cx = round(left + step * (i + 0.5), 1)
        bar_h = plot_h * r["conversations"] / conv_max
        points.append({
            "x": cx, "label": r["week"][-3:], "week": r["week"], "first_day": r["first_day"],
            "bar_x": round(cx - step * 0.3, 1), "bar_w": round(step * 0.6, 1),
            "bar_y": round(top + plot_h - bar_h, 1), "bar_h": round(bar_h, 1),
            "conversations": r["conversations"],
            "score": r["average_score"], "score_y": y(r["average_score"]) if r["average_score"] is not None else None,
            "pass": _pct(r["pass_rate"]), "pass_y": y(r["pass_rate"] * 100) if r["pass_rate"] is not None else None,
            "current": i == len(rows) - 1,
        })

    def path(key: str) -> str:
        parts, pen_down = [], False
        for p in points:
            if p[key] is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{p['x']},{p[key]}")
            pen_down = True
        return " ".join(parts)

    grid = [{"y": y(v), "label": str(v)} for v in (0, 25, 50, 75, 100)]
    conv_ticks = [{"y": y(v, conv_max), "label": format_score(v if v != int(v) else int(v))}
                  for v in (0, conv_max / 2, conv_max)]
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top,
            "bottom": top + plot_h, "points": points, "score_path": path("score_y"), "pass_path": path("pass_y"),
            "grid": grid, "conv_ticks": conv_ticks}


def bar_chart(rows: list[tuple], width: int = 520, percent: bool = False) -> dict:
    """Horizontal bars: (label, this period, previous period, id) per row; the previous period as a thin bar."""
    label_w, value_w, row_h = 130, 70, 30
    plot_w = width - label_w - value_w
    scale = 100.0 if percent else _nice_ceiling(max([r[1] or 0 for r in rows] + [r[2] or 0 for r in rows] + [1]))
    bars = []
    for i, (label, current, previous, key) in enumerate(rows):
        top = i * row_h + 4
        bars.append({
            "label": label, "key": key, "y": top, "text_y": top + 14,
            "w": round(plot_w * (current or 0) / scale, 1), "prev_w": round(plot_w * (previous or 0) / scale, 1),
            "value": "—" if current is None else (f"{current:.1f}%" if percent else str(current)),
            "previous": "—" if previous is None else (f"{previous:.1f}%" if percent else str(previous)),
        })
    return {"width": width, "height": max(row_h, len(rows) * row_h + 8), "label_w": label_w, "plot_w": plot_w,
            "value_x": label_w + plot_w + 8, "bars": bars, "percent": percent}


# -- terminal -----------------------------------------------------------------------------------------------------
def render_text(report: WeeklyReport, console) -> None:
    """A summary for the terminal: headline against last week, teams, agents who slipped, top rules, worst."""
    from rich.table import Table
    from rich.text import Text

    data = report.to_dict()
    period, previous = data["period"], data["previous_period"]
    console.print(Text(f"质检周报 {period['label']}（{period['first_day']} – {period['last_day']}，{data['timezone']}）", style="bold"))
    console.print(Text(f"对比上期 {previous['label']}；来源 {data['source']}", style="dim"))
    if not data["figures"]["conversations"]:
        console.print(Text("本期没有会话。", style="yellow"))
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column, justify in (("指标", "left"), ("本期", "right"), ("上期", "right"), ("变化", "right")):
        table.add_column(column, justify=justify)
    for name in HEADLINE:
        tile = _headline_tile(name, data["headline"][name])
        arrow = {"up": "↑", "down": "↓"}.get(tile["direction"], "") if tile["significant"] else ""
        style = {"good": "green", "bad": "red"}.get(tile["tone"], "") or "dim"
        shown = f"{tile['change']} {arrow}".strip() + (f"（{tile['note']}）" if tile["note"] else "")
        table.add_row(tile["label"], tile["value"], tile["previous"], Text(shown, style=style))
    console.print(table)
    _group_table(console, "团队", data["teams"], "team")
    _group_table(console, "客服（平均分从低到高）", data["agents"], "agent", limit=10)
    if data["rules"]:
        console.print(Text("\n最常违反的规则", style="bold"))
        for r in data["rules"][:5]:
            console.print(Text(terminal_safe(f"  {r['current']:>3}  {r['rule']}（{r['label']}，较上期 {r['change']:+d}）")))
            for e in r["examples"]:
                console.print(Text(terminal_safe(f"       {e['conversation_id']}: {e['excerpt']}"), style="dim"))
    console.print(Text(f"变化只在超出随机波动时标 ↑↓ 与颜色（95% 置信；少于 {data['noise']['min_sample']} 个会话的分组为样本少，"
                       "不判定升降）。", style="dim"))
    if data["worst"]:
        console.print(Text("\n最需辅导的会话", style="bold"))
        for w in data["worst"][:5]:
            verdict = "一票否决" if w["auto_fail"] else ("合格" if w["passed"] else "不合格")
            console.print(Text(terminal_safe(f"  {w['id']}  {format_score(w['score'])} 分  {verdict}  {w['agent']}  {w['findings']} 个问题")))
    if data["undated_conversations"]:
        console.print(Text(f"\n{data['undated_conversations']} 个会话没有开始时间，不属于任何一周。", style="yellow"))


def _group_table(console, title: str, rows: list[dict], key: str, limit: int | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    rows = [r for r in rows if r["conversations"]][:limit]
    if not rows:
        return
    console.print(Text(f"\n{title}", style="bold"))
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column, justify in (({"team": "团队", "agent": "客服"}[key], "left"), ("会话", "right"), ("合格率", "right"), ("平均分", "right"), ("变化", "right"), ("主要问题", "left")):
        table.add_column(column, justify=justify)
    for r in rows:
        c = r["changes"]["average_score"]
        if r["status"] == "new":
            change_text = "新"
        elif c["change"] is None:
            change_text = "—"
        elif c["direction"] == "flat":
            change_text = "持平"
        else:
            change_text = _signed(c["change"], "average_score") + ("" if c["significant"] else "（样本少）" if c["small_sample"] else "（波动内）")
        style = ("green" if c["better"] else "red") if c["significant"] else "dim"
        # Text, not str: rich would read [brackets] in a team or agent name as markup (and fail on a stray [/]).
        table.add_row(Text(terminal_safe(r[key] or "（未填）")), str(r["conversations"]), format_percent(r["pass_rate"]),
                      "—" if r["average_score"] is None else f"{r['average_score']:.1f}", Text(change_text, style=style),
                      Text(terminal_safe("、".join(c["label"] for c in r["top_categories"][:2]))))
    console.print(table)

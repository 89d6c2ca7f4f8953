"""HTML scorecards: one page per conversation plus an index, for QA reviewers (`qa-lint scan --html DIR`).

A sink like the text and JSON writers: `conversation()` renders and writes the page at once (so a batch of
thousands never holds pages in memory) and keeps one index row; `close()` writes index.html and the
scorecards.json manifest (conversation id -> page, read by the weekly report to link its worst conversations).

Highlights are placed at the findings' exact offsets in the original text: a message is cut at every
finding boundary, and each piece is masked on its own (masking.MaskedText), so masking never moves a
highlight. A piece covered by several findings is one <mark> naming all of them.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..labels import (
    AUTO_FAIL_LABEL,
    CHANNEL_LABELS,
    FAILED_LABEL,
    NOT_SCORED_LABEL,
    PASSED_LABEL,
    ROLE_LABELS,
    SEVERITY_LABELS,
    category_label,
    channel_label,
    verdict_label,
)
from ..masking import Masker, mask_finding
from ..model import Conversation, Finding, Message, Severity
from ..vocabulary import format_duration
from .excerpt import json_safe
from .html_common import (
    PageNames,
    atomic_write_chunks,
    atomic_write_text,
    is_page_name,
    environment,
    format_datetime,
    new_nonce,
)

MANIFEST = "scorecards.json"


@dataclass(frozen=True)
class Segment:
    text: str  # masked unless masking is off
    findings: tuple[int, ...]  # numbers of the findings covering this piece
    severity: str | None  # the highest severity among them
    anchors: tuple[int, ...] = ()  # findings that start here (the findings list links to hl-<n>)
    ends: tuple[int, ...] = ()  # findings that end here (their number is shown after the piece)


def verdict_class(passed: bool | None, auto_fail: bool) -> str:
    if passed is None:
        return "na"
    if auto_fail:
        return "autofail"
    return "pass" if passed else "fail"


def valid_span(finding: Finding, text: str) -> bool:
    return finding.start is not None and finding.end is not None and 0 <= finding.start < finding.end <= len(text)


def split_message(text: str, spans: list[tuple[int, int, int, Severity]], masked) -> list[Segment]:
    """Cut `text` at every span boundary; each piece knows which spans (finding numbers) cover it."""
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    pieces = []
    for a, b in zip(cuts, cuts[1:]):
        covering = [(n, sev) for s, e, n, sev in spans if s <= a and b <= e]
        severity = str(max(sev for _, sev in covering)) if covering else None
        anchors = tuple(n for s, _, n, _ in spans if s == a)
        ends = tuple(n for _, e, n, _ in spans if e == b)
        pieces.append(Segment(masked.slice(a, b), tuple(n for n, _ in covering), severity, anchors, ends))
    return pieces


def response_times(conv: Conversation) -> dict[int, float]:
    """Seconds each agent reply took, from the first customer message it answers (as the timing rule does)."""
    waits: dict[int, float] = {}
    waiting: Message | None = None
    for m in conv.messages:
        if m.role == "customer" and waiting is None:
            waiting = m
        elif m.role == "agent" and waiting is not None:
            if m.ts is not None and waiting.ts is not None and (m.ts.tzinfo is None) == (waiting.ts.tzinfo is None):
                waits[m.index] = (m.ts - waiting.ts).total_seconds()
            waiting = None
    return waits


def _message_time(ts: datetime | None, day: datetime | None) -> str:
    if ts is None:
        return ""
    if day is not None and ts.date() == day.date():
        return ts.strftime("%H:%M:%S")
    return ts.strftime("%m-%d %H:%M:%S")


def _meta_items(meta: dict[str, Any], masker: Masker) -> list[tuple[str, str]]:
    items = []
    for key, value in meta.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        items.append((masker.mask(str(key)), masker.mask(shown)))
    return items


def scorecard_context(conv: Conversation, findings: list[Finding], card: dict, masker: Masker, index_href: str | None) -> dict:
    """Everything the scorecard template shows, already masked and formatted."""
    numbered = list(enumerate(findings, 1))
    by_message: dict[int, list[tuple[int, Finding]]] = {}
    for n, f in numbered:
        by_message.setdefault(f.message_index, []).append((n, f))
    start = conv.start_time
    waits = response_times(conv)
    late = {f.message_index for f in findings if f.category == "slow-response"}
    messages, prepared = [], {}
    for m in conv.messages:
        masked = masker.prepare(m.text)
        prepared[m.index] = masked
        here = by_message.get(m.index, [])
        spans = [(f.start, f.end, n, f.severity) for n, f in here if valid_span(f, m.text)]
        whole = [(n, f) for n, f in here if not valid_span(f, m.text)]
        wait = waits.get(m.index)
        messages.append({
            "index": m.index,
            "role": m.role,
            "role_label": ROLE_LABELS.get(m.role, m.role),
            "speaker": masker.mask(conv.agent) if m.role == "agent" and conv.agent else ROLE_LABELS.get(m.role, m.role),
            "time": _message_time(m.ts, start),
            "datetime": m.ts.isoformat() if m.ts else "",
            "wait": format_duration(wait) if wait is not None else None,
            "late": m.index in late,
            "segments": split_message(m.text, spans, masked),
            "whole": tuple(n for n, _ in whole),
            "whole_severity": str(max(f.severity for _, f in whole)) if whole else None,
        })
    sections = {c: s for s in card["sections"] for c in s["categories"]}
    finding_rows = []
    for n, f in numbered:
        text = conv.messages[f.message_index].text if 0 <= f.message_index < len(conv.messages) else ""
        shown = mask_finding(masker, f, text, prepared.get(f.message_index))
        located, highlight = shown.located, shown.highlight
        finding_rows.append({
            "n": n,
            "rule": f.rule,
            "category": f.category,
            "category_label": category_label(f.category),
            "section": (sections.get(f.category) or {}).get("name", ""),
            "severity": str(f.severity),
            "severity_label": SEVERITY_LABELS.get(str(f.severity), str(f.severity)),
            "message": shown.message,
            "suggestion": shown.suggestion,
            "manual": f.manual,
            "message_index": f.message_index,
            "highlight": highlight,
            "excerpt": shown.excerpt if not located else None,
            "anchor": f"hl-{n}" if located else f"msg-{f.message_index}",
            "auto_fail": any(a["message_index"] == f.message_index and a["category"] == f.category for a in card["auto_fail"]),
        })
    auto = bool(card["auto_fail"])
    return {
        "conv": {
            # Ids and names come from the transcript too: a phone number used as an id or an e-mail address as an
            # agent name is masked like the messages.
            "id": masker.mask(conv.id),
            "channel": channel_label(conv.channel),
            "agent": masker.mask(conv.agent or ""),
            "team": masker.mask(conv.team or ""),
            "date": format_datetime(start),
            "meta": _meta_items(conv.meta, masker),
            "message_count": len(conv.messages),
        },
        "card": card,
        "verdict": verdict_label(card["passed"], auto),
        "verdict_class": verdict_class(card["passed"], auto),
        "auto_fail": [
            {"reason": a["reason"], "category_label": category_label(a["category"]), "message_index": a["message_index"]}
            for a in _unique_auto_fail(card["auto_fail"])
        ],
        "messages": messages,
        "findings": finding_rows,
        "index_href": index_href,
        "masked": masker.enabled,
    }


def _unique_auto_fail(hits: list[dict]) -> list[dict]:
    seen, out = set(), []
    for hit in hits:
        key = (hit["category"], hit["message_index"])
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


def index_row(conv: Conversation, findings: list[Finding], card: dict, href: str, section_ids: list[str],
              masker: Masker) -> list:
    """One conversation as a row of the index's data: a compact array (index.js names the positions)."""
    counts = {s["id"]: s["findings"] for s in card["sections"]}
    applicable = {s["id"]: s["applicable"] for s in card["sections"]}
    start = conv.start_time
    auto = bool(card["auto_fail"])
    return [
        masker.mask(conv.id),
        href,
        card["score"],
        verdict_class(card["passed"], auto),
        masker.mask(conv.agent or ""),
        masker.mask(conv.team or ""),
        conv.channel,
        format_datetime(start),
        start.isoformat() if start else "",
        len(findings),
        [counts.get(sid, 0) if applicable.get(sid, True) else -1 for sid in section_ids],
        sorted({f.category for f in findings}),
        sorted({a["reason"] for a in card["auto_fail"]}),
    ]


# Positions in an index row (index_row, index.js).
ROW_HREF, ROW_SCORE, ROW_VERDICT, ROW_AGENT, ROW_TEAM, ROW_FINDINGS, ROW_CATEGORIES = 1, 2, 3, 4, 5, 9, 11


class IndexRows:
    """The index's rows as they arrive: written to a temporary file, one encoded row a line, with running totals
    and the values the filters offer, so memory does not grow with the number of conversations (200,000 rows held
    as dictionaries and rendered into one page took 1.7 GB)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", dir=folder, prefix=".index-rows-")
        self._reset()

    def _reset(self) -> None:
        self.count = 0
        self.passed = self.judged = self.auto_fail = self.findings = self.scored = 0
        self.score_sum = 0.0
        self.agents: set[str] = set()
        self.teams: set[str] = set()
        self.categories: set[str] = set()

    def add(self, row: list) -> None:
        self.file.write(_ROW_ENCODE(row) + "\n")
        self._tally(row)

    def keep_last_per_page(self) -> None:
        """One row per page: where a conversation id came twice (its page replaced), the last row, at the place of
        the last; the totals and filter values counted again over the rows kept. Only run when a page was
        replaced, so a scan without repeated ids never reads its rows twice."""
        self.file.seek(0)
        last: dict[str, int] = {}
        for number, line in enumerate(self.file):
            last[json.loads(line)[ROW_HREF]] = number
        kept = set(last.values())
        old, self.file = self.file, tempfile.TemporaryFile(mode="w+", encoding="utf-8", dir=self.folder,
                                                           prefix=".index-rows-")
        self._reset()
        old.seek(0)
        for number, line in enumerate(old):
            if number in kept:
                self.file.write(line)
                self._tally(json.loads(line))
        old.close()

    def _tally(self, row: list) -> None:
        self.count += 1
        verdict = row[ROW_VERDICT]
        self.judged += verdict != "na"
        self.passed += verdict == "pass"
        self.auto_fail += verdict == "autofail"
        self.findings += row[ROW_FINDINGS]
        if row[ROW_SCORE] is not None:
            self.score_sum += row[ROW_SCORE]
            self.scored += 1
        if row[ROW_AGENT]:
            self.agents.add(row[ROW_AGENT])
        if row[ROW_TEAM]:
            self.teams.add(row[ROW_TEAM])
        self.categories.update(row[ROW_CATEGORIES])

    def totals(self) -> dict:
        return {
            "conversations": self.count,
            "passed": self.passed,
            "pass_rate": self.passed / self.judged if self.judged else None,
            "average": round(self.score_sum / self.scored, 1) if self.scored else None,
            "auto_fail": self.auto_fail,
            "findings": self.findings,
        }



_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Inside <script type="application/json"> the one thing that must not appear is "</script" (or "<!--"): every
# < > & in the data is written as a \u escape, which JSON.parse reads back as the same character.
_HTML_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _ROW_ENCODE(row: list) -> str:  # noqa: N802
    return json_safe(_ROW_ENCODER(row)).translate(_HTML_UNSAFE)


ROWS_PLACEHOLDER = "@@qa-lint-index-rows@@"
INDEX_PAGE_SIZE = 200  # rows shown at once; filters, sorting, search and totals cover all of them


class HtmlScorecardWriter:
    """Writes DIR/<conversation>.html as conversations arrive, and DIR/index.html at the end."""

    def __init__(self, out_dir: Path, scoring, masker: Masker):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.scoring = scoring
        self.masker = masker
        self.manifest = read_manifest(self.out_dir)
        # Masked pages are named after a hash of the id (it may be a phone number); unmasked ones keep it readable.
        self.names = PageNames(manifest=self.manifest, hashed=masker.enabled)
        self.rows = IndexRows(self.out_dir)
        env = environment()
        self._page = env.get_template("scorecard.html.j2")
        self._index = env.get_template("index.html.j2")

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        card = (extra or {}).get("scorecard") or self.scoring.score(conv, findings).to_dict()
        name, replaced = self.names.name_for(conv.id)
        context = scorecard_context(conv, findings, card, self.masker, "index.html")
        # Streamed into the file: a conversation of a few huge messages is never one string in memory.
        chunks = self._page.generate(**context, nonce=new_nonce(), title=f"{context['conv']['id']} · 质检评分卡")
        atomic_write_chunks(self.out_dir / name, chunks)
        for old in replaced:
            # The conversation's page from an earlier scan under another name (unmasked, say): not left behind.
            (self.out_dir / old).unlink(missing_ok=True)
        self.manifest.record(conv.id, name, hashed=self.masker.enabled)
        self.rows.add(index_row(conv, findings, card, name, [s.id for s in self.scoring.sections], self.masker))

    def close(self, summary: dict, header: dict) -> None:
        sections = [{"id": s.id, "name": s.name} for s in self.scoring.sections]
        rows = self.rows
        if self.names.repeats:
            rows.keep_last_per_page()  # a conversation id read twice: its page shows the last record, so does the index
        html = self._index.render(
            sections=sections,
            totals=rows.totals(),
            agents=sorted(rows.agents),
            teams=sorted(rows.teams),
            categories=sorted(rows.categories, key=category_label),
            summary=summary,
            header=header,
            pass_mark=self.scoring.pass_mark,
            generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
            masked=self.masker.enabled,
            nonce=new_nonce(),
            title="质检评分卡 · 会话总览",
            meta={"page_size": INDEX_PAGE_SIZE, "channels": dict(CHANNEL_LABELS),
                  "verdicts": {"pass": PASSED_LABEL, "fail": FAILED_LABEL, "autofail": AUTO_FAIL_LABEL,
                               "na": NOT_SCORED_LABEL}},
            rows_placeholder=Markup(ROWS_PLACEHOLDER),
        )
        head, tail = html.split(ROWS_PLACEHOLDER, 1)
        atomic_write_chunks(self.out_dir / "index.html", _index_chunks(head, rows, tail))
        self._write_manifest()

    def _write_manifest(self) -> None:
        """Every scorecard in the folder, merged with what earlier scans wrote there."""
        self.manifest.write(self.out_dir / MANIFEST)


def _index_chunks(head: str, rows: IndexRows, tail: str):
    """index.html in pieces: the page around the rows, and the rows read back from their file."""
    yield head
    rows.file.seek(0)
    first = True
    batch: list[str] = []
    for line in rows.file:
        batch.append(line.rstrip("\n") if first else "," + line.rstrip("\n"))
        first = False
        if len(batch) >= 256:  # about 50 KB a write
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)
    rows.file.close()
    yield tail


class Manifest:
    """Which page of an output folder shows which conversation (scorecards.json), for later scans into the same
    folder and for the weekly report (links to the worst conversations).

    A masked page is named after a salted SHA-256 of its conversation id ("c-" and 20 hex digits), so it needs no
    entry: its name follows from the id and the folder's salt, and the manifest of a masked folder names no
    conversation. Pages written unmasked (--no-mask) keep readable names, listed under their ids in `pages`. The
    salt is random per folder: the same id gets the same page name in that folder only.
    """

    def __init__(self, salt: str | None = None, pages: dict[str, str] | None = None):
        self.salt = salt or secrets.token_hex(16)
        self.pages = dict(pages or {})

    def key(self, conv_id: str) -> str:
        return hashlib.sha256(f"{self.salt}\0{conv_id}".encode("utf-8", "surrogatepass")).hexdigest()

    def hashed_name(self, conv_id: str) -> str:
        return f"c-{self.key(conv_id)[:20]}.html"

    def page_for(self, conv_id: str, folder: Path | None = None) -> str | None:
        """The page of `conv_id`: its unmasked page if one is listed, else its masked page (if it exists in
        `folder`, when a folder is given)."""
        if conv_id in self.pages:
            return self.pages[conv_id]
        name = self.hashed_name(conv_id)
        return name if folder is None or (Path(folder) / name).is_file() else None

    def record(self, conv_id: str, name: str, hashed: bool) -> None:
        if hashed:
            self.pages.pop(conv_id, None)
        else:
            self.pages[conv_id] = name

    def write(self, path: Path) -> None:
        data = {"salt": self.salt, "pages": self.pages}
        atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def read_manifest(folder: Path) -> Manifest:
    """The manifest of `folder` (empty when there is none or it is unreadable)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Manifest()
    if not isinstance(data, dict):
        return Manifest()
    pages = data.get("pages")
    pages = {str(k): str(v) for k, v in pages.items() if isinstance(v, str) and is_page_name(v)} if isinstance(pages, dict) else {}
    salt = data.get("salt")
    return Manifest(salt if isinstance(salt, str) and salt else None, pages)


def scorecard_page(folder: Path, conv_id: str) -> str | None:
    """The file name of `conv_id`'s scorecard page in `folder`, if a scan wrote one there."""
    return read_manifest(folder).page_for(conv_id, folder)

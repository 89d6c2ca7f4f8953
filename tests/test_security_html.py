"""Markup from rule packs, scorecards and file names is inert in every HTML output.

test_html_xss.py runs transcript payloads (ids, names, messages, meta) through the scorecard pages in Chromium,
and test_agent_page.py hostile rule messages and suggestions through the agent page. This file puts payloads in
everything else a page shows that comes from a file someone wrote: a user rule pack (pack name, category,
message, suggestion, manual section, per-term suggestions), a scoring model (section names, auto-fail reasons)
and the transcript file's own name; then checks the scorecard pages, the index and the weekly report. The
check is structural, on the parsed HTML: the only scripts are the page's own (with the CSP nonce), no element
has an event handler attribute or a javascript: URL, nothing embeds content, and each payload is on the page
as readable text.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.outputs.html_scorecard import scorecard_page

PAYLOAD = "<img src=x onerror=\"alert('pwned')\"><script>alert('pwned')</script>"
ATTR_PAYLOAD = "\" onmouseover=\"alert('pwned')\" x=\""
URL_PAYLOAD = "javascript:alert('pwned')"


class Structure(HTMLParser):
    """Scripts, event handler attributes, script URLs, embedding elements and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.handlers: list[str] = []
        self.script_urls: list[str] = []
        self.embeds: list[str] = []
        self.text: list[str] = []
        self.csp_nonce: str | None = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "content-security-policy":
            found = re.search(r"'nonce-([^']+)'", attributes.get("content") or "")
            self.csp_nonce = found.group(1) if found else None
        if tag in ("img", "iframe", "object", "embed", "frame", "base", "form", "link"):
            self.embeds.append(tag if tag != "link" or attributes.get("rel") != "icon" else "")
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag}.{name}")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value and \
                    value.strip().lower().startswith(("javascript:", "data:text/html", "vbscript:")):
                self.script_urls.append(f"{tag}.{name}={value}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def structure(path: Path) -> Structure:
    parsed = Structure()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


def assert_inert(path: Path, *shown: str) -> None:
    page = structure(path)
    assert page.scripts, f"{path.name}: expected the page's own script"
    assert all("src" not in s for s in page.scripts), path.name  # nothing loaded from elsewhere
    # A JSON data island (the index's rows) is data the browser never runs; every other script is code.
    code = [s for s in page.scripts if s.get("type") != "application/json"]
    assert code, f"{path.name}: expected the page's own script"
    if page.csp_nonce is not None:
        assert all(s.get("nonce") == page.csp_nonce for s in code), f"{path.name}: a script without the nonce"
    assert page.handlers == [], (path.name, page.handlers)
    assert page.script_urls == [], (path.name, page.script_urls)
    assert [e for e in page.embeds if e] == [], (path.name, page.embeds)
    text = "".join(page.text)
    for payload in shown:
        assert payload in text, f"{path.name}: {payload!r} is not shown as text"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A user rule pack, a scoring model and a transcript file name, all carrying markup; scanned with --html
    and --store, then a weekly report from the store."""
    tmp = tmp_path_factory.mktemp("hostile-html")
    category = f"cat{PAYLOAD}"
    (tmp / "rules.yaml").write_text(
        "pack:\n"
        f"  name: {json.dumps('pack' + PAYLOAD)}\n"
        "  version: '1'\n"
        "rules:\n"
        "  - id: hostile-rule\n"
        "    type: phrases\n"
        "    category: custom-cat\n"
        "    severity: error\n"
        f"    manual: {json.dumps('manual' + ATTR_PAYLOAD)}\n"
        f"    message: {json.dumps('message' + PAYLOAD + '「{match}」')}\n"
        f"    suggest: {json.dumps(URL_PAYLOAD)}\n"
        f"    description: {json.dumps(PAYLOAD)}\n"
        f"    terms: [{{term: 亲, suggest: {json.dumps('term' + PAYLOAD)}}}]\n"
        "  - id: hostile-category\n"  # rule packs may name their own categories; scoring models may not
        "    type: phrases\n"
        f"    category: {json.dumps(category)}\n"
        f"    message: {json.dumps('other' + PAYLOAD)}\n"
        f"    suggest: {json.dumps(URL_PAYLOAD)}\n"
        "    terms: [不知道]\n",
        encoding="utf-8",
    )
    (tmp / "scorecard.yaml").write_text(
        "scorecard: {name: hostile, version: '1'}\n"
        "pass_mark: 80\n"
        f"auto_fail: {{custom-cat: {json.dumps('reason' + PAYLOAD)}}}\n"
        "sections:\n"
        f"  - {{id: s1, name: {json.dumps('section' + PAYLOAD)}, points: 10, categories: [custom-cat]}}\n",
        encoding="utf-8",
    )
    source = tmp / f"file{PAYLOAD.replace('/', '_')}.jsonl"
    conversations = [
        {"id": f"h-{i}", "agent": '=HYPERLINK("http://evil.example/","点我")', "team": "@SUM(1+1)*cmd|' /C calc'!A0",
         "started_at": f"2026-11-2{4 + i}T10:00:00+08:00",
         "messages": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": "亲，这个我不知道"}]}
        for i in range(2)
    ]
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations), encoding="utf-8")
    runner = CliRunner()
    common = ["--no-builtin", "--rules", str(tmp / "rules.yaml"), "--scorecard", str(tmp / "scorecard.yaml")]
    scan = runner.invoke(main, ["scan", *common, str(source), "--html", str(tmp / "site"), "--store", str(tmp / "r.sqlite"), "-q"])
    assert scan.exit_code == 1, scan.output
    weekly = runner.invoke(main, ["report", "weekly", "--store", str(tmp / "r.sqlite"), "--week", "2026-W48",
                                  "--out", str(tmp / "weekly"), "--scorecards", str(tmp / "site")])
    assert weekly.exit_code == 0, weekly.output
    return tmp


def test_scorecard_pages_show_rule_and_scorecard_markup_as_text(hostile):
    pages = [hostile / "site" / scorecard_page(hostile / "site", f"h-{i}") for i in range(2)]
    assert all(page.is_file() for page in pages)
    for page in pages:
        assert_inert(page, "message" + PAYLOAD, "other" + PAYLOAD, "cat" + PAYLOAD, "section" + PAYLOAD,
                     "manual" + ATTR_PAYLOAD, "reason" + PAYLOAD, "term" + PAYLOAD, URL_PAYLOAD)


def test_the_index_shows_section_markup_as_text(hostile):
    assert_inert(hostile / "site" / "index.html", "section" + PAYLOAD)


def test_the_weekly_report_shows_rule_markup_as_text(hostile):
    (page,) = (hostile / "weekly").glob("*.html")
    assert_inert(page)
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html


def test_suggestions_that_are_script_urls_never_become_links(hostile):
    for page in (hostile / "site").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'href="javascript:' not in html.lower() and "href='javascript:" not in html.lower()


def test_names_in_the_csv_export_cannot_run_as_excel_formulas(hostile):
    """Excel runs a cell that starts with = + - @ as a formula (CSV injection); such names get a leading '."""
    import csv

    (path,) = (hostile / "weekly").glob("*.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    groups = {row[2] for row in rows[1:] if row[1] in ("team", "agent")}
    assert groups == {'\'=HYPERLINK("http://evil.example/","点我")', "'@SUM(1+1)*cmd|' /C calc'!A0"}
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell
            assert not cell.startswith("-") or cell.lstrip("-").replace(".", "", 1).isdigit(), cell

"""Transcripts are untrusted: markup in messages, agent names, teams, ids and meta is shown as text and never runs."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main

from browser import launch_browser, requires_chromium
RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"

pytestmark = requires_chromium

PAYLOADS = [
    "<script>window.__pwned = 'script'; alert('script')</script>",
    "<img src=x onerror=\"window.__pwned='img'; alert('img')\">",
    "\"><svg onload=\"window.__pwned='svg'\">",
    "' onmouseover='window.__pwned=\"attr\"' x='",
    "<a href=\"javascript:window.__pwned='href'\">点我</a>",
    "javascript:window.__pwned='bare'",
    "</textarea></style></script><script>window.__pwned='close'</script>",
    "{{ 7 * 7 }}{% raw %}",
    "<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
]


def hostile_conversations() -> list[dict]:
    convs = []
    for i, payload in enumerate(PAYLOADS):
        convs.append({
            "id": f"{payload}#{i}",
            "channel": "chat",
            "agent": payload,
            "team": payload,
            "started_at": "2026-11-20T10:00:00+08:00",
            "messages": [
                {"role": "customer", "text": f"投诉 {payload}", "ts": "2026-11-20T10:00:00+08:00"},
                # 亲 (slang) and 不知道 (taboo) put highlights right next to and around the payload.
                {"role": "agent", "text": f"亲{payload}我不知道{payload}", "ts": "2026-11-20T10:05:00+08:00"},
                {"role": "system", "text": payload},
            ],
            "meta": {payload: payload, "subject": f"<b>{payload}</b>"},
        })
    return convs


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xss")
    source = tmp / "hostile.jsonl"
    source.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in hostile_conversations()) + "\n", encoding="utf-8")
    out = tmp / "site" / "out"
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(RULES), str(source), "--html", str(out), "-q"],
                                    catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result.output
    return tmp, out


def test_file_names_stay_inside_the_output_folder(pages):
    tmp, out = pages
    written = sorted(p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file())
    assert all(p.parts[:2] == ("site", "out") or p.name == "hostile.jsonl" for p in written)
    names = [p.name for p in out.iterdir()]
    assert len(names) == len(PAYLOADS) + 2  # pages, index.html, scorecards.json
    assert all(n.replace(".", "").replace("-", "").replace("_", "").isalnum() for n in names)


def test_no_payload_executes_and_each_is_shown_as_text(pages):
    _, out = pages
    files = sorted(out.glob("*.html"))
    with launch_browser() as browser:
        context = browser.new_context()
        dialogs, requests, errors = [], [], []
        context.route("**/*", lambda route: (requests.append(route.request.url),
                                             route.continue_() if route.request.url.startswith("file://") else route.abort()))
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        for file in files:
            requests.clear()
            page.goto(file.as_uri())
            # Move over, focus and click everything that reacts, as a reviewer would (events sent in-page: fast).
            page.evaluate("""() => {
                document.querySelectorAll('mark.hl, .msg.flagged').forEach(el => {
                    el.dispatchEvent(new MouseEvent('mouseenter')); el.focus(); el.dispatchEvent(new MouseEvent('mouseleave'));
                });
                document.querySelectorAll('a.f-goto, th[data-sort]').forEach(el => el.click());
            }""")
            if page.locator("mark.hl").count():
                page.locator("mark.hl").first.hover()  # and one real pointer hover
            state = page.evaluate("""() => ({
                pwned: window.__pwned,
                scripts: [...document.scripts].filter(s => s.type !== "application/json").length,
                handlers: [...document.querySelectorAll('*')].flatMap(el => [...el.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
                jsLinks: [...document.querySelectorAll('[href], [src], [srcdoc]')].map(el => el.getAttribute('href') || el.getAttribute('src') || 'srcdoc')
                    .filter(v => v === 'srcdoc' || /^\\s*javascript:/i.test(v)),
                frames: document.querySelectorAll('iframe, img, svg, object, embed').length,
                text: document.body.innerText,
            })""")
            assert state["pwned"] is None, (file.name, state["pwned"])
            assert state["scripts"] == 1 and state["handlers"] == [] and state["jsLinks"] == [] and state["frames"] == 0
            assert requests == [file.as_uri()], requests
            shown = [p for p in PAYLOADS if p in state["text"]]  # on the page as readable text
            assert shown == (PAYLOADS if file.name == "index.html" else shown) and len(shown) >= 1, file.name
        browser.close()
    assert dialogs == [] and errors == []


def test_template_syntax_in_data_is_not_evaluated(pages):
    _, out = pages
    text = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.html"))
    assert "{{ 7 * 7 }}{% raw %}" in text and ">49<" not in text
    assert "<script>window.__pwned" not in text and "onerror=\"window" not in text

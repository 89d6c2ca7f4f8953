"""HTML scorecards of the sample corpus in headless Chromium: offline, highlights at the exact text, index works.

Set QA_LINTER_UPDATE_SCREENSHOTS=1 to refresh docs/img/scorecard.png and docs/img/index.png.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.outputs.html_scorecard import scorecard_page

from browser import launch_browser, requires_chromium
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"

pytestmark = requires_chromium

# Every highlight's text, per finding number; and the text of messages flagged as a whole.
COLLECT_HIGHLIGHTS = """() => {
  const marks = {}, whole = {};
  document.querySelectorAll('mark.hl').forEach(m => m.dataset.f.split(' ').forEach(n => { marks[n] = (marks[n] || '') + m.textContent; }));
  document.querySelectorAll('.msg.flagged').forEach(el => el.dataset.f.split(' ').forEach(n => { whole[n] = el.querySelector('.msg-text').textContent; }));
  const list = [...document.querySelectorAll('li.finding')].map(li => [li.dataset.n, li.dataset.rule, li.dataset.category]);
  return {marks, whole, list};
}"""


def scan(tmp_path: Path, corpus: Path, name: str, *extra: str):
    out = tmp_path / name
    result = CliRunner().invoke(
        main, ["scan", str(corpus), "--html", str(out), "--format", "json", "-o", str(tmp_path / f"{name}.json"), *extra],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output  # the corpus has findings
    return out, json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, corpus_path):
    """The sample corpus scanned with the built-in rule pack, pages masked and unmasked."""
    tmp = tmp_path_factory.mktemp("html")
    cwd = os.getcwd()
    os.chdir(tmp)  # no project configuration of the checkout
    try:
        masked = scan(tmp, corpus_path, "masked")
        plain = scan(tmp, corpus_path, "plain", "--no-mask")
    finally:
        os.chdir(cwd)
    transcripts = {c["id"]: c for c in map(json.loads, corpus_path.read_text(encoding="utf-8").splitlines())}
    return {"masked": masked, "plain": plain, "transcripts": transcripts}


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as browser:
        yield browser


class Page:
    """A page that records console errors and every request, and refuses anything that is not a local file."""

    def __init__(self, browser, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _route(self, route):
        self.requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    def open(self, path: Path):
        self.requests.clear()
        self.page.goto(path.as_uri())
        return self.page

    def assert_offline_and_clean(self, path: Path):
        assert self.requests == [path.as_uri()], "a page must load nothing but itself"
        assert self.errors == [] and self.dialogs == []

    def close(self):
        self.context.close()


def findings_by_conversation(doc) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in doc["findings"]:
        out.setdefault(f["conversation_id"], []).append(f)
    return out


def assert_masked_pii(shown: str, original: str) -> None:
    if "@" in original:
        name, domain = original.split("@", 1)
        assert shown == (name[0] if len(name) > 1 else "") + "***@" + domain
        return
    assert len(shown) == len(original) and shown != original
    for a, b in zip(shown, original):
        assert a == b or (a == "*" and b.isdigit())
    assert shown.count("*") >= 4 and sum(ch.isdigit() for ch in shown) >= 4


@pytest.mark.parametrize("variant", ["masked", "plain"])
def test_every_page_is_offline_and_highlights_the_exact_text(browser, scanned, variant):
    out, doc = scanned[variant]
    pages = {conv_id: scorecard_page(out, conv_id) for conv_id in scanned["transcripts"]}
    assert None not in pages.values() and len(set(pages.values())) == 40
    assert sorted(p.name for p in out.glob("*.html")) == sorted([*pages.values(), "index.html"])
    findings = findings_by_conversation(doc)
    session = Page(browser)
    checked_pii = checked_whole = 0
    try:
        for conv_id, name in sorted(pages.items()):
            page = session.open(out / name)
            seen = page.evaluate(COLLECT_HIGHLIGHTS)
            session.assert_offline_and_clean(out / name)
            expected = findings.get(conv_id, [])
            assert [(int(n), r, c) for n, r, c in seen["list"]] == [
                (i, f["rule"], f["category"]) for i, f in enumerate(expected, 1)]
            messages = scanned["transcripts"][conv_id]["messages"]
            for n, f in enumerate(expected, 1):
                if f["start"] is None:
                    text, original = seen["whole"][str(n)], messages[f["message_index"]]["text"]
                    if variant == "plain" or not re.search(r"\d{4}|@", original):  # no PII to mask
                        assert text == original
                    else:
                        assert len(text) <= len(original)
                    checked_whole += 1
                    continue
                shown = seen["marks"][str(n)]
                if variant == "masked" and f["category"] == "pii-exposure":
                    assert_masked_pii(shown, f["text"])
                    checked_pii += 1
                else:
                    assert shown == f["text"], (conv_id, n, f)
    finally:
        session.close()
    assert checked_whole > 10
    assert checked_pii == (6 if variant == "masked" else 0)


def test_masked_pages_hide_pii_everywhere_and_plain_pages_show_it(scanned):
    masked_out, _ = scanned["masked"]
    plain_out, _ = scanned["plain"]
    secrets = ["13700001111", "137 0000 1111", "11010519491231002X", "li.ming@example.com"]
    corpus_text = "\n".join(m["text"] for c in scanned["transcripts"].values() for m in c["messages"])
    present = [s for s in secrets if s in corpus_text]
    assert present, "the corpus holds PII to mask"
    for secret in present:
        assert not any(secret in p.read_text(encoding="utf-8") for p in masked_out.glob("*.html")), secret
        assert any(secret in p.read_text(encoding="utf-8") for p in plain_out.glob("*.html")), secret


def test_hover_shows_the_finding_and_the_list_links_to_the_spot(browser, scanned):
    out, doc = scanned["masked"]
    session = Page(browser)
    try:
        page = session.open(out / scorecard_page(out, "s-002"))
        first_mark = page.locator("mark.hl").first
        number = first_mark.get_attribute("data-f").split()[0]
        first_mark.hover()
        tip = page.locator("#tip")
        assert tip.is_visible()
        message = page.locator(f"#finding-{number} .f-message").text_content()
        assert message in tip.text_content()
        page.mouse.move(0, 0)
        assert not tip.is_visible()
        link = page.locator(f"#finding-{number} a.f-goto")
        link.click()
        assert page.evaluate("location.hash") == f"#{link.get_attribute('data-target')}"
        assert page.locator("mark.hl.flash").count() >= 1
        session.assert_offline_and_clean(out / scorecard_page(out, "s-002"))
    finally:
        session.close()


def visible_rows(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('#conversations tbody tr')].filter(r => !r.hidden).map(r => ({
        id: r.cells[0].textContent.trim(), score: r.dataset.score, agent: r.dataset.agent, team: r.dataset.team,
        verdict: r.dataset.verdict, categories: r.dataset.categories.split(' ').filter(Boolean)}))""")


def test_index_sorts_filters_and_totals(browser, scanned):
    out, doc = scanned["masked"]
    records = {c["id"]: c for c in doc["conversations"]}
    by_conv = findings_by_conversation(doc)
    session = Page(browser, 1400, 900)
    try:
        page = session.open(out / "index.html")
        session.assert_offline_and_clean(out / "index.html")
        rows = visible_rows(page)
        assert len(rows) == 40
        assert page.locator("#t-conversations").text_content() == "40"
        scores = [r["score"] for r in records.values() if r["score"] is not None]
        assert page.locator("#t-average").text_content() == f"{round(sum(scores) / len(scores), 1):g}"
        passed = sum(1 for r in records.values() if r["passed"])
        assert page.locator("#t-pass-rate").text_content() == f"{100 * passed / 40:.1f}%"
        assert page.locator("#t-findings").text_content() == str(len(doc["findings"]))

        # Sorting: the score column, descending then ascending; the id column as text.
        page.click("th:has-text('得分')")
        got = [float(r["score"]) for r in visible_rows(page)]
        assert got == sorted(got, reverse=True)
        page.click("th:has-text('得分')")
        got = [float(r["score"]) for r in visible_rows(page)]
        assert got == sorted(got)
        page.click("th:has-text('会话')")
        assert [r["id"] for r in visible_rows(page)] == sorted(records)

        # Filtering: each filter alone, then combined, against counts computed from the JSON output.
        page.select_option("#f-agent", "agent.03")
        assert {r["id"] for r in visible_rows(page)} == {i for i, r in records.items() if r["agent"] == "agent.03"}
        page.select_option("#f-agent", "")
        page.select_option("#f-team", "t2")
        t2 = {i for i, r in records.items() if r["team"] == "t2"}
        assert {r["id"] for r in visible_rows(page)} == t2
        assert page.locator("#t-conversations").text_content() == str(len(t2))
        assert page.locator("#t-findings").text_content() == str(sum(len(by_conv.get(i, [])) for i in t2))
        page.select_option("#f-category", "emoji")
        with_emoji = {i for i in t2 if any(f["category"] == "emoji" for f in by_conv.get(i, []))}
        assert {r["id"] for r in visible_rows(page)} == with_emoji and with_emoji
        page.click("#f-reset")
        page.select_option("#f-verdict", "autofail")
        auto = {i for i, r in records.items() if r["scorecard"]["auto_fail"]}
        assert {r["id"] for r in visible_rows(page)} == auto and auto
        assert page.locator("#t-autofail").text_content() == str(len(auto))
        page.select_option("#f-verdict", "pass")
        assert {r["id"] for r in visible_rows(page)} == {i for i, r in records.items() if r["passed"]}
        page.click("#f-reset")
        page.fill("#f-text", "s-01")
        assert {r["id"] for r in visible_rows(page)} == {i for i in records if i.startswith("s-01")}
        page.click("#f-reset")
        assert len(visible_rows(page)) == 40
        assert session.errors == [] and session.dialogs == []
    finally:
        session.close()


def test_screenshots(browser, scanned, tmp_path):
    """Screenshots for the docs; refreshed in docs/img only when asked (tests must not dirty the checkout)."""
    out, _ = scanned["masked"]
    target = DOCS_IMG if os.environ.get("QA_LINTER_UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    session = Page(browser, 1280, 1400)  # tall enough for the whole findings list beside the chat
    try:
        page = session.open(out / scorecard_page(out, "s-005"))  # an auto-fail: a card number (masked) and a taboo phrase
        page.locator("mark.hl").first.hover()
        page.screenshot(path=str(target / "scorecard.png"), full_page=True)
        page = session.open(out / "index.html")
        page.set_viewport_size({"width": 1400, "height": 860})
        page.click("th:has-text('得分')")
        page.click("th:has-text('得分')")
        page.screenshot(path=str(target / "index.png"))
        assert session.errors == []
    finally:
        session.close()
    for name in ("scorecard.png", "index.png"):
        assert (target / name).stat().st_size > 20_000


def test_print_layout_has_no_interactive_parts(browser, scanned):
    out, _ = scanned["masked"]
    session = Page(browser)
    try:
        page = session.open(out / scorecard_page(out, "s-005"))
        page.emulate_media(media="print")
        assert not page.locator(".topbar").is_visible() and not page.locator("a.f-goto").first.is_visible()
        assert page.locator("li.finding").last.is_visible()
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        session.close()


# -- an index larger than one page -------------------------------------------------------------------------------
TEST_RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"


def many_conversations(count: int) -> list[dict]:
    texts = ["您好，已为您处理。", "亲，您好", "亲，这个我不知道", "您好，我不知道，亲"]
    return [{"id": f"x-{i:04d}", "agent": f"agent.{i % 7}", "team": f"t{i % 3}",
             "started_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00+08:00",
             "messages": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": texts[i % len(texts)]}]}
            for i in range(count)]


def test_an_index_of_more_conversations_than_a_page_filters_sorts_and_totals_them_all(browser, tmp_path):
    conversations = many_conversations(450)
    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations), encoding="utf-8")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["scan", "--no-builtin", "--rules", str(TEST_RULES), str(source), "--html", str(out),
                                       "--format", "json", "-o", str(tmp_path / "scan.json")], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    records = {c["id"]: c for c in json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["conversations"]}
    session = Page(browser, 1400, 900)
    try:
        page = session.open(out / "index.html")
        session.assert_offline_and_clean(out / "index.html")
        assert len(visible_rows(page)) == 200  # one page of rows in the document …
        assert page.locator("#t-conversations").text_content() == "450"  # … totals over all of them
        assert page.locator("#p-info").text_content() == "第 1–200 个，共 450 个"
        page.click("#p-next")
        page.click("#p-next")
        assert len(visible_rows(page)) == 50 and page.locator("#p-next").is_disabled()
        # Sorting covers every row, not the page shown: the best score first, then the worst.
        page.click("th:has-text('得分')")
        best = max(r["score"] for r in records.values() if r["score"] is not None)
        assert float(visible_rows(page)[0]["score"]) == best
        page.click("th:has-text('得分')")
        worst = min(r["score"] for r in records.values() if r["score"] is not None)
        assert float(visible_rows(page)[0]["score"]) == worst
        # Search and filters find conversations on any page.
        page.fill("#f-text", "x-0449")
        assert [r["id"] for r in visible_rows(page)] == ["x-0449"]
        page.click("#f-reset")
        page.select_option("#f-agent", "agent.3")
        expected = {i for i, r in records.items() if r["agent"] == "agent.3"}
        assert page.locator("#t-conversations").text_content() == str(len(expected))
        assert {r["id"] for r in visible_rows(page)} == expected  # fewer than a page: all shown
        assert session.errors == [] and session.dialogs == []
    finally:
        session.close()

"""The agent page in headless Chromium: checked while typing, highlighted in place, one-click fixes, XSS-safe."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from browser import launch_browser, requires_chromium

pytestmark = requires_chromium


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as browser:
        yield browser


class Watched:
    """A page that records console errors, page errors and every request it makes."""

    def __init__(self, browser, base: str):
        self.base = base
        self.page = browser.new_page(viewport={"width": 1200, "height": 860})
        self.page.set_default_timeout(10_000)
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.checks = 0
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.on("request", self._request)
        self.page.goto(base + "/")

    def _request(self, request) -> None:
        self.requests.append(request.url)
        if request.url.endswith("/v1/check"):
            self.checks += 1

    def finding(self, rule: str):
        return self.page.locator(f"#findings li[data-rule='{rule}']")

    def marks(self) -> list[tuple[str, str]]:
        """(marked text, severity) of every highlight behind the draft."""
        return [(m.inner_text(), m.get_attribute("class").split()[0]) for m in self.page.locator("#mirror mark").all()]

    def assert_clean(self) -> None:
        assert self.problems == []
        foreign = [u for u in self.requests if not u.startswith(self.base + "/")]
        assert foreign == [], foreign


def test_typing_highlights_and_a_suggestion_fixes(browser, start_service):
    w = Watched(browser, start_service())
    page = w.page
    page.click("#draft")
    page.keyboard.type("亲，这个我不知道", delay=15)

    w.finding("t-slang").wait_for()
    w.finding("t-taboo").wait_for()
    assert ("亲", "warning") in w.marks() and ("不知道", "error") in w.marks()
    assert page.locator("#verdict").inner_text() == "请修改后发送"
    # Typed key by key, but debounced: far fewer requests than keystrokes.
    assert 1 <= w.checks < len("亲，这个我不知道")

    slang = w.finding("t-slang")
    assert slang.locator("ins").inner_text() == "您"
    slang.locator("button.apply").click()
    w.finding("t-slang").wait_for(state="detached")
    assert page.input_value("#draft") == "您，这个我不知道"
    assert [m for m in w.marks() if m[0] == "亲"] == []
    assert w.finding("t-taboo").count() == 1 and ("不知道", "error") in w.marks()

    w.finding("t-taboo").locator("button.apply").click()
    w.finding("t-taboo").wait_for(state="detached")
    assert page.input_value("#draft") == "您，这个我我帮您核实一下"
    expect(page.locator("#verdict")).to_have_text("可以发送")  # (no wait_for_function: the page's CSP forbids eval)
    w.assert_clean()


def test_advice_is_shown_without_an_apply_button(browser, start_service):
    w = Watched(browser, start_service())
    w.page.fill("#draft", "亲亲，请问有什么问题")
    greeting = w.finding("t-greeting")
    greeting.wait_for()
    assert greeting.locator(".where").inner_text() == "针对整条回复"
    slang = w.finding("t-slang")
    assert slang.locator(".advice").inner_text() == "使用规范书面语"
    assert slang.locator("button").count() == 0
    w.assert_clean()


def test_context_turns_on_context_rules(browser, start_service):
    w = Watched(browser, start_service())
    context = [{"role": "customer", "text": "宽带坏了"}, {"role": "agent", "text": "您好"}, {"role": "customer", "text": "太慢了，我要投诉"}]
    w.page.fill("#context", json.dumps(context, ensure_ascii=False))
    w.page.fill("#draft", "请提供订单号")
    w.finding("t-empathy").wait_for()
    assert w.finding("t-greeting").count() == 0  # not the first reply any more
    assert "3 条消息" in w.page.inner_text("#context-status")
    w.page.fill("#context", "[{oops")
    expect(w.page.locator("#context-status.bad")).to_contain_text("上下文无效")
    w.assert_clean()


def test_text_with_markup_and_astral_characters_stays_text(browser, start_service, tmp_path):
    from qa_linter import Linter

    rules = tmp_path / "xss.yaml"
    rules.write_text(
        """rules:
  - id: x-markup
    type: phrases
    category: slang
    message: "<img src=x onerror=\\"window.__xss=1\\">「{match}」"
    terms: [{term: 亲, suggest: "<b onmouseover=window.__xss=2>您</b>"}]
""",
        encoding="utf-8",
    )
    base = start_service(linter=Linter.from_config(rules=[rules], builtin=False), rules=[str(rules)])
    w = Watched(browser, base)
    draft = "😀<script>window.__xss=3</script><i>亲</i>"
    w.page.fill("#draft", draft)
    item = w.finding("x-markup")
    item.wait_for()
    assert item.locator(".msg").inner_text() == '<img src=x onerror="window.__xss=1">「亲」'
    assert item.locator("ins").inner_text() == "<b onmouseover=window.__xss=2>您</b>"
    # The mark lands on 亲 even after an emoji (two UTF-16 units, one code point).
    assert w.marks() == [("亲", "warning")]
    assert w.page.locator("#mirror img, #mirror script, #mirror i, #findings img, #findings b").count() == 0
    item.locator("button.apply").click()
    w.finding("x-markup").wait_for(state="detached")
    assert w.page.input_value("#draft") == "😀<script>window.__xss=3</script><i><b onmouseover=window.__xss=2>您</b></i>"
    assert w.page.evaluate("window.__xss") is None
    w.assert_clean()


def test_a_delete_suggestion_deletes_the_words(browser, start_service, builtin_linter):
    """The slang lexicon's "(删除)" means "just delete it": applying it must remove yyds, not write "(删除)"."""
    w = Watched(browser, start_service(linter=builtin_linter))
    page = w.page
    page.click("#draft")
    page.keyboard.type("您好，这个功能真的yyds！", delay=10)
    slang = w.finding("slang-internet")
    slang.wait_for()
    assert slang.locator("del").inner_text() == "yyds"
    assert slang.locator("button.apply").inner_text() == "删除"
    slang.locator("button.apply").click()
    w.finding("slang-internet").wait_for(state="detached")
    assert page.input_value("#draft") == "您好，这个功能真的！"
    page.keyboard.press("Control+z")  # a normal edit: undo brings the words back
    assert page.input_value("#draft") == "您好，这个功能真的yyds！"
    w.assert_clean()

"""PII outside the message text: a conversation id, an agent or a team name can be a phone number or an e-mail
address too. Masked outputs (scorecard pages and their index, the weekly report and its exports) must not
show them, in the text, the page titles, the file names or the manifest, while the header says 已脱敏; and
the weekly report still links to the right scorecard page.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.outputs.html_scorecard import scorecard_page

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
PHONE, EMAIL, TEAM_PHONE = "13912345678", "li.ming@example.com", "13800138000"
SECRETS = (PHONE, EMAIL, TEAM_PHONE, "li.ming")
SHOWN = ("139****5678", "l***@example.com", "138****8000")


def conversations() -> list[dict]:
    def conv(conv_id, agent, team, day):
        return {"id": conv_id, "agent": agent, "team": team, "started_at": f"2026-11-{day}T10:00:00+08:00",
                "messages": [{"role": "customer", "text": "在吗", "ts": f"2026-11-{day}T10:00:00+08:00"},
                             {"role": "agent", "text": "亲，我不知道", "ts": f"2026-11-{day}T10:00:30+08:00"}]}

    return [conv(PHONE, EMAIL, f"team-{TEAM_PHONE}", 24), conv("s-plain", "agent.01", "t1", 25)]


def run(*args, expect=(0, 1)):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in expect, result.output
    return result


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations()), encoding="utf-8")
    return tmp_path, source


def every_file(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}


def test_masked_pages_index_names_and_manifest_show_no_pii_from_ids_and_names(world):
    tmp, source = world
    run("scan", "--no-builtin", "--rules", RULES, source, "--html", "site", "-q")
    files = every_file(tmp / "site")
    for name, text in files.items():
        for secret in SECRETS:
            assert secret not in name and secret not in text, (secret, name)
    page = scorecard_page(tmp / "site", PHONE)
    assert page is not None and page.startswith("c-") and page in files
    html = files[page]
    assert "<title>139****5678 · 质检评分卡</title>" in html
    assert ">139****5678</h1>" in html and ">l***@example.com</span>" in html and "team-138****8000" in html
    index = files["index.html"]
    assert "客户个人信息已脱敏" in index
    assert all(shown in index for shown in SHOWN)
    assert scorecard_page(tmp / "site", "s-plain").startswith("c-")  # every masked page is named by a hash


def test_the_weekly_report_masks_ids_and_names_and_still_links_the_pages(world):
    tmp, source = world
    run("scan", "--no-builtin", "--rules", RULES, source, "--html", "site", "--store", "store.db", "-q")
    run("report", "weekly", "--store", "store.db", "--week", "2026-W48", "--scorecards", "site", "--out", "report",
        expect=(0,))
    files = every_file(tmp / "report")
    assert sorted(files) == ["weekly-2026-W48.csv", "weekly-2026-W48.html", "weekly-2026-W48.json"]
    for name, text in files.items():
        for secret in SECRETS:
            assert secret not in text, (secret, name)
    data = json.loads(files["weekly-2026-W48.json"])
    worst = {w["id"]: w for w in data["worst"]}
    assert set(worst) == {"139****5678", "s-plain"}
    assert worst["139****5678"]["agent"] == "l***@example.com"
    assert worst["139****5678"]["href"] == f"../site/{scorecard_page(tmp / 'site', PHONE)}"
    assert {a["agent"] for a in data["agents"]} == {"l***@example.com", "agent.01"}
    assert "team-138****8000" in files["weekly-2026-W48.csv"]
    text = run("report", "weekly", "--store", "store.db", "--week", "2026-W48", "--format", "text", expect=(0,)).output
    assert PHONE not in text and EMAIL not in text and "139****5678" in text


def test_unmasked_pages_keep_readable_names_and_a_masked_rescan_leaves_no_unmasked_page_behind(world):
    tmp, source = world
    run("scan", "--no-builtin", "--rules", RULES, source, "--html", "site", "-q", "--no-mask")
    assert scorecard_page(tmp / "site", "s-plain") == "s-plain.html"
    assert scorecard_page(tmp / "site", PHONE) == f"{PHONE}.html"
    assert PHONE in (tmp / "site" / "scorecards.json").read_text(encoding="utf-8")
    run("scan", "--no-builtin", "--rules", RULES, source, "--html", "site", "-q")
    files = every_file(tmp / "site")
    assert f"{PHONE}.html" not in files and "s-plain.html" not in files
    for name, text in files.items():
        for secret in SECRETS:
            assert secret not in name and secret not in text, (secret, name)
    assert sorted(n for n in files if n.endswith(".html")) == sorted(
        ["index.html", scorecard_page(tmp / "site", PHONE), scorecard_page(tmp / "site", "s-plain")])

"""`qa-lint check`: output, exit codes, input errors; and the same findings from the API, the CLI and HTTP."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from qa_linter.cli import main

TEST_RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"
PACK = ["--no-builtin", "--rules", str(TEST_RULES)]
CONTEXT = [
    {"role": "customer", "text": "网太慢了，我要投诉", "ts": "2026-11-20T10:00:00+08:00"},
    {"role": "agent", "text": "您好，请问您的宽带账号是？", "ts": "2026-11-20T10:00:30+08:00"},
    {"role": "customer", "text": "还是太慢了，着急", "ts": "2026-11-20T10:01:00+08:00"},
]


def run(*args, input=None):
    return CliRunner().invoke(main, ["check", *args, *PACK], input=input)


@pytest.fixture
def context_file(tmp_path):
    path = tmp_path / "conversation.json"
    path.write_text(json.dumps({"id": "c-42", "channel": "chat", "messages": CONTEXT}, ensure_ascii=False), encoding="utf-8")
    return path


# -- the three ways agree --------------------------------------------------------------------------------------
CASES = [
    ("亲，请修改DNS设置，这个我不知道", None, None),
    ("好的，请您重启光猫试试", "context", "2026-11-20T10:06:00+08:00"),
    ("您好，非常抱歉让您着急了，我现在发起远程协助", "context", None),
]


@pytest.mark.parametrize("draft, with_context, ts", CASES)
def test_api_cli_and_http_give_identical_findings(draft, with_context, ts, test_linter, context_file, start_service):
    context = {"id": "c-42", "channel": "chat", "messages": CONTEXT} if with_context else None
    api = test_linter.check_reply(draft, context=context, ts=ts).to_dict()

    args = [draft, "--format", "json"] + (["--context", str(context_file)] if with_context else []) + (["--ts", ts] if ts else [])
    cli_run = run(*args)
    assert cli_run.exit_code == (1 if api["blocking"] else 0), cli_run.output
    cli = json.loads(cli_run.stdout)

    body = {"draft": draft, **({"context": context} if context else {}), **({"ts": ts} if ts else {})}
    http = httpx.post(start_service() + "/v1/check", json=body).json()

    assert api["findings"], "each case must produce findings"
    for other in (cli, http):
        assert other["findings"] == api["findings"]
        assert other["suggestions"] == api["suggestions"]
        assert (other["blocking"], other["message_index"], other["rule_pack"]) == (api["blocking"], api["message_index"], api["rule_pack"])


def test_the_installed_command_reads_the_draft_from_stdin(context_file):
    done = subprocess.run(
        [sys.executable, "-m", "qa_linter.cli", "check", "-", "--context", str(context_file), "--format", "json", *PACK],
        input="您好，请提供订单号\n".encode(), capture_output=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert [f["rule"] for f in result["findings"]] == ["t-empathy"]
    assert result["findings"][0]["conversation_id"] == "c-42" and result["message_index"] == 3


# -- text output and exit codes ------------------------------------------------------------------------------
def test_text_output_marks_the_words_and_gives_the_fix():
    result = run("您好，亲，这个我不知道", "--color", "never")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "warning  网络用语「亲」  t-slang"
    assert lines[1] == "         您好，«亲»，这个我不知道"
    assert lines[2] == "         改为：您"
    assert lines[3] == "error    服务忌语「不知道」  t-taboo"
    assert "2 findings (1 error, 1 warning) · blocks sending (--fail-on error)" in result.stderr
    assert all(len(line) <= 80 for line in lines)


def test_advice_is_labelled_as_advice():
    result = run("您好亲亲", "--color", "never")
    assert "         建议：使用规范书面语" in result.stdout.splitlines()


def test_a_clean_reply_exits_0_and_says_so():
    result = run("您好，请问有什么可以帮您？")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no findings · ok to send" in result.stderr


def test_fail_on_sets_what_blocks():
    assert run("您好，亲").exit_code == 0
    assert run("您好，亲", "--fail-on", "warning").exit_code == 1
    assert run("您好，我不知道", "--fail-on", "never").exit_code == 0


def test_channel_and_ts_reach_the_timing_rule(context_file):
    late = ["--context", str(context_file), "--ts", "2026-11-20T10:09:00+08:00", "--format", "json"]
    assert "t-slow" in {f["rule"] for f in json.loads(run("好的，非常抱歉", *late).stdout)["findings"]}
    assert "t-slow" not in {f["rule"] for f in json.loads(run("好的，非常抱歉", *late, "--channel", "email").stdout)["findings"]}


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "conversation.json:1: invalid JSON"),
        ('{"id": "a", "messages": [{"role": "bot", "text": "x"}]}', "conversation.json: messages[0].role 'bot' must be agent, customer or system"),
        ('{"id": "a", "messages": []}\n{"id": "b", "messages": []}', "conversation.json: 2 JSON lines; --context takes one conversation"),
    ],
)
def test_a_bad_context_file_is_exit_2_with_the_place(tmp_path, content, message):
    path = tmp_path / "conversation.json"
    path.write_text(content, encoding="utf-8")
    result = run("您好", "--context", str(path))
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_usage_errors_are_exit_2(tmp_path):
    missing = run("您好", "--context", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "nope.json: cannot read: No such file or directory" in missing.stderr
    assert run("-", input="   \n").exit_code == 2
    both = run("-", "--context", "-", input="x")
    assert both.exit_code == 2 and "cannot both come from stdin" in both.stderr
    bad_ts = run("您好", "--ts", "tomorrow")
    assert bad_ts.exit_code == 2 and "ts: 'tomorrow' is not an ISO 8601 time" in bad_ts.stderr
    assert run("您好", "--rules", str(tmp_path / "missing.yaml")).exit_code == 2


def test_a_cold_check_loads_nothing_of_the_block_engine(tmp_path):
    """`qa-lint check` starts in less time than jieba's own dictionary load: it must not import what only batch
    scans need (numpy, orjson, the Aho-Corasick automaton of the block pass, qa_linter.blocks)."""
    probe = (
        "import sys\n"
        "sys.argv = ['qa-lint', 'check', '亲，这个我不知道，您自己看一下说明书吧']\n"
        "from qa_linter.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'orjson', 'ahocorasick_rs')"
        " or m.startswith('qa_linter.blocks'))\n"
        "print('LOADED', code, heavy[:5])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8",
                            cwd=tmp_path, timeout=120)
    assert "LOADED 1 []" in result.stdout, result.stdout + result.stderr

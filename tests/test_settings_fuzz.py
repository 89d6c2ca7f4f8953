"""Never a traceback for a mistake in a configuration or a rule file: damaged copies of real ones, line by line.

Each case takes a real file (a configuration that uses most settings, or a built-in rule file) and damages a few
of its lines the way hands do: a line dropped, doubled, indented or not, a value or a key replaced by something
of another kind (a number, null, a list, a bad pattern, NaN). Whatever the damage, the command either works or
stops with its own message and exit 2. The cases are drawn from fixed seeds, so a failure is reproducible.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main

RULES = sorted((Path(__file__).resolve().parent.parent / "rules").glob("*.yaml"))
CONFIG = """\
audiences: {cloud-support: developer}
audience_segments: {开发者: developer, 3: business}
severity: {slang: error}
options:
  slow-response: {thresholds: {chat: {first: 30}}}
  jargon-unexplained: {lexicon+: [tech-terms-web]}
  empathy-missing:
    trigger+: {lexicon+: [frustration-shop-reports]}
select: [slang, jargon-unexplained, slow-response, empathy-missing]
own_domains: [example.cn]
csv_columns: {text: 内容}
fail_on: warning
"""
VALUES = ["5", "null", "[]", "{}", "true", "'(x'", "[1, {a: 2}]", "-1", "1e999", ".nan", '"亲"', "[[1]]", "~"]
KEYS = ["5", "null", "when", "unless", "scope", "trigger", "x+", "lexicon+", "near", "true"]
TRANSCRIPT = ('{"id": "c1", "channel": "chat", "messages": [{"role": "customer", "text": "气死了 DNS", '
              '"ts": "2026-11-20T10:00:00+08:00"}, {"role": "agent", "text": "亲 请重启光猫", '
              '"ts": "2026-11-20T10:05:00+08:00"}]}\n')


def damaged(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        line, op = lines[i], rng.choice(["drop", "double", "indent", "dedent", "value", "key", "cut"])
        indent = line[: len(line) - len(line.lstrip())]
        if op == "drop":
            del lines[i]
        elif op == "double":
            lines.insert(i, line)
        elif op == "indent":
            lines[i] = "  " + line
        elif op == "dedent":
            lines[i] = line.lstrip()
        elif op == "value" and ":" in line:
            lines[i] = line.split(":", 1)[0] + ": " + rng.choice(VALUES)
        elif op == "key" and ":" in line:
            lines[i] = indent + rng.choice(KEYS) + ":" + line.split(":", 1)[1]
        elif op == "cut":
            lines[i] = line[: rng.randrange(len(line) + 1)]
    return "\n".join(lines)


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("seed", range(60))
def test_a_damaged_configuration_is_a_message_not_a_traceback(tmp_path, seed):
    (tmp_path / "t.jsonl").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "qa-linter.yaml").write_text(damaged(CONFIG, random.Random(seed)), encoding="utf-8")
    _no_traceback(CliRunner().invoke(main, ["scan", str(tmp_path / "t.jsonl"), "--config",
                                            str(tmp_path / "qa-linter.yaml"), "-q"]))


@pytest.mark.parametrize("seed", range(60))
def test_a_damaged_rule_file_is_a_message_not_a_traceback(tmp_path, seed):
    rng = random.Random(1000 + seed)
    source = rng.choice(RULES)
    (tmp_path / source.name).write_text(damaged(source.read_text(encoding="utf-8"), rng), encoding="utf-8")
    _no_traceback(CliRunner().invoke(main, ["rules", "validate", str(tmp_path / source.name)]))

"""A run assembled once: the configuration file read once, merged with the options, every part built from it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_linter.cli import main
from qa_linter.config import Config
from qa_linter.errors import ConfigError
from qa_linter.run import Run, RunOptions

RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"


pytestmark = pytest.mark.usefixtures("outside_any_project")  # conftest.py: run from an empty folder


def test_options_win_over_the_configuration_and_the_defaults_fill_the_rest():
    config = Config(None, {"fail_on": "warning", "jobs": 3, "input_format": "csv"})
    assert Run(RunOptions(), config).fail_on == "warning"
    assert Run(RunOptions(fail_on="info", jobs=1, input_format="jsonl"), config).fail_on == "info"
    assert Run(RunOptions(jobs=1), config).jobs == 1 and Run(RunOptions(), config).jobs == 3
    assert Run(RunOptions(), Config()).fail_on == "error"
    assert Run(RunOptions(input_format="jsonl"), config).input_format == "jsonl"


@pytest.mark.parametrize(
    ("data", "part", "message"),
    [
        ({"fail_on": "sometimes"}, "fail_on", "fail_on 'sometimes' must be one of error, warning, info, never"),
        ({"jobs": "many"}, "jobs", "jobs 'many' must be a whole number of at least 1"),
        ({"input_format": "word"}, "reader_options", "input_format 'word' must be one of jsonl, csv"),
    ],
)
def test_a_wrong_setting_is_a_config_error_when_its_part_is_built(data, part, message):
    run = Run(RunOptions(), Config(None, data))
    with pytest.raises(ConfigError, match=message):
        getattr(run, part)


def test_a_severity_override_without_a_level_is_a_config_error():
    run = Run(RunOptions(no_builtin=True, rules=(str(RULES),), severity=("slang",)), Config())
    with pytest.raises(ConfigError, match="RULE_OR_CATEGORY=error"):
        run.linter


def test_the_parts_are_built_once_and_only_when_asked():
    run = Run(RunOptions(no_builtin=True, rules=(str(RULES),)), Config())
    assert "linter" not in run.__dict__ and "scoring" not in run.__dict__
    assert run.scoring is run.scoring and run.linter is run.linter
    assert run.store_location is None and run.masker.enabled and run.store_masker.enabled
    assert not Run(RunOptions(mask=False), Config()).masker.enabled
    assert Run(RunOptions(mask=False), Config()).store_masker.enabled  # the store is always masked


def test_a_scan_reads_the_configuration_file_once(tmp_path, monkeypatch):
    """Following --rules through a scan with every output: the configuration file is entered once (it was four
    times when each part of the set-up read it again)."""
    import qa_linter.config as config_module
    import qa_linter.engine as engine_module
    import qa_linter.run as run_module

    (tmp_path / "qa-linter.yaml").write_text(f"rules: [{RULES}]\nbuiltin: false\nstore: results.db\n", encoding="utf-8")
    transcripts = tmp_path / "t.jsonl"
    transcripts.write_text(json.dumps({"id": "c", "messages": [{"role": "agent", "text": "亲，您好"}]},
                                      ensure_ascii=False) + "\n", encoding="utf-8")
    reads = []
    real = config_module.load_config

    def counting(*args, **kwargs):
        reads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(config_module, "load_config", counting)
    monkeypatch.setattr(run_module, "load_config", counting)
    monkeypatch.setattr(engine_module, "load_config", counting)
    result = CliRunner().invoke(main, ["scan", str(transcripts), "--html", str(tmp_path / "html"), "--format", "json",
                                       "--jobs", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "t-slang" in {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert (tmp_path / "results.db").exists() and (tmp_path / "html" / "index.html").exists()
    assert len(reads) == 1


def test_the_service_builds_its_rules_through_the_same_run(tmp_path):
    from qa_linter.service.settings import ServiceSettings

    run = Run(RunOptions(rules=(str(RULES),), no_builtin=True, select=("t-slang,t-taboo",), fail_on="warning"),
              Config())
    settings = ServiceSettings.for_run(run, port=0)
    assert settings.fail_on == "warning" and settings.rules == [str(RULES.resolve())]
    assert [r.id for r in settings.build_linter().rules] == [r.id for r in run.linter.rules] == ["t-taboo", "t-slang"]


def test_every_command_module_is_registered_once():
    from qa_linter.cli import COMMANDS

    modules = sorted(p.stem for p in (Path(__file__).parent.parent / "qa_linter" / "cli").glob("*.py")
                     if p.stem not in ("__init__", "__main__", "common"))
    assert sorted(COMMANDS) == modules
    assert sorted(main.commands) == sorted(COMMANDS)

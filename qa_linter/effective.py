"""The effective configuration of a run, each value with where it came from (`qa-lint config show`).

A value comes from a command-line option, the configuration file (qa-linter.yaml and its line, or
`[tool.qa-linter]` in pyproject.toml), both (lists and mappings that merge: rules, ignore, severity), or the
default. The values are the ones the Run itself uses (its properties where it has them), so what this shows is
what a scan with the same options does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import KEYS
from .run import Run, severity_overrides, split_entries


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str  # "--select", "qa-linter.yaml:3", "qa-linter.yaml:3 + --ignore", "default: every rule"

    def to_dict(self) -> dict:
        return {"value": self.value, "source": self.source}


def effective_settings(run: Run) -> list[Setting]:
    """Every setting of config.KEYS, in that order, as the run uses it."""
    config, options = run.config, run.options

    def from_file(key: str) -> str:
        return config.where(key)

    def said(key: str) -> bool:
        return config.get(key) is not None

    def simple(key: str, flag_value, flag: str, default, default_note: str) -> Setting:
        if flag_value not in (None, (), False):
            return Setting(key, flag_value, flag)
        if said(key):
            return Setting(key, config.get(key), from_file(key))
        return Setting(key, default, f"default: {default_note}")

    def merged_list(key: str, file_values: list, flag_values: list, flag: str, default_note: str) -> Setting:
        sources = ([from_file(key)] if file_values else []) + ([flag] if flag_values else [])
        return Setting(key, [*file_values, *flag_values], " + ".join(sources) or f"default: {default_note}")

    def paths(key: str) -> list[str]:
        return [str(p) for p in config.paths(key)] if said(key) else []

    def texts(key: str) -> list[str]:
        value = config.get(key)
        return [] if value is None else [str(value)] if isinstance(value, (str, int)) else [str(v) for v in value]

    settings: dict[str, Setting] = {}
    settings["rules"] = merged_list("rules", paths("rules"), list(options.rules), "--rules", "only the built-in pack")
    if options.no_builtin:
        settings["builtin"] = Setting("builtin", False, "--no-builtin")
    else:
        settings["builtin"] = simple("builtin", None, "", True, "load the built-in pack")
    settings["lexicons"] = merged_list("lexicons", paths("lexicons"), [], "", "the packs' own lexicon folders")
    select = split_entries(options.select)
    if select:
        settings["select"] = Setting("select", select, "--select")
    else:
        settings["select"] = simple("select", None, "", [], "every rule")
        if said("select"):
            settings["select"] = Setting("select", texts("select"), from_file("select"))
    settings["ignore"] = merged_list("ignore", texts("ignore"), split_entries(options.ignore), "--ignore", "nothing ignored")
    file_severity = {str(k): v for k, v in (config.get("severity") or {}).items()}
    flag_severity = severity_overrides(options.severity)
    settings["severity"] = Setting(
        "severity", {**file_severity, **flag_severity},
        " + ".join(([from_file("severity")] if file_severity else []) + (["--severity"] if flag_severity else []))
        or "default: each rule's own")
    settings["options"] = simple("options", None, "", {}, "each rule's own fields")
    settings["fail_on"] = Setting("fail_on", run.fail_on, "--fail-on" if options.fail_on else
                                  from_file("fail_on") if said("fail_on") else "default")
    input_format = run.input_format
    settings["input_format"] = Setting("input_format", input_format, "--input-format" if options.input_format else
                                       from_file("input_format") if said("input_format") else
                                       "default: by file extension, else by content")
    settings["encoding"] = simple("encoding", options.encoding, "--encoding", None, "detected per file")
    for key, note in (("support_addresses", "none"), ("own_domains", "none"), ("allowlist", "none")):
        settings[key] = simple(key, None, "", [], note)
        if said(key):
            settings[key] = Setting(key, texts(key), from_file(key))
    for key, note in (("audiences", "none"), ("audience_segments", "none: meta.audience names an audience itself"),
                      ("csv_columns", "none: columns found by their usual names"),
                      ("chat_log", "the built-in speaker prefixes and header pattern (docs/input-formats.md)"),
                      ("agents", "none: an e-mail's agent is the address of its first reply")):
        settings[key] = simple(key, None, "", {}, note)
    if options.scorecard:
        settings["scorecard"] = Setting("scorecard", options.scorecard, "--scorecard")
    elif said("scorecard"):
        settings["scorecard"] = Setting("scorecard", paths("scorecard")[0], from_file("scorecard"))
    else:
        from .scoring import default_scorecard_path

        settings["scorecard"] = Setting("scorecard", str(default_scorecard_path()), "default: the bundled scorecard")
    from .reporting.periods import DEFAULT_TIMEZONE

    settings["timezone"] = simple("timezone", None, "", DEFAULT_TIMEZONE, "China Standard Time")
    if options.no_store:
        settings["store"] = Setting("store", None, "--no-store")
    elif options.store:
        settings["store"] = Setting("store", options.store, "--store")
    elif said("store"):
        settings["store"] = Setting("store", run.store_location, from_file("store"))
    else:
        settings["store"] = Setting("store", None, "default: results are not stored")
    from .review.suppressions import suppressions_path

    location = str(suppressions_path(config))
    if options.no_suppress:
        settings["suppressions"] = Setting("suppressions", None, "--no-suppress")
    else:
        settings["suppressions"] = Setting("suppressions", location, from_file("suppressions") if said("suppressions")
                                           else "default: next to the configuration file, else in this folder")
    settings["jobs"] = Setting("jobs", run.jobs, "--jobs" if options.jobs is not None else
                               from_file("jobs") if said("jobs") else "default: one process per CPU core")
    # A setting added to config.KEYS without a line here is still shown, from the file or as not set
    # (tests/test_cli_newcomer.py asks for a line of its own).
    return [settings.get(key) or simple(key, None, "", None, "not set") for key in KEYS]

"""Project configuration: `qa-linter.yaml` (or `.qa-linter.yaml`, or `[tool.qa-linter]` in pyproject.toml).

Found in the current folder or the nearest parent, or given with `--config`. Command-line options win.
"""
from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAMES = ("qa-linter.yaml", ".qa-linter.yaml", "qa-linter.yml")

# key -> meaning; shown in errors for unknown keys
KEYS = {
    "rules": "extra rule files or folders (paths relative to the config file)",
    "builtin": "load the built-in rule pack (default true)",
    "lexicons": "extra folders searched for lexicon files",
    "select": "rule ids, categories or prefixes (id*) to run; default all",
    "ignore": "rule ids, categories or prefixes to skip",
    "severity": "map of rule id or category to error | warning | info",
    "options": "map of rule id to field overrides, e.g. slow-response: {thresholds: …}",
    "fail_on": "error | warning | info | never",
    "input_format": "force an input format",
    "encoding": "force the text encoding of CSV and chat-log inputs",
    "support_addresses": "e-mail addresses or @domains of the support side (also never PII)",
    "agents": "agents.mailboxes: map of an agent's e-mail address to the agent's name (or {name, team}), for e-mail inputs",
    "own_domains": "the company's own mail domains (and their subdomains): addresses there are never PII",
    "audiences": "map of team or product line (meta.product) to the audience jargon is judged for: consumer, developer, merchant …",
    "audience_segments": "map of the customer segments your CRM exports in meta.audience (企业客户, 开发者 …) to those audiences",
    "csv_columns": "explicit CSV column mapping",
    "chat_log": "chat-log speaker prefixes and header pattern",
    "allowlist": "numbers and addresses that are never PII (company hotlines, support mailboxes)",
    "scorecard": "path to a scorecard.yaml",
    "timezone": "IANA time zone for weekly reports (default Asia/Shanghai)",
    "store": "default results store path",
    "suppressions": "path to the suppressions file (default: qa-linter-suppressions.yaml next to this file)",
    "jobs": "processes that run the rules in `scan` (default: the number of CPU cores)",
}

# The shape each setting must have; anything else is a mistake reported at its line before any part reads it.
_LISTS = ("rules", "lexicons", "select", "ignore", "support_addresses", "own_domains", "allowlist")  # or one text
_MAPPINGS = ("severity", "options", "audiences", "audience_segments", "csv_columns", "chat_log")
_TEXTS = ("fail_on", "input_format", "encoding", "scorecard", "timezone", "store", "suppressions")


def _shape_problem(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if key in _LISTS and not (isinstance(value, (str, int)) or (isinstance(value, list)
                                                                and all(isinstance(v, (str, int)) for v in value))):
        return f"{key} must be a list of texts (or one text)"
    if key in _MAPPINGS and not isinstance(value, dict):
        return f"{key} must be a mapping (key: value lines under it)"
    if key in _TEXTS and not isinstance(value, str):
        return f"{key} must be a text"
    if key == "builtin" and not isinstance(value, bool):
        return "builtin must be true or false"
    return None


@dataclass
class Config:
    path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # The line of each setting in a YAML file (TOML and settings given in code have none).
    lines: dict[str, int] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def where(self, key: str, item: "int | str | None" = None) -> str:
        """Where a setting (or one item of its list, or one key of its mapping) is written: "file:line", or the
        file alone when the line is not known; "configuration" for settings given in code."""
        if self.path is None:
            return "configuration"
        if self.path.name == "pyproject.toml":
            return f"{self.path} [tool.qa-linter]"  # TOML keeps no line numbers
        line = self.lines.get(key)
        value = self.data.get(key)
        if isinstance(item, int):
            lines = getattr(value, "item_lines", None) or []
            line = lines[item] if item < len(lines) else line
        elif item is not None:
            line = (getattr(value, "key_lines", None) or {}).get(str(item), line)
        return f"{self.path}:{line}" if line else str(self.path)

    def paths(self, key: str) -> list[Path]:
        base = self.path.parent if self.path else Path.cwd()
        values = self.data.get(key) or []
        if isinstance(values, str):
            values = [values]
        return [(base / v) if not Path(v).is_absolute() else Path(v) for v in values]


def find_config(start: Path | None = None) -> Path | None:
    folder = (start or Path.cwd()).resolve()
    for d in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and _pyproject_section(pyproject) is not None:
            return pyproject
    return None


def _pyproject_section(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return data.get("tool", {}).get("qa-linter")


def load_config(path: Path | None = None, discover: bool = True) -> Config:
    if path is None and discover:
        path = find_config()
    if path is None:
        return Config()
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    if path.name == "pyproject.toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("qa-linter", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: TOML syntax: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
    else:
        from .errors import RuleError
        from .yamlfile import load_yaml

        try:
            # The line-keeping loader, so a mistake in a setting is reported at its line (Config.where).
            data = load_yaml(path)
        except RuleError as exc:
            raise ConfigError(exc.describe()) from None
        data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of settings")
    key_lines = getattr(data, "key_lines", {})
    lines = {str(k).replace("-", "_"): key_lines[str(k)] for k in data if str(k) in key_lines}
    data = {str(k).replace("-", "_"): v for k, v in data.items()}
    for key in data:
        if key not in KEYS:
            where = f"{path}:{lines[key]}" if key in lines else str(path)
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known settings: {', '.join(KEYS)}"
            raise ConfigError(f"{where}: unknown setting {key!r}; {hint}")
    config = Config(path, data, lines)
    for key, value in data.items():
        problem = _shape_problem(key, value)
        if problem:
            raise ConfigError(f"{config.where(key)}: {problem}")
    for key, value in data.items():
        data[key] = _texts_for_numbers(config, key, value)
    return config


def _texts_for_numbers(config: Config, key: str, value: Any) -> Any:
    """The setting with numbers where names go read as the names they are (a team 101, a CRM's segment code 3,
    a rule folder named 2024): YAML reads them as numbers, and every reader of the setting expects text. A key
    YAML reads as null or true/false is no name at all, and is reported at its line."""
    if key in _MAPPINGS and isinstance(value, dict):
        for k in value:
            if k is None or isinstance(k, bool):
                written = "null" if k is None else str(k).lower()
                raise ConfigError(f"{config.where(key, written)}: {key}: {written} is not a name "
                                  "(put it in quotes if it is one)")
        if all(isinstance(k, str) for k in value):
            return value
        named = type(value)((str(k), v) for k, v in value.items())
        named.__dict__.update(getattr(value, "__dict__", {}))  # its line and its keys' lines
        return named
    if key in _LISTS and isinstance(value, list) and not all(isinstance(v, str) for v in value):
        named = type(value)(v if isinstance(v, str) else str(v) for v in value)
        named.__dict__.update(getattr(value, "__dict__", {}))  # the lines of its items
        return named
    if key in _LISTS and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def configured_store(store_path: str | None, config) -> str | None:
    """--store, else the `store` setting (relative to the config file), else None."""
    if store_path:
        return store_path
    configured = config.paths("store") if config is not None and config.get("store") else []
    return str(configured[0]) if configured else None

"""YAML as rule packs, scorecards and settings are read: the safe loader only, with line numbers, within a size.

Every mapping remembers its own line and the line of each key (`LineDict`), every sequence the line of each item
(`LineList`), so a mistake anywhere in a file is reported as file:line.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import RuleError


class LineDict(dict):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int | None = None
    key_lines: dict[str, int] = {}


# libyaml's parser where PyYAML was built with it (the usual wheels): the same nodes and marks, several times
# faster than the pure-Python one, which matters at every start of `qa-lint`.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
        }
        return mapping


class LineList(list):
    """A YAML sequence that remembers the line of each item (scalars cannot carry their own)."""

    item_lines: list[int] = []


def _construct_line_list(loader, node):
    items = LineList()
    yield items  # two-step construction, as PyYAML does it, so recursive structures still work
    items.extend(loader.construct_sequence(node))
    items.item_lines = [item.start_mark.line + 1 for item in node.value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_line_list)


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleError(str(path), None, f"not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise RuleError(str(path), None, f"cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleError(str(path), line, yaml_problem(exc)) from None
    except yaml.YAMLError as exc:
        raise RuleError(str(path), None, f"YAML: {exc}") from None
    if not expands_within(data, MAX_YAML_VALUES):
        raise RuleError(str(path), None, TOO_MANY_VALUES)
    return data


# Rule files, lexicon lists and settings are plain data. Aliases of aliases (the "billion laughs" file) or an
# anchor that contains itself would make every later walk over the data run for hours or forever, although
# the safe loader builds them cheaply (an alias is a shared reference); real rule packs hold a few thousand.
MAX_YAML_VALUES = 1_000_000
TOO_MANY_VALUES = (
    f"the file expands to more than {MAX_YAML_VALUES:,} values through its & anchors and * aliases "
    "(aliases of aliases, or an anchor that contains itself); write the values out instead"
)


def expands_within(data: Any, budget: int) -> bool:
    """Whether `data`, with every alias expanded, holds at most `budget` values (stops as soon as it does not)."""
    stack, count = [data], 0
    while stack:
        item = stack.pop()
        count += 1
        if count > budget:
            return False
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """What a YAML error means for someone editing a rule or settings file."""
    if isinstance(exc, yaml.constructor.ConstructorError) and "constructor for the tag" in str(exc.problem):
        quoted = re.search(r"'([^']*)'", exc.problem)
        tag = (quoted.group(1) if quoted else "?").replace("tag:yaml.org,2002:", "!!")
        return (f"the tag {tag!r} is not allowed: these files are plain data (text, numbers, lists, mappings) "
                "and are read without constructing objects; remove the tag")
    return f"YAML syntax: {exc.problem or exc}; check indentation and quoting"


def line_of(node: Any, key: str | None = None) -> int | None:
    """The YAML line of a mapping (or of one of its keys), when the loader recorded it."""
    if key is not None:
        lines = getattr(node, "key_lines", None)
        if lines and key in lines:
            return lines[key]
    return getattr(node, "line", None)


def with_lines(new: dict, like: Any, key_lines: dict[str, str] | None = None) -> "LineDict":
    """`new` as a LineDict at the line of `like`; `key_lines` maps a key of `new` to the key of `like` whose line
    it takes (a derived mapping reports its mistakes where the rule wrote them)."""
    out = LineDict(new)
    out.line = line_of(like)
    out.key_lines = {key: line_of(like, source) for key, source in (key_lines or {}).items()}
    return out

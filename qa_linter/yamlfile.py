"""YAML as rule packs, scorecards and settings are read: the safe loader only, with line numbers, within a size.

Every mapping remembers its own line and the line of each key (`LineDict`), every sequence the line of each item
(`LineList`), so a mistake anywhere in a file is reported as file:line.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from .errors import RuleError


class LineDict(dict):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int | None = None
    key_lines: dict[str, int] = {}


class LineList(list):
    """A YAML sequence that remembers the line of each item (scalars cannot carry their own)."""

    item_lines: list[int] = []


@functools.cache
def _line_loader():
    """The safe loader, with lines. PyYAML is imported here, not with this module: every command reads its rules
    and settings, but from the cache (below) once a file has been parsed, and the import was 15-20 ms of each
    start (`qa-lint check`, every `scan`) that then parsed nothing."""
    import yaml

    # libyaml's parser where PyYAML was built with it (the usual wheels): the same nodes and marks, several
    # times faster than the pure-Python one.
    safe_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class LineLoader(safe_loader):
        def construct_mapping(self, node, deep=False):
            mapping = LineDict(super().construct_mapping(node, deep=deep))
            mapping.line = node.start_mark.line + 1
            mapping.key_lines = {
                str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
            }
            return mapping

    def construct_line_list(loader, node):
        items = LineList()
        yield items  # two-step construction, as PyYAML does it, so recursive structures still work
        items.extend(loader.construct_sequence(node))
        items.item_lines = [item.start_mark.line + 1 for item in node.value]

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, LineLoader.construct_mapping)
    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_line_list)
    return LineLoader


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleError(str(path), None, f"not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise RuleError(str(path), None, f"cannot read: {exc.strerror or exc}") from None
    digest = hashlib.sha1((_CACHE_FORMAT + text).encode("utf-8", "surrogatepass")).hexdigest()
    data = _cached(digest)
    if data is not _NOT_CACHED:
        return data
    import yaml

    try:
        data = yaml.load(text, Loader=_line_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleError(str(path), line, yaml_problem(exc)) from None
    except yaml.YAMLError as exc:
        raise RuleError(str(path), None, f"YAML: {exc}") from None
    if not expands_within(data, MAX_YAML_VALUES):
        raise RuleError(str(path), None, TOO_MANY_VALUES)
    _cache(digest, data)
    return data


# -- what a file of the same text gave, kept in the cache folder -------------------------------------------------
# Parsing the built-in pack's YAML (320 KB, nearly all of it patterns and examples) took 30-60 ms of every start,
# libyaml's composing the most of it; the same data as JSON, with each mapping's and sequence's lines, is read in
# 6-10 ms (the standard library's json: a pre-send `qa-lint check` imports no orjson, see test_presend_cli). A
# file is looked up by the SHA-1 of its text (and of this format's name): an edited file is a new entry, and a
# file that cannot be parsed is never kept. Only plain data is kept (text, numbers, true/false, null, mappings,
# sequences); anything else the safe loader makes (a date, a set, binary, an infinity) is parsed every time.
_CACHE_FORMAT = "qa-linter yaml cache 2\n"
_CACHED_FILES_KEPT = 64
_CACHED_VALUES_AT_MOST = 200_000  # a file that expands to more (aliases) is parsed each time, not written out
_NOT_CACHED = object()


def _cached(digest: str) -> Any:
    from .text.tokenize import read_cache_entries

    entry = read_cache_entries(f"yaml-{digest[:24]}.json", digest, "yaml")
    if "data" not in entry:
        return _NOT_CACHED
    try:
        return _decoded(entry["data"])
    except (ValueError, KeyError, TypeError, IndexError):  # a damaged file: parsed again and written anew
        return _NOT_CACHED


def _cache(digest: str, data: Any) -> None:
    from .text.tokenize import write_cache_file

    try:
        encoded = json.dumps({"version": digest, "yaml": {"data": _encoded(data, [_CACHED_VALUES_AT_MOST])}},
                             ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        encoded.encode("utf-8")  # a lone surrogate (an escape in a quoted YAML string) cannot be written out
    except (TypeError, ValueError, _TooLarge):  # UnicodeEncodeError is a ValueError
        return
    write_cache_file(f"yaml-{digest[:24]}.json", encoded, kept=("yaml-*.json", _CACHED_FILES_KEPT))


def kind_of(value: Any) -> str:
    """What a YAML value is, in the words of the rule-language docs (a list, not LineList)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "empty"
    return f"the text {value!r}" if isinstance(value, str) else type(value).__name__


class _TooLarge(Exception):
    pass


def _encoded(value: Any, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    kind = type(value)
    if kind is LineDict:
        return {"d": [value.line, value.key_lines, [[_scalar(k), _encoded(v, budget)] for k, v in value.items()]]}
    if kind is LineList:
        return {"l": [value.item_lines, [_encoded(v, budget) for v in value]]}
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value is None or type(value) in (str, bool, int) or (type(value) is float and math.isfinite(value)):
        return value
    raise TypeError(type(value).__name__)  # a date, a set, bytes, inf: not kept


def _decoded(value: Any) -> Any:
    if type(value) is not dict:
        return value
    if "d" in value:
        line, key_lines, items = value["d"]
        mapping = LineDict((key, _decoded(item)) for key, item in items)
        mapping.line, mapping.key_lines = line, key_lines
        return mapping
    item_lines, items = value["l"]
    sequence = LineList(_decoded(item) for item in items)
    sequence.item_lines = item_lines
    return sequence


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


def yaml_problem(exc: "yaml.MarkedYAMLError") -> str:
    """What a YAML error means for someone editing a rule or settings file."""
    import yaml

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

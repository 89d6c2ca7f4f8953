"""The package's structure, checked from its source: what may import what, and every shared list written once.

These read the code (with `ast`), they do not run it: a rule type's class named outside checks/, or a list of
categories, severities or channels typed out again in some module, fails here with the module and line.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qa_linter import vocabulary

PACKAGE = Path(__file__).parent.parent / "qa_linter"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, name: str | None = None) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names) for every import in the file, wherever it stands (top level, a function,
    `if TYPE_CHECKING:`)."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target, [alias.name for alias in node.names]))
    return found


def rule_type_modules() -> set[str]:
    from qa_linter.checks import RULE_TYPES

    return {cls.__module__ for cls in RULE_TYPES.values()}


RULE_TYPE_MODULES = rule_type_modules()


def concrete_rule_imports(path: Path, name: str | None = None) -> list[str]:
    from qa_linter.checks import RULE_TYPES

    classes = {cls.__name__ for cls in RULE_TYPES.values()}
    found = []
    for line, target, names in imported(path, name):
        modules = {target} | {f"{target}.{n}" for n in names}
        if modules & RULE_TYPE_MODULES or (target.startswith("qa_linter.checks") and set(names) & classes):
            found.append(f"{path.name}:{line}: {target} {names}")
    return found


def test_rule_types_are_known_by_name_only_outside_checks():
    offenders = [o for path in MODULES if path.parent.name != "checks" for o in concrete_rule_imports(path)]
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    ["from .checks.regex import RegexRule", "from .checks import RegexRule", "from . import checks\n"
     "def f():\n    from .checks import jargon"],
)
def test_the_check_catches_a_concrete_rule_import(tmp_path, source):
    """The test above can fail: the same reading finds each way of naming a rule type."""
    path = tmp_path / "presend.py"
    path.write_text(source + "\n", encoding="utf-8")
    assert concrete_rule_imports(path, "qa_linter.presend")


# The lists every module must take from vocabulary.py rather than write out again.
SHARED_LISTS = {
    "CATEGORIES": vocabulary.CATEGORIES,
    "SEVERITIES": vocabulary.SEVERITIES,
    "FAIL_ON": vocabulary.FAIL_ON,
    "ROLES": vocabulary.ROLES,
    "CHANNELS": vocabulary.CHANNELS,
    "INPUT_FORMATS": vocabulary.INPUT_FORMATS,
    "ROLE_MAILBOXES": vocabulary.ROLE_MAILBOXES,
}


def written_lists(path: Path):
    """(line, set of strings) for every tuple, list or set literal of three or more strings in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 3:
            if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                yield node.lineno, {e.value for e in node.elts}


@pytest.mark.parametrize("name", SHARED_LISTS)
def test_each_shared_list_is_written_once(name):
    wanted = set(SHARED_LISTS[name])
    places = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in MODULES
        for line, values in written_lists(path)
        if values == wanted
    ]
    # CATEGORIES, SEVERITIES, FAIL_ON and INPUT_FORMATS are derived in vocabulary.py, not written as a list.
    assert len(places) <= 1 and all(p.startswith("qa_linter/vocabulary.py") for p in places), places


def test_the_rule_pack_and_the_masker_share_the_pii_patterns(builtin_linter):
    for rule_id, kind in (("pii-mobile", "mobile"), ("pii-resident-id", "resident-id"),
                          ("pii-bank-card", "bank-card"), ("pii-email", "email")):
        rule = builtin_linter.pack.get(rule_id)
        assert rule.match.patterns.compiled == [vocabulary.PII_PATTERNS[kind].pattern]
        assert rule.validator is vocabulary.PII_PATTERNS[kind].valid
    assert vocabulary.ROLE_MAILBOX in builtin_linter.pack.get("pii-email").allow


# -- import cycles --------------------------------------------------------------------------------------------------
def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the package modules it imports, counting every import (lazy ones and type hints too: a cycle of
    type hints is still two modules that cannot be understood one without the other)."""
    graph = {}
    for name, path in modules.items():
        targets = set()
        for _, target, names in imported(path, name):
            for candidate in [f"{target}.{n}" for n in names] or [target]:
                while candidate not in modules and "." in candidate:
                    candidate = candidate.rsplit(".", 1)[0]
                if candidate in modules and candidate != name:
                    targets.add(candidate)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert cycles(import_graph({module_name(p): p for p in MODULES})) == []


def test_the_cycle_check_finds_a_cycle(tmp_path):
    (tmp_path / "a.py").write_text("from . import b\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import X\n",
                                   encoding="utf-8")
    graph = import_graph({"pkg.a": tmp_path / "a.py", "pkg.b": tmp_path / "b.py"})
    assert cycles(graph) == [["pkg.a", "pkg.b"]]

"""Every rule's own examples, one test each: `pytest -k banned-phrase-taboo-flag-2` runs exactly one.

The rules come from the built-in pack (rules/*.yaml) and from the test packs (tests/data/rules/*.yaml); each
example runs through qa_linter.examples, the code behind `qa-lint rules test`, with the linter of its own pack.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from packs import RULES_DIR, pack
from qa_linter.errors import RuleError
from qa_linter.examples import run_examples
from qa_linter.loader import load_yaml, rule_files
from qa_linter.resources import builtin_rules

BUILTIN = "builtin"


UNREADABLE: list[str] = []  # rule files that do not parse: one failing test below, not a collection error


def rule_specs(path: Path) -> list[dict]:
    """The rule mappings of a rule file or folder, read the way the loader reads them."""
    specs = []
    for file in rule_files(path):
        try:
            data = load_yaml(file)
        except RuleError as exc:
            UNREADABLE.append(exc.describe())
            continue
        items = data.get("rules") if isinstance(data, dict) else data
        specs.extend(item for item in items or [] if isinstance(item, dict) and item.get("id"))
    return specs


def example_cases(pack_name: str, specs: list[dict]) -> list:
    cases = []
    for spec in specs:
        examples = spec.get("examples") if isinstance(spec.get("examples"), dict) else {}
        for kind in ("flag", "pass"):
            for number, _ in enumerate(examples.get(kind) or [], 1):
                case_id = f"{spec['id']}-{kind}-{number}"
                cases.append(pytest.param(pack_name, spec["id"], kind, number, id=case_id))
    return cases


BUILTIN_SPECS = rule_specs(builtin_rules())
CASES = example_cases(BUILTIN, BUILTIN_SPECS)
for rule_file in sorted(RULES_DIR.glob("*.yaml")):
    CASES += example_cases(rule_file.name, rule_specs(rule_file))


@lru_cache(maxsize=None)
def results_of(linter, rule_id: str) -> dict:
    rule = linter.pack.get(rule_id)
    assert rule is not None, f"rule {rule_id} did not load"
    return {(r.kind, r.number): r for r in run_examples(linter, rule)}


@pytest.fixture
def linter_of(request):
    def get(pack_name: str):
        return request.getfixturevalue("builtin_linter") if pack_name == BUILTIN else pack(pack_name)

    return get


def test_every_rule_file_parses():
    assert UNREADABLE == []


@pytest.mark.parametrize(("pack_name", "rule_id", "kind", "number"), CASES)
def test_rule_example(linter_of, pack_name, rule_id, kind, number):
    result = results_of(linter_of(pack_name), rule_id)[(kind, number)]
    assert result.ok, f"{rule_id} {kind} #{number}: {result.reason}\n  example: {result.example!r}"


@pytest.mark.skipif(not BUILTIN_SPECS, reason="the built-in rule pack has no rules yet")
@pytest.mark.parametrize("spec", BUILTIN_SPECS, ids=[s["id"] for s in BUILTIN_SPECS])
def test_every_builtin_rule_has_a_flag_and_a_pass_example(spec):
    examples = spec.get("examples") if isinstance(spec.get("examples"), dict) else {}
    assert examples.get("flag"), f"{spec['id']} has no flag: example (a text it must report)"
    assert examples.get("pass"), f"{spec['id']} has no pass: example (a text it must not report)"


def test_every_test_pack_rule_has_examples_too():
    for rule_file in sorted(RULES_DIR.glob("*.yaml")):
        for spec in rule_specs(rule_file):
            examples = spec.get("examples") or {}
            assert examples.get("flag") and examples.get("pass"), f"{rule_file.name}: {spec['id']}"


def test_the_examples_are_really_checked(tmp_path):
    """A wrong example must fail: the machinery behind the tests above cannot pass everything."""
    from packs import linter_from_yaml

    linter = linter_from_yaml(
        tmp_path,
        """
        rules:
          - id: r
            type: phrases
            category: slang
            message: x
            terms: [亲]
            examples: {flag: [您好], pass: [亲]}
        """,
    )
    results = run_examples(linter, linter.pack.get("r"))
    assert [(r.kind, r.ok) for r in results] == [("flag", False), ("pass", False)]


def test_the_rule_language_reference_quotes_the_test_packs_faithfully():
    """Every rule shown in docs/rule-language.md is a rule of tests/data/rules/*.yaml, field for field."""
    import re

    import yaml

    doc = (Path(__file__).parent.parent / "docs" / "rule-language.md").read_text(encoding="utf-8")
    tested = {spec["id"]: spec for path in sorted(RULES_DIR.glob("*.yaml")) for spec in rule_specs(path)}
    quoted = 0
    for block in re.findall(r"```yaml\n(.*?)```", doc, flags=re.S):
        if not block.startswith("  - id:"):
            continue  # a fragment (scope forms, a config file), not rules
        for rule in yaml.safe_load(block):
            assert rule["id"] in tested, f"{rule['id']} is not in a test pack"
            for key, value in rule.items():
                assert tested[rule["id"]].get(key) == value, f"{rule['id']}.{key} differs from the test pack"
            quoted += 1
    assert quoted >= 10

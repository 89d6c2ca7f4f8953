"""The rule-language reference is generated from the rule types' declarations: it is current, and every example it
shows works (each documented rule loads and its flag/pass examples hold; each field's example loads)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from qa_linter import Linter
from qa_linter.checks import COMMON_FIELDS, MATCHER_FIELDS, RULE_TYPES
from qa_linter.docs import REFERENCE_PARTS, reference_part, rule_types_reference, update_reference
from qa_linter.examples import run_examples

DOC = Path(__file__).parent.parent / "docs" / "rule-language.md"


@pytest.mark.parametrize("part", REFERENCE_PARTS)
def test_the_reference_is_generated_from_the_declarations(part):
    text = DOC.read_text(encoding="utf-8")
    assert reference_part(text, part) == REFERENCE_PARTS[part]().strip(), (
        f"docs/rule-language.md ({part}) is stale: regenerate it with `python -m qa_linter.docs docs/rule-language.md`"
    )


def test_regenerating_changes_a_stale_part_and_nothing_else():
    text = DOC.read_text(encoding="utf-8")
    stale = text.replace("### regex\n", "### regex (old)\n", 1)
    assert stale != text and update_reference(stale) == text


def test_every_rule_type_and_field_is_in_the_reference():
    reference = rule_types_reference()
    for name, cls in RULE_TYPES.items():
        assert f"### {name}\n" in reference
        assert (cls.__doc__ or "").strip(), f"{name}: the type's docstring is its documentation"
        for field in cls.own_fields():
            assert field.doc and field.kind, f"{name}.{field.name} needs a kind and a meaning"
            assert f"`{field.name}`" in reference


def documented_rules(cls) -> list[dict]:
    return yaml.safe_load(cls.EXAMPLES) or []


def load(tmp_path: Path, rules: list[dict]) -> Linter:
    path = tmp_path / "documented.yaml"
    path.write_text(yaml.safe_dump({"rules": rules}, allow_unicode=True), encoding="utf-8")
    return Linter.from_config(rules=[path], builtin=False)


@pytest.mark.parametrize("type_name", RULE_TYPES)
def test_each_documented_example_rule_runs_its_examples(tmp_path, type_name):
    cls = RULE_TYPES[type_name]
    rules = documented_rules(cls)
    assert rules, f"{type_name} documents no example rule (EXAMPLES)"
    linter = load(tmp_path, rules)
    for spec in rules:
        assert spec["type"] == type_name
        assert spec["examples"].get("flag") and spec["examples"].get("pass"), spec["id"]
        results = run_examples(linter, linter.pack.get(spec["id"]))
        assert [r for r in results if not r.ok] == [] and len(results) == sum(map(len, spec["examples"].values()))


def field_cases():
    cases = []
    for type_name, cls in RULE_TYPES.items():
        for field in cls.own_fields():
            cases.append(pytest.param(type_name, field, id=f"{type_name}.{field.name}"))
    for field_set in (COMMON_FIELDS, MATCHER_FIELDS):
        for field in field_set:
            if field.name not in ("id", "type"):
                cases.append(pytest.param("phrases", field, id=f"{field_set.anchor}.{field.name}"))
    return cases


@pytest.mark.parametrize(("type_name", "field"), field_cases())
def test_each_field_example_loads_in_its_type(tmp_path, type_name, field):
    """A field's example, put into its type's first documented rule (in place of what it excludes), loads."""
    assert field.example is not None, f"{type_name}.{field.name} has no example"
    spec = {k: v for k, v in documented_rules(RULE_TYPES[type_name])[0].items() if k not in field.excludes}
    spec.update(yaml.safe_load(textwrap.dedent(field.example_yaml)))
    linter = load(tmp_path, [spec])
    assert field.name == "enabled" or [r.id for r in linter.rules] == [spec["id"]]


def test_rules_types_lists_every_type_and_prints_the_reference():
    from click.testing import CliRunner

    from qa_linter.cli import main

    text = CliRunner().invoke(main, ["rules", "types"])
    assert text.exit_code == 0
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    assert set(RULE_TYPES) <= set(lines) and "token_patterns" in lines["pattern"] and "terms" in lines["jargon"]
    markdown = CliRunner().invoke(main, ["rules", "types", "--format", "markdown"])
    assert markdown.stdout.strip() == rule_types_reference().strip()

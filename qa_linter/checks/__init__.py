"""The registry of rule types: one module each, one table here, and the one function that compiles a rule.

Adding a rule type is a module in this folder (a `Rule` subclass that declares its fields, validates and compiles
itself, and says how it takes part in the pre-send check) plus one entry in RULE_TYPES. Nothing outside `checks/`
imports a rule type's class.
"""
from __future__ import annotations

import difflib

from ..yamlfile import line_of
from .base import Draft, Rule, Scope, compile_pattern
from .context import CompileContext
from .emoji import EmojiRule
from .fields import COMMON_FIELDS, MATCHER_FIELDS, Field, FieldSet
from .jargon import JargonRule
from .pattern import PatternRule
from .phrases import PhrasesRule
from .regex import RegexRule
from .required import RequiredRule
from .sequence import SequenceRule
from .timing import TimingRule

RULE_TYPES: dict[str, type[Rule]] = {
    cls.TYPE: cls
    for cls in (PhrasesRule, RegexRule, PatternRule, RequiredRule, SequenceRule, JargonRule, TimingRule, EmojiRule)
}


def compile_rule(spec: dict, ctx: CompileContext) -> Rule | None:
    """The rule `spec` describes, compiled; None (every reason reported to `ctx`) when it has a mistake."""
    before = len(ctx.errors)
    for f in COMMON_FIELDS:
        if f.required and not spec.get(f.name):
            ctx.error(f"missing required field {f.name!r}", line_of(spec))
    rule_type = spec.get("type")
    cls = RULE_TYPES.get(rule_type)
    if cls is None:
        if rule_type:
            close = difflib.get_close_matches(str(rule_type), RULE_TYPES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            ctx.error(f"unknown rule type {rule_type!r}; {hint}(types: {', '.join(RULE_TYPES)})", line_of(spec, "type"))
        return None
    if len(ctx.errors) > before:
        cls.validate(spec, ctx)  # report its unknown fields too, all mistakes at once
        return None
    return cls.build(spec, ctx)


__all__ = [
    "RULE_TYPES", "COMMON_FIELDS", "MATCHER_FIELDS", "CompileContext", "Draft", "Field", "FieldSet", "Rule", "Scope",
    "compile_pattern", "compile_rule",
]

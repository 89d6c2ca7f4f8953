"""The registry of rule types: one module each, one table here."""
from __future__ import annotations

from .base import COMMON_FIELDS, CompileContext, Rule, Scope
from .emoji import EmojiRule
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

__all__ = ["RULE_TYPES", "COMMON_FIELDS", "CompileContext", "Rule", "Scope"]

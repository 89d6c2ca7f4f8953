"""Rule examples: every rule carries texts that must (`flag`) and must not (`pass`) produce its finding.

An example is a string (one message of the rule's role), a list of one-key mappings such as
`{customer: "…"}` / `{agent: "…"}` (a conversation), or a canonical conversation mapping (with `channel`,
`messages` and timestamps, for timing rules).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .canonical import InvalidTranscript, conversation_from_dict
from .model import Conversation
from .vocabulary import ROLES


@dataclass(frozen=True)
class ExampleResult:
    rule: str
    kind: str  # flag | pass
    number: int
    example: Any
    ok: bool
    reason: str = ""


def _text(value: Any) -> Any:
    """YAML reads an unquoted 666 or 3.14 as a number; in an example it is the text the agent typed."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def example_conversation(example: Any, role: str) -> Conversation:
    example = _text(example)
    if isinstance(example, str):
        return conversation_from_dict({"id": "example", "messages": [{"role": _role(role), "text": example}]})
    if isinstance(example, list):
        messages = []
        for item in example:
            if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in ROLES:
                r, text = next(iter(item.items()))
                messages.append({"role": r, "text": _text(text)})
            elif isinstance(item, dict):
                messages.append(dict(item))
            else:
                raise InvalidTranscript(f"example message {item!r} must be {{role: text}}")
        return conversation_from_dict({"id": "example", "messages": messages})
    if isinstance(example, dict):
        return conversation_from_dict({"id": "example", **example})
    raise InvalidTranscript(f"example {example!r} must be a string, a list of messages or a conversation")


def _role(role: str) -> str:
    return "agent" if role in (None, "any") else role


def run_examples(linter, rule) -> list[ExampleResult]:
    results = []
    examples = rule.examples if isinstance(rule.examples, dict) else {}
    for kind in ("flag", "pass"):
        for number, example in enumerate(examples.get(kind) or [], 1):
            try:
                conv = example_conversation(example, rule.scope.role)
            except InvalidTranscript as exc:
                results.append(ExampleResult(rule.id, kind, number, example, False, f"bad example: {exc}"))
                continue
            found = [f for f in linter.scan(conv, rules=[rule]) if f.rule == rule.id]
            if kind == "flag" and not found:
                results.append(ExampleResult(rule.id, kind, number, example, False, "expected a finding, got none"))
            elif kind == "pass" and found:
                texts = ", ".join(repr(f.text) if f.text else f"message {f.message_index}" for f in found)
                results.append(ExampleResult(rule.id, kind, number, example, False, f"unexpected finding: {texts}"))
            else:
                results.append(ExampleResult(rule.id, kind, number, example, True))
    return results

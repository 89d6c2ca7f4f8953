"""`qa-lint convert`: whatever was read, written as canonical JSON Lines, so people can inspect and fix it.

Converting a canonical file gives the same conversations back (the round trip the tests check).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, Iterable

from ..canonical import conversation_to_dict
from ..model import Conversation, InputProblem
from ..outputs.excerpt import json_safe
from ..vocabulary import plural

MAX_LISTED_PROBLEMS = 200


@dataclass
class ConvertSummary:
    conversations: int = 0
    messages: int = 0
    problems: list[InputProblem] = field(default_factory=list)
    problem_count: int = 0

    def describe(self) -> str:
        text = f"converted {plural(self.conversations, 'conversation')}, {plural(self.messages, 'message')}"
        if self.problem_count:
            text += f"; skipped {plural(self.problem_count, 'input record')}"
        return text


def write_canonical(items: Iterable["Conversation | InputProblem"], out: IO[str]) -> ConvertSummary:
    summary = ConvertSummary()
    for item in items:
        if isinstance(item, InputProblem):
            summary.problem_count += 1
            if len(summary.problems) < MAX_LISTED_PROBLEMS:
                summary.problems.append(item)
            continue
        out.write(json_safe(json.dumps(conversation_to_dict(item), ensure_ascii=False, separators=(",", ":"))))
        out.write("\n")
        summary.conversations += 1
        summary.messages += len(item.messages)
    return summary

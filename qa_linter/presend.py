"""The pre-send check: judge a draft reply as the next agent message of a conversation, before it is sent.

The draft is appended to the conversation so far as an agent message and the rules run over that
conversation exactly as a batch scan would, so context rules behave the same way (an apology owed to a
complaining customer, consent before remote control, jargon already explained, a greeting owed in a first
reply). Only findings anchored at the draft are kept.

Rules whose verdict on a message depends on messages that come after it cannot be judged on a draft and
are not run (see `decided_later`): a closing or resolution check about the conversation's last message, a
requirement over the whole conversation, a trigger whose expectation lies in later messages.

Timing rules need the draft's send time: pass `ts` to have slow-response judged; without it the draft has
no timestamp and timing rules skip it, as they skip any message without one.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from .analysis import ConversationView, MessageView
from .canonical import InvalidTranscript, conversation_from_dict, parse_time
from .checks import Draft
from .jsondata import JsonProblem, loads
from .model import Conversation, Finding, Message, Severity
from .vocabulary import CHANNELS, fail_threshold

if TYPE_CHECKING:  # pragma: no cover
    from .checks import Rule

DRAFT_CONVERSATION_ID = "draft"


# -- which rules can judge a draft ------------------------------------------------------------------------
def decided_later(rule: "Rule") -> bool:
    """True for a rule whose verdict on a message depends on messages after it, so a draft cannot be judged.

    The rule type says (Rule.draft_judgement): rules about the conversation's end (closing, resolution check)
    and any rule scoped to the last messages; `required` rules over more than the first message, or only for
    conversations of some length; `sequence` rules with `where: after`.
    """
    return rule.on_draft is Draft.LATER


# -- results ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    """What to do about one finding.

    `kind` is "replacement" when the suggestion comes from the matched term itself (a lexicon's second
    column, or `{term: …, suggest: …}` in a rule): `replacement` then goes in place of the draft text
    between `start` and `end`. For a jargon term the term's suggestion is its explanation, so the
    replacement keeps the term and adds the explanation in brackets. Everything else, including a
    rule-level `suggest:`, is "advice": shown to the agent, never applied automatically. `text` is always
    the finding's suggestion as the rule words it (for a jargon term, advice that quotes the explanation).
    """

    finding: int  # position of the finding in CheckResult.findings
    rule: str
    kind: str  # "replacement" | "advice"
    text: str  # the suggestion as the rule words it
    start: int | None = None
    end: int | None = None
    original: str | None = None
    replacement: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding": self.finding,
            "rule": self.rule,
            "kind": self.kind,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "original": self.original,
            "replacement": self.replacement,
        }


@dataclass(frozen=True)
class CheckResult:
    findings: list[Finding]
    blocking: bool
    suggestions: list[Suggestion]
    elapsed_ms: float
    message_index: int  # the draft's position in the conversation it was judged in
    fail_on: str
    rule_pack: str = ""
    skipped_rules: list[str] = field(default_factory=list)  # decided later: not judged on a draft

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "blocking": self.blocking,
            "suggestions": [s.to_dict() for s in self.suggestions],
            "elapsed_ms": round(self.elapsed_ms, 3),
            "message_index": self.message_index,
            "fail_on": self.fail_on,
            "rule_pack": self.rule_pack,
        }


# -- the check ---------------------------------------------------------------------------------------------
def check_reply(
    linter,
    text: str,
    context: Conversation | dict[str, Any] | Sequence[dict[str, Any]] | None = None,
    *,
    channel: str | None = None,
    ts: datetime | str | None = None,
    fail_on: str | Severity = "error",
) -> CheckResult:
    """Judge `text` as the next agent message after `context` with `linter` (an engine.Linter). See
    Linter.check_reply."""
    started = time.perf_counter()
    threshold = fail_threshold(fail_on)
    conversation = draft_conversation(text, context, channel=channel, ts=ts)
    draft_index = len(conversation.messages) - 1
    rules, skipped = linter.draft_rule_set()
    findings = judge_draft(linter, conversation, rules)
    blocking = threshold is not None and any(f.severity >= threshold for f in findings)
    suggestions = suggestions_for(findings, linter)
    return CheckResult(
        findings=findings,
        blocking=blocking,
        suggestions=suggestions,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        message_index=draft_index,
        fail_on=str(fail_on).lower() if not isinstance(fail_on, Severity) else str(fail_on),
        rule_pack=linter.pack.fingerprint,
        skipped_rules=skipped,
    )


CONTEXT_CACHE_SIZE = 4096  # analysed context messages kept per thread


def judge_draft(linter, conversation: Conversation, rules: list["Rule"]) -> list[Finding]:
    """The findings a full scan of `conversation` anchors at its last message (the draft), for `rules`.

    Rules that judge a message from its own text (Draft.ALONE) run on the draft by itself: over the whole context
    they would only produce findings about earlier messages, to be thrown away. The equivalence test with full
    scans guards this."""
    toolkit = linter.pack.toolkit
    *context, draft = conversation.messages
    draft_view = MessageView(draft, toolkit)
    local = [r for r in rules if r.on_draft is Draft.ALONE]
    contextual = [r for r in rules if r.on_draft is not Draft.ALONE]
    findings: list[Finding] = []
    if local:
        counts = Counter(m.role for m in context)
        view = ConversationView(replace(conversation, messages=[draft]), toolkit)
        view.messages = [draft_view]
        findings += linter.scan_view(view, [r for r in local if _draft_in_scope(r.scope, counts)])
    if contextual:
        view = ConversationView(conversation, toolkit)
        view.messages = [*_context_views(toolkit, context), draft_view]
        findings += [f for f in linter.scan_view(view, contextual) if f.message_index == draft.index]
    findings.sort(key=Finding.sort_key)
    return findings


def _draft_in_scope(scope, counts: Counter) -> bool:
    """Whether an agent message after the context's messages is in `scope` (never a "last" scope here)."""
    if scope.role not in ("agent", "any"):
        return False
    if scope.which == "first":
        earlier = counts["agent"] + counts["customer"] if scope.role == "any" else counts["agent"]
        return earlier < scope.count
    return True


_THREAD = threading.local()


def _context_views(toolkit, messages: list[Message]) -> list[MessageView]:
    """Views of the context's messages, reused from earlier checks in this thread.

    While an agent types, every keystroke sends the same context with a new draft, so each context message
    is normalised, scanned and segmented once. A view depends only on its message and the rule pack's
    toolkit; the cache is per thread because a view fills in its analyses lazily, without locks.
    """
    cached = getattr(_THREAD, "views", None)
    if cached is None or cached[0]() is not toolkit:
        cached = _THREAD.views = (weakref.ref(toolkit), OrderedDict())
    table = cached[1]
    views = []
    for message in messages:
        view = table.get(message)
        if view is None:
            view = table[message] = MessageView(message, toolkit)
            if len(table) > CONTEXT_CACHE_SIZE:
                table.popitem(last=False)
        else:
            table.move_to_end(message)
        views.append(view)
    return views


def draft_conversation(
    text: str,
    context: Conversation | dict[str, Any] | Sequence[dict[str, Any]] | None = None,
    *,
    channel: str | None = None,
    ts: datetime | str | None = None,
) -> Conversation:
    """The context as a Conversation with the draft appended as its next agent message.

    `context` is a Conversation, a canonical conversation mapping, a list of `{role, text, ts?}`
    messages, or None. `channel` defaults to the context's channel, else chat. Raises InvalidTranscript
    (a ValueError) with a reason for a context or draft that cannot be used.
    """
    if not isinstance(text, str):
        raise InvalidTranscript(f"the draft must be a string, not {type(text).__name__}")
    base = _context_conversation(context)
    if channel is not None and channel not in CHANNELS:
        raise InvalidTranscript(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    when = ts if isinstance(ts, datetime) or ts is None else parse_time(ts, "ts")
    draft = Message(len(base.messages), "agent", text, when)
    return Conversation(
        id=base.id,
        messages=[*base.messages, draft],
        channel=channel or base.channel,
        agent=base.agent,
        team=base.team,
        started_at=base.started_at,
        meta=base.meta,
        source=base.source,
    )


def _context_conversation(context: Any) -> Conversation:
    if context is None:
        return Conversation(DRAFT_CONVERSATION_ID, [])
    if isinstance(context, Conversation):
        return context
    if isinstance(context, dict):
        if "messages" not in context:
            raise InvalidTranscript("context must be a conversation with \"messages\", or a list of messages")
        return conversation_from_dict(context, default_id=DRAFT_CONVERSATION_ID)
    if isinstance(context, (list, tuple)):
        return conversation_from_dict({"id": DRAFT_CONVERSATION_ID, "messages": list(context)})
    raise InvalidTranscript(
        f"context must be a conversation object or a list of messages, not {type(context).__name__}"
    )


def suggestions_for(findings: list[Finding], linter) -> list[Suggestion]:
    rules = {rule.id: rule for rule in linter.rules}
    out = []
    for position, finding in enumerate(findings):
        if finding.suggestion:
            out.append(_suggestion(position, finding, rules.get(finding.rule)))
    return out


def _suggestion(position: int, finding: Finding, rule: "Rule | None") -> Suggestion:
    text = finding.suggestion or ""
    replacement = rule.replacement_for(finding) if rule is not None else None
    kind = "advice" if replacement is None else "replacement"
    return Suggestion(position, finding.rule, kind, text, finding.start, finding.end, finding.text, replacement)


# -- reading a context for the command line ----------------------------------------------------------------
def parse_context(data: bytes | str, source: str) -> Conversation:
    """A context file: one canonical conversation (JSON, or a JSON Lines file with one line) or a message list.

    Errors name the file (and line, for JSON Lines) and say what is wrong.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidTranscript(f"{source}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    if not data.strip():
        raise InvalidTranscript(f"{source}: the file is empty")
    try:
        value = loads(data)
    except JsonProblem as whole_error:  # bad syntax, nesting thousands deep, a number too long to convert
        raise _json_error(data, source, whole_error) from None
    where = source
    if isinstance(value, list) and value and all(isinstance(v, dict) and "messages" in v for v in value):
        if len(value) != 1:
            raise InvalidTranscript(f"{where}: {len(value)} conversations; --context takes one")
        value = value[0]
    try:
        return _context_conversation(value)
    except InvalidTranscript as exc:
        raise InvalidTranscript(f"{where}: {exc}") from None


def _json_error(data: str, source: str, whole_error: JsonProblem) -> InvalidTranscript:
    """Why a context file that is not one JSON document cannot be used: a bad line, or several records."""
    lines = [(n, line) for n, line in enumerate(data.splitlines(), 1) if line.strip()]
    if len(lines) < 2 or not whole_error.syntax:  # valid JSON, but too deep or with a number too long
        where = f"{source}:{whole_error.line}" if whole_error.line is not None else source
        return InvalidTranscript(f"{where}: {whole_error.with_column()}")
    for lineno, line in lines:
        try:
            loads(line)
        except JsonProblem as exc:
            return InvalidTranscript(f"{source}:{lineno}: {exc.with_column()}")
    return InvalidTranscript(f"{source}: {len(lines)} JSON lines; --context takes one conversation")

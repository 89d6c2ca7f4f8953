"""Reading and validating request bodies: size and time limits while reading, then field by field.

Every problem becomes an ApiError with an HTTP status, a stable code and a reason a person can act on:
400 for a body that is not JSON, 408 for a client too slow to send its body, 413 for a body over the
limit (stopped while reading, not after), 422 for a JSON body whose fields are wrong.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from ..canonical import InvalidTranscript, conversation_from_dict
from ..jsondata import JsonProblem, loads
from ..model import Conversation
from ..vocabulary import CHANNELS, FAIL_ON
from .settings import ServiceSettings


class ApiError(Exception):
    def __init__(self, status: int, code: str, reason: str, **details: Any):
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "reason": self.reason, **self.details}


async def read_body(request, settings: ServiceSettings) -> bytes:
    """The request body, refused with 413 as soon as it passes the limit and 408 if it arrives too slowly."""
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared_size = int(declared)
        except ValueError:
            raise ApiError(400, "bad_content_length", f"Content-Length {declared!r} is not a number") from None
        if declared_size > limit:
            raise _too_large(limit)
    deadline = time.monotonic() + settings.body_timeout
    chunks: list[bytes] = []
    size = 0
    stream = request.stream().__aiter__()
    while True:
        remaining = deadline - time.monotonic()
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=max(remaining, 0.001))
        except StopAsyncIteration:
            break
        except asyncio.TimeoutError:
            raise ApiError(408, "body_timeout", f"the request body did not arrive within {settings.body_timeout:g} s") from None
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the request body is larger than {limit} bytes", limit=limit)


async def read_json(request, settings: ServiceSettings) -> dict[str, Any]:
    # The Content-Type is application/json here: guard.py refuses anything else (a cross-site page can send
    # text/plain without asking; curl needs -H 'Content-Type: application/json' or --json).
    body = await read_body(request, settings)
    if not body.strip():
        raise ApiError(400, "empty_body", "the request body is empty; send a JSON object")
    try:
        text = body.decode("utf-8")  # JSON over HTTP is UTF-8 (RFC 8259); json.loads would guess UTF-16/32
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_json", f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        value = loads(text)
    except JsonProblem as exc:  # bad syntax, nesting thousands deep, a number too long to convert
        where = f" at line {exc.line} column {exc.column}" if exc.line is not None else ""
        located = {"line": exc.line, "column": exc.column} if exc.line is not None else {}
        raise ApiError(400, "malformed_json", exc.reason + where, **located) from None
    if not isinstance(value, dict):
        raise _invalid("", f"the body must be a JSON object, not {_json_type(value)}")
    return value


def _invalid(field: str, reason: str) -> ApiError:
    return ApiError(422, "invalid_field", f"{field}: {reason}" if field else reason, field=field or None)


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _unknown_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise _invalid(key, f"unknown field; expected {', '.join(allowed)}")


def _optional_choice(body: dict[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if value not in choices:
        raise _invalid(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _messages(context: Any) -> list:
    if isinstance(context, dict) and isinstance(context.get("messages"), list):
        return context["messages"]
    if isinstance(context, list):
        return context
    return []


def _message_count(context: Any) -> int:
    return len(_messages(context))


def _check_message_lengths(context: Any, where: str, settings: ServiceSettings) -> None:
    """Every message text within max_message_chars (what a scan of it costs, and answers, grows with it)."""
    for i, message in enumerate(_messages(context)):
        text = message.get("text") if isinstance(message, dict) else None
        if isinstance(text, str) and len(text) > settings.max_message_chars:
            raise ApiError(
                422, "message_too_long",
                f"{where}messages[{i}].text: {len(text)} characters; at most {settings.max_message_chars}",
                field=f"{where}messages[{i}].text", limit=settings.max_message_chars,
            )


# -- /v1/check ----------------------------------------------------------------------------------------------
CHECK_FIELDS = ("draft", "context", "channel", "ts", "fail_on")


@dataclass(frozen=True)
class CheckRequest:
    draft: str
    context: Any
    channel: str | None
    ts: str | None
    fail_on: str


def check_request(body: dict[str, Any], settings: ServiceSettings) -> CheckRequest:
    _unknown_fields(body, CHECK_FIELDS)
    if "draft" not in body:
        raise _invalid("draft", "required: the reply text to check")
    draft = body["draft"]
    if not isinstance(draft, str):
        raise _invalid("draft", f"must be a string, not {_json_type(draft)}")
    if len(draft) > settings.max_draft_chars:
        raise _invalid("draft", f"{len(draft)} characters; at most {settings.max_draft_chars}")
    context = body.get("context")
    if context is not None and not isinstance(context, (dict, list)):
        raise _invalid("context", f"must be a conversation object or an array of messages, not {_json_type(context)}")
    count = _message_count(context)
    if count >= settings.max_messages:
        raise ApiError(
            422, "too_many_messages",
            f"context: {count} messages; at most {settings.max_messages - 1} (the draft is one more)",
            field="context", limit=settings.max_messages,
        )
    _check_message_lengths(context, "context: ", settings)
    ts = body.get("ts")
    if ts is not None and not isinstance(ts, str):
        raise _invalid("ts", f"must be an ISO 8601 string, not {_json_type(ts)}")
    return CheckRequest(
        draft=draft,
        context=context,
        channel=_optional_choice(body, "channel", CHANNELS),
        ts=ts,
        fail_on=_optional_choice(body, "fail_on", FAIL_ON) or settings.fail_on,
    )


def context_error(exc: InvalidTranscript) -> ApiError:
    """A context (or ts) the canonical reader refused, as a 422 that says where."""
    reason = str(exc)
    field = "ts" if reason.startswith("ts:") else "context"
    return _invalid(field, reason[len("ts: "):] if field == "ts" else reason)


# -- /v1/scan -----------------------------------------------------------------------------------------------
SCAN_FIELDS = ("conversations",)


def scan_request(body: dict[str, Any], settings: ServiceSettings) -> list[Conversation]:
    _unknown_fields(body, SCAN_FIELDS)
    items = body.get("conversations")
    if not isinstance(items, list):
        raise _invalid("conversations", "required: an array of canonical conversation objects")
    if len(items) > settings.max_conversations:
        raise ApiError(
            422, "too_many_conversations", f"conversations: {len(items)}; at most {settings.max_conversations} per request",
            field="conversations", limit=settings.max_conversations,
        )
    total = sum(_message_count(item) for item in items)
    if total > settings.max_scan_messages:
        raise ApiError(
            422, "too_many_messages", f"conversations: {total} messages in all; at most {settings.max_scan_messages} per request",
            field="conversations", limit=settings.max_scan_messages,
        )
    conversations = []
    for position, item in enumerate(items):
        where = f"conversations[{position}]"
        count = _message_count(item)
        if count > settings.max_messages:
            raise ApiError(
                422, "too_many_messages", f"{where}: {count} messages; at most {settings.max_messages}",
                field=where, limit=settings.max_messages,
            )
        _check_message_lengths(item, f"{where}.", settings)
        try:
            conversations.append(conversation_from_dict(item, source=where, default_id=f"#{position}"))
        except InvalidTranscript as exc:
            raise _invalid(where, str(exc)) from None
    return conversations

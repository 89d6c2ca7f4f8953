"""The canonical transcript form (spec: transcripts.md) to and from Python objects, with clear errors."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Conversation, Message, out_of_range, time_in_range
from .vocabulary import CHANNELS, ROLES, partial_ends


class InvalidTranscript(ValueError):
    """A conversation object that does not follow the canonical format; the message says what is wrong."""


def parse_time(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidTranscript(f"{where}: timestamp must be an ISO 8601 string, not {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTranscript(f"{where}: {value!r} is not an ISO 8601 time (e.g. 2026-11-23T09:14:02+08:00)") from None
    # Any time in the years 2-9998 is within the range, in UTC too (an offset is less than a day): only the
    # calendar's ends need time_in_range's conversions (a scan parses every message's time).
    if not (1 < moment.year < 9999 or time_in_range(moment)):
        raise InvalidTranscript(f"{where}: {out_of_range(value)}")
    return moment


def conversation_from_dict(obj: Any, source: str | None = None, default_id: str | None = None) -> Conversation:
    if not isinstance(obj, dict):
        raise InvalidTranscript(f"a conversation must be a JSON object, not {type(obj).__name__}")
    conv_id = obj.get("id", default_id)
    if conv_id is None or (isinstance(conv_id, str) and not conv_id.strip()):
        raise InvalidTranscript("missing conversation \"id\"")
    channel = obj.get("channel") or "chat"
    if channel not in CHANNELS:
        raise InvalidTranscript(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    raw_messages = obj.get("messages")
    if not isinstance(raw_messages, list):
        raise InvalidTranscript("\"messages\" must be a list of {role, text} objects")
    messages = []
    for i, m in enumerate(raw_messages):
        if not isinstance(m, dict):
            raise InvalidTranscript(f"messages[{i}] must be an object with role and text")
        role = m.get("role")
        if role not in ROLES:
            raise InvalidTranscript(f"messages[{i}].role {role!r} must be agent, customer or system")
        text = m.get("text")
        if not isinstance(text, str):
            raise InvalidTranscript(f"messages[{i}].text must be a string")
        messages.append(Message(i, role, text, parse_time(m.get("ts"), f"messages[{i}].ts")))
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise InvalidTranscript("\"meta\" must be an object")
    if "partial" in meta:
        try:
            partial_ends(meta["partial"])
        except ValueError as exc:
            raise InvalidTranscript(str(exc)) from None
    return Conversation(
        id=str(conv_id),
        messages=messages,
        channel=channel,
        agent=_opt_str(obj.get("agent")),
        team=_opt_str(obj.get("team")),
        started_at=parse_time(obj.get("started_at"), "started_at"),
        meta=meta,
        source=source,
    )


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def conversation_to_dict(conv: Conversation) -> dict[str, Any]:
    out: dict[str, Any] = {"id": conv.id, "channel": conv.channel}
    if conv.agent is not None:
        out["agent"] = conv.agent
    if conv.team is not None:
        out["team"] = conv.team
    if conv.started_at is not None:
        out["started_at"] = conv.started_at.isoformat()
    out["messages"] = [
        {"role": m.role, "text": m.text, **({"ts": m.ts.isoformat()} if m.ts is not None else {})}
        for m in conv.messages
    ]
    out["meta"] = conv.meta
    return out

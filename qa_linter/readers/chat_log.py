"""Plain-text logs of a chat console.

    ==== 会话 s-log-01 | 网页在线客服 | 坐席：小王 (agent.04) | 开始时间：2026-11-20 10:02:05 ====
    2026-11-20 10:02:05 客户-张三：你好，我想改一下收货地址
    2026-11-20 10:02:11 客服-小王：您好，欢迎咨询……
    1. 打开App「我的订单」……            <- no time and speaker: continues the message above
    2026-11-20 10:06:40 系统：会话已结束

A header line starts a conversation (its id, and `key：value` parts for the agent, team and start time);
a line with a time and a speaker starts a message, whose role comes from the speaker's prefix (客服/坐席 →
agent, 客户/用户/访客 → customer, 系统 → system; configurable under `chat_log`). Conversations are
yielded as soon as the next header arrives, so memory holds one conversation at a time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import BinaryIO, Iterator

from ..model import Conversation, InputProblem, Message
from ..vocabulary import partial_ends
from .csv_table import channel_from_label
from .options import ReaderOptions
from .textio import TextInput, UnknownEncoding
from .timeparse import parse_time

_HEADER_PART = re.compile(r"^\s*(?P<key>[^:：]{1,12}?)\s*[:：]\s*(?P<value>.+?)\s*$")
_ID_IN_BRACKETS = re.compile(r"[(（]\s*([^()（）\s]+)\s*[)）]")
AGENT_KEYS = {"坐席", "客服", "agent", "坐席工号", "客服工号"}
START_KEYS = {"开始时间", "开始", "start", "started", "started_at"}
TEAM_KEYS = {"团队", "技能组", "班组", "team"}
_NAME_SEPARATORS = " -_·:："


@dataclass
class _Message:
    line: int
    role: str
    ts: datetime
    speaker_name: str
    parts: list[str]


@dataclass
class _Conversation:
    id: str
    line: int
    agent: str | None = None
    team: str | None = None
    started_at: datetime | None = None
    meta: dict = field(default_factory=dict)
    messages: list[_Message] = field(default_factory=list)


def read(stream: BinaryIO, source: str, options: ReaderOptions | None = None) -> Iterator["Conversation | InputProblem"]:
    options = options or ReaderOptions()
    try:
        text = TextInput(stream, options.encoding)
    except UnknownEncoding as exc:
        yield InputProblem(source, None, str(exc))
        return
    yield from _LogReader(source, options).read(text)


class _LogReader:
    def __init__(self, source: str, options: ReaderOptions):
        self.source = source
        self.options = options
        self.settings = options.chat_log
        self.current: _Conversation | None = None
        self.message: _Message | None = None
        self.skipping = False  # continuation lines of a message that was reported and skipped
        self.read_any = False

    def read(self, text: TextInput) -> Iterator["Conversation | InputProblem"]:
        for line in text.lines():
            content = line.text.rstrip("\n").rstrip("\r")
            if line.error:
                # The message this line starts or continues is skipped whole: half a message misleads more.
                if self.settings.line.match(content):
                    self._close_message()
                self.message, self.skipping = None, True
                yield InputProblem(self.source, line.number, f"{line.error}; the file was read as {text.encoding}: "
                                                             "if that is wrong, give --encoding")
                continue
            header = self.settings.header.match(content)
            if header:
                yield from self._finish()
                self.current = self._start(header, line.number)
                partial = self.current.meta.get("partial")
                if partial is not None:
                    try:
                        partial_ends(partial)
                    except ValueError as exc:
                        # Judged whole, and said where: a header value the rules would otherwise trip over.
                        del self.current.meta["partial"]
                        yield InputProblem(self.source, line.number, f"{exc}; the conversation is judged whole")
                continue
            message = self.settings.line.match(content)
            if message:
                problem = self._message(message, line.number)
                if problem:
                    yield problem
                continue
            if self.message is not None and not self.skipping:
                self.message.parts.append(content)
            elif content.strip() and not self.skipping:
                self.skipping = True  # one report per block of stray lines
                yield InputProblem(self.source, line.number, "text outside any message: a message line starts with a "
                                                             "time and a speaker, e.g. 2026-11-20 10:02:11 客服-小王：您好")
        yield from self._finish()
        if not self.read_any and not text.empty:
            yield InputProblem(self.source, None, "no chat-log messages found (lines like '2026-11-20 10:02:11 客服-小王：…'); "
                                                  "set chat_log.line in qa-linter.yaml for another layout")

    def _start(self, header: re.Match, number: int) -> _Conversation:
        conv = _Conversation(id=header.group("id"), line=number)
        rest = header.groupdict().get("rest") or ""
        free = []
        for part in re.split(r"[|｜]", rest):
            if not part.strip():
                continue
            pair = _HEADER_PART.match(part)
            if not pair:
                free.append(part.strip())
                continue
            key, value = pair.group("key").strip(), pair.group("value")
            if key.lower() in AGENT_KEYS:
                inner = _ID_IN_BRACKETS.search(value)
                conv.agent = inner.group(1) if inner else value
            elif key.lower() in TEAM_KEYS:
                conv.team = value
            elif key.lower() in START_KEYS:
                try:
                    conv.started_at = parse_time(value, self.options.timezone)
                except ValueError:
                    conv.meta[key] = value
            else:
                conv.meta[key] = value
        if free:
            conv.meta["source_channel"] = " | ".join(free)
        return conv

    def _message(self, match: re.Match, number: int) -> InputProblem | None:
        self._close_message()
        speaker = match.group("speaker").strip()
        role, name = self._role(speaker)
        self.skipping = True
        if role is None:
            known = "; ".join(f"{r}: {'/'.join(p)}" for r, p in self.settings.speakers.items())
            return InputProblem(self.source, number, f"unknown speaker {speaker!r} (speaker prefixes: {known}; "
                                                     "add yours under chat_log in qa-linter.yaml)")
        try:
            ts = parse_time(match.group("time"), self.options.timezone)
        except ValueError as exc:
            return InputProblem(self.source, number, str(exc))
        if self.current is None:
            self.current = _Conversation(id=PurePath(self.source).stem, line=number)
        self.skipping = False
        self.message = _Message(number, role, ts, name, [match.group("text")])
        return None

    def _role(self, speaker: str) -> tuple[str | None, str]:
        best: tuple[int, str] | None = None
        lowered = speaker.lower()
        for role, prefixes in self.settings.speakers.items():
            for prefix in prefixes:
                if lowered.startswith(prefix.lower()) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), role)
        if best is None:
            return None, speaker
        return best[1], speaker[best[0]:].strip(_NAME_SEPARATORS)

    def _close_message(self) -> None:
        if self.message is not None and self.current is not None:
            self.current.messages.append(self.message)
        self.message = None

    def _finish(self) -> Iterator[Conversation]:
        self._close_message()
        self.skipping = False
        conv, self.current = self.current, None
        if conv is None or not conv.messages:
            return
        self.read_any = True
        agent = conv.agent or next((m.speaker_name for m in conv.messages if m.role == "agent" and m.speaker_name), None)
        yield Conversation(
            id=conv.id,
            messages=[Message(i, m.role, "\n".join(m.parts).strip(), m.ts) for i, m in enumerate(conv.messages)],
            channel=channel_from_label(conv.meta.get("source_channel")),
            agent=agent,
            team=conv.team,
            started_at=conv.started_at,
            meta=conv.meta,
            source=f"{self.source}:{conv.line}",
            message_lines=tuple(m.line for m in conv.messages),
        )

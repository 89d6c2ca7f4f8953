"""E-mail: `.eml` files and `.mbox` mailboxes, grouped into threads, one conversation per thread.

Each message is parsed with the standard library (`email`, modern policy): MIME multipart, base64 and
quoted-printable, RFC 2047 headers, charsets such as GB2312/GBK (read as their superset GB18030), HTML-only
bodies turned into text. The body is cut to the new text (`email_quotes.cut_reply`). The sender is the
agent when its address is one of `support_addresses` (addresses or @domains) or an agent's mailbox in
`agents.mailboxes`, otherwise the customer. The conversation's `agent` (and `team`) is the one
`agents.mailboxes` gives the sender of the first agent reply (else that address), `started_at` the first mail's
Date, and every message's `ts` its own mail's Date.

Threads are built from Message-ID / In-Reply-To / References; a reply that lost those headers ("Re: …"
without them) joins the earlier thread with the same subject and the same customer. Messages are ordered
by their Date header, which every message must have. A thread is named after its root Message-ID (the first
id in References), so the id stays the same when more of the thread is read later.

Threads can span files (a folder of .eml files, one per message), so the messages of every e-mail input are
collected first and the conversations come out after the last e-mail file. Only the new text of each message
is kept (no quotes, no attachments), which is what bounds the memory used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import PurePath
from typing import BinaryIO, Iterable, Iterator

from ..model import Conversation, InputProblem, Message, out_of_range, time_in_range
from .email_quotes import cut_reply
from .html_text import html_to_text
from .options import DEFAULT_SUPPORT_MAILBOXES, ReaderOptions
from .textio import UnknownEncoding, codec_name

_MESSAGE_ID = re.compile(r"<\s*([^<>\s]+)\s*>")
_REPLY_PREFIX = re.compile(r"^\s*(?:re|fw|fwd|aw|sv|wg|回复|回覆|答复|转发|轉寄|转寄)\s*(?:\[\d+\])?\s*[:：]\s*", re.IGNORECASE)
_MBOX_FROM = re.compile(rb"^From \S+.*\d")  # "From sender@host Mon Nov 23 09:40:12 2026"
_ESCAPED_FROM = re.compile(rb"^>(>*From )")


@dataclass(frozen=True)
class MailRecord:
    """What is kept of one e-mail: enough to thread it and its new text."""

    source: str
    line: int | None
    order: int  # reading order, to keep equal dates stable
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: str
    recipients: tuple[str, ...]
    date: datetime
    role: str
    text: str

    @property
    def customer(self) -> str | None:
        """The customer's address: the sender of a customer mail, the first recipient of an agent's."""
        if self.role == "customer":
            return self.sender
        return self.recipients[0] if self.recipients else None

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


def read(stream: BinaryIO, source: str, options: ReaderOptions | None = None) -> Iterator["Conversation | InputProblem"]:
    """One .eml or .mbox file on its own; `read_paths` threads across files with a ThreadCollector."""
    collector = ThreadCollector(options)
    yield from collector.add(stream, source)
    yield from collector.conversations()


class ThreadCollector:
    def __init__(self, options: ReaderOptions | None = None):
        self.options = options or ReaderOptions()
        self._records: list[MailRecord] = []
        self._seen_ids: set[str] = set()
        self._first_source: str | None = None

    def add(self, stream: BinaryIO, source: str) -> Iterator[InputProblem]:
        """Read one file's messages; yields the problems (a message without Date, an undecodable body)."""
        self._first_source = self._first_source or source
        for line, raw in _messages(stream):
            try:
                item = parse_mail(raw, source, line, len(self._records), self.options)
            except Exception as exc:  # noqa: BLE001
                # The stdlib parser is lenient, but a mangled header can still make it raise, and thousands of
                # nested multipart parts exhaust its recursion (RecursionError): one bad mail, not a failed batch.
                item = InputProblem(source, line, f"cannot parse this e-mail: {exc.__class__.__name__}: {exc}")
            if isinstance(item, InputProblem):
                yield item
            elif item.message_id not in self._seen_ids:  # the same mail exported twice is read once
                self._seen_ids.add(item.message_id)
                self._records.append(item)

    def conversations(self) -> Iterator["Conversation | InputProblem"]:
        records, self._records = self._records, []
        if records and not any(r.role == "agent" for r in records):
            yield InputProblem(self._first_source or "<e-mail>", None, self._no_agent_reason())
        for thread in build_threads(records):
            yield _conversation(thread, self.options)

    def _no_agent_reason(self) -> str:
        if self.options.support_addresses:
            configured = ", ".join(self.options.support_addresses)
            return (f"no sender matches support_addresses ({configured}), so no message was read as the agent's "
                    "and nothing is judged; check the addresses in qa-linter.yaml")
        looked = ", ".join(f"{name}@" for name in DEFAULT_SUPPORT_MAILBOXES[:6])
        return ("no sender was recognised as the support side, so nothing is judged: without support_addresses "
                f"in qa-linter.yaml only mailboxes such as {looked}… count as agents; set e.g. "
                "support_addresses: [support@example.com, '@example.com']")


# -- one message -------------------------------------------------------------------------------------------------
def _messages(stream: BinaryIO) -> Iterator[tuple[int | None, bytes]]:
    """(line of the message in the file, its bytes): the messages of an mbox, or the one message of an .eml."""
    first, start = stream.readline(), 1
    while first and not first.strip():
        first, start = stream.readline(), start + 1
    if not _MBOX_FROM.match(first):
        yield None, first + stream.read()
        return
    lines: list[bytes] = []
    previous_blank = True
    for number, line in enumerate(stream, start + 1):
        if previous_blank and _MBOX_FROM.match(line):
            yield start, b"".join(lines)
            start, lines = number, []
        else:
            lines.append(_ESCAPED_FROM.sub(rb"\1", line))
        previous_blank = not line.strip()
    yield start, b"".join(lines)


def parse_mail(raw: bytes, source: str, line: int | None, order: int, options: ReaderOptions) -> "MailRecord | InputProblem":
    message = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = _first_id(message.get("Message-ID")) or f"{PurePath(source).name}:{line or 1}"
    label = f"e-mail <{message_id}>"
    if not message.keys():
        return InputProblem(source, line, "not an e-mail: no headers found")
    date = _date(message, options)
    if date is None:
        raw_date = message.get("Date")
        reason = f"the Date: header {str(raw_date)!r} is not a date" if raw_date else "no Date: header"
        return InputProblem(source, line, f"{label}: {reason}, so it cannot be placed in its thread; export the mail with its Date")
    if not time_in_range(date):
        return InputProblem(source, line, f"{label}: the Date: header {out_of_range(str(message.get('Date')))}")
    sender = _addresses(message, "From")
    if not sender:
        return InputProblem(source, line, f"{label}: no sender address in From:")
    try:
        body = _body_text(message)
    except UnicodeDecodeError as exc:
        return InputProblem(source, line, f"{label}: the body is not valid {exc.encoding} ({exc.reason} at byte {exc.start}); "
                                          "its Content-Type charset is probably wrong")
    except UnknownEncoding as exc:
        return InputProblem(source, line, f"{label}: {exc}")
    return MailRecord(
        source=source,
        line=line,
        order=order,
        message_id=message_id,
        in_reply_to=_first_id(message.get("In-Reply-To")),
        references=tuple(_MESSAGE_ID.findall(str(message.get("References") or ""))),
        subject=str(message.get("Subject") or "").strip(),
        sender=sender[0],
        recipients=tuple(_addresses(message, "To") + _addresses(message, "Cc")),
        date=date,
        role="agent" if options.is_support_address(sender[0]) else "customer",
        text=cut_reply(body),
    )


def _first_id(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    match = _MESSAGE_ID.search(text)
    if match:
        return match.group(1)
    return text.split()[0] if text else None


def _date(message: EmailMessage, options: ReaderOptions) -> datetime | None:
    header = message.get("Date")
    if header is None:
        return None
    moment = getattr(header, "datetime", None)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=options.timezone)  # "-0000": local time


def _addresses(message: EmailMessage, name: str) -> list[str]:
    header = message.get(name)
    if header is None:
        return []
    try:
        found = [a.addr_spec for a in getattr(header, "addresses", ())]
    except (AttributeError, ValueError, IndexError):
        found = []
    if not found:  # a header the parser could not structure: take what looks like an address
        found = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", str(header))
    return [a.strip().lower() for a in found if a and "@" in a]


def _body_text(message: EmailMessage) -> str:
    """The plain-text body, else the HTML body as text; "" when the mail has neither (attachments only)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    payload = part.get_payload(decode=True) or b""
    text = payload.decode(_codec(part.get_content_charset(), payload))
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _codec(declared: str | None, payload: bytes) -> str:
    """The codec for a declared charset (GB2312/GBK widened to GB18030); detected when none is declared."""
    if declared:
        try:
            return codec_name(declared)
        except UnknownEncoding:
            pass  # an unknown label such as "x-unknown": detect instead
    try:
        payload.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(payload).best()
        if best is None:
            raise UnknownEncoding(f"cannot tell the body's charset (declared {declared!r})") from None
        return codec_name(best.encoding)


# -- threads -----------------------------------------------------------------------------------------------------
def normal_subject(subject: str) -> str:
    previous = None
    while previous != subject:
        previous, subject = subject, _REPLY_PREFIX.sub("", subject)
    return re.sub(r"\s+", " ", subject).strip()


def build_threads(records: Iterable[MailRecord]) -> list[list[MailRecord]]:
    """Threads in order of their first message read, each ordered by Date (reading order on ties)."""
    records = list(records)
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    for record in records:
        find(record.message_id)
        for linked in (*record.references, record.in_reply_to):
            if linked:
                union(record.message_id, linked)
    _join_replies_by_subject(records, find, union)
    threads: dict[str, list[MailRecord]] = {}
    for record in records:
        threads.setdefault(find(record.message_id), []).append(record)
    return [sorted(thread, key=lambda r: (r.date, r.order)) for thread in threads.values()]


def _join_replies_by_subject(records: list[MailRecord], find, union) -> None:
    """A "Re: subject" without In-Reply-To/References joins the latest earlier mail with that subject and customer."""
    by_key: dict[tuple[str, str | None], MailRecord] = {}
    for record in sorted(records, key=lambda r: (r.date, r.order)):
        key = (normal_subject(record.subject), record.customer)
        is_unlinked_reply = not record.references and not record.in_reply_to and _REPLY_PREFIX.match(record.subject)
        if is_unlinked_reply and key in by_key and key[0]:
            union(by_key[key].message_id, record.message_id)
        by_key[key] = record


def _conversation(thread: list[MailRecord], options: ReaderOptions) -> Conversation:
    """The thread as a conversation: messages in Date order, each timed by its own Date (so response-time rules
    work on e-mail), started at the first mail's Date, and the agent the sender of the first agent reply."""
    first = thread[0]
    root = next((r.references[0] for r in thread if r.references), None) or first.in_reply_to or first.message_id
    meta = {"subject": normal_subject(first.subject), "message_ids": [r.message_id for r in thread]}
    # The agent who took the case answers first; a thread several agents answered lists them all in meta.agents.
    agents: list[tuple[str, str | None]] = []
    for r in thread:
        if r.role == "agent":
            named = options.agent_of(r.sender) or (r.sender, None)  # unlisted: the mailbox itself
            if named[0] not in [a for a, _ in agents]:
                agents.append(named)
    if len(agents) > 1:
        meta["agents"] = [a for a, _ in agents]
    return Conversation(
        id=root,
        messages=[Message(i, r.role, r.text, r.date) for i, r in enumerate(thread)],
        channel="email",
        agent=agents[0][0] if agents else None,
        team=agents[0][1] if agents else None,
        started_at=first.date,
        meta=meta,
        source=first.where(),
    )

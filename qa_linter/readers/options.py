"""What readers need to know beyond the bytes: encoding, time zone, who the support side is, column names.

Built once from the configuration (`ReaderOptions.from_config`), where every mistake becomes a ConfigError
naming the setting, and handed to every reader. `ReaderOptions()` gives the defaults.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Mapping

from ..errors import ConfigError
from ..vocabulary import ROLES
from .textio import UnknownEncoding, codec_name
from .timeparse import local_zone

# -- CSV / Excel columns ------------------------------------------------------------------------------------
CSV_FIELDS = ("id", "time", "role", "agent", "text", "channel", "team", "audience")
REQUIRED_CSV_FIELDS = ("id", "role", "text")
_CSV_FIELD_ALIASES = {
    "conversation_id": "id", "conversation": "id", "ts": "time", "timestamp": "time",
    "content": "text", "message": "text", "sender": "role",
}
_CSV_SETTINGS = ("roles", "time_format", "delimiter")

# -- chat-console logs ---------------------------------------------------------------------------------------
DEFAULT_SPEAKERS = {
    "agent": ("客服", "坐席", "人工客服", "agent"),
    "customer": ("客户", "用户", "访客", "顾客", "买家", "客戶", "用戶", "訪客", "customer", "user", "visitor"),
    "system": ("系统", "系統", "system"),
}
# `==== 会话 s-log-01 | 网页在线客服 | 坐席：小王 (agent.04) | 开始时间：… ====`
DEFAULT_HEADER = r"^\s*[=#*-]{3,}\s*(?:会话|对话|conversation|session)\s*[:：#]?\s*(?P<id>[^\s|=]+)(?P<rest>.*?)[=#*-]*\s*$"
# `2026-11-20 10:02:11 客服-小王：您好……`
DEFAULT_LINE = (
    r"^\s*\[?(?P<time>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\]?"
    r"\s+(?P<speaker>[^\s：:][^：:]{0,40}?)\s*[：:]\s?(?P<text>.*)$"
)

# -- e-mail --------------------------------------------------------------------------------------------------
# Used only when `support_addresses` is not configured: mailbox names help desks commonly send from.
DEFAULT_SUPPORT_MAILBOXES = (
    "support", "service", "services", "help", "helpdesk", "kefu", "cs", "customerservice",
    "customer-service", "customer.service", "care", "noreply", "no-reply",
)


@dataclass(frozen=True)
class CsvColumns:
    """Explicit header names per canonical field, extra role values, a time format and a delimiter."""

    fields: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)  # normalised cell value -> role
    time_format: str | None = None
    delimiter: str | None = None

    @classmethod
    def from_config(cls, value: Any) -> "CsvColumns":
        if value in (None, {}):
            return cls()
        if not isinstance(value, dict):
            raise ConfigError("csv_columns: must be a mapping such as {id: 工单编号, text: 聊天内容}")
        fields: dict[str, str] = {}
        for key, header in value.items():
            key = str(key).strip().lower()
            if key in _CSV_SETTINGS:
                continue
            name = _CSV_FIELD_ALIASES.get(key, key)
            if name not in CSV_FIELDS:
                close = difflib.get_close_matches(key, [*CSV_FIELDS, *_CSV_SETTINGS], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (fields: {', '.join(CSV_FIELDS)})"
                raise ConfigError(f"csv_columns: unknown field {key!r}{hint}")
            if not isinstance(header, (str, int)) or not str(header).strip():
                raise ConfigError(f"csv_columns.{key}: give the column's header text")
            fields[name] = str(header).strip()
        roles = value.get("roles") or {}
        if not isinstance(roles, dict):
            raise ConfigError("csv_columns.roles: must map cell values to agent, customer or system")
        for cell, role in roles.items():
            if role not in ROLES:
                raise ConfigError(f"csv_columns.roles: {cell!r} maps to {role!r}; use agent, customer or system")
        time_format = value.get("time_format")
        if time_format is not None and (not isinstance(time_format, str) or "%" not in time_format):
            raise ConfigError("csv_columns.time_format: a strptime format such as '%m/%d/%Y %H:%M:%S'")
        delimiter = value.get("delimiter")
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t"}.get(str(delimiter), str(delimiter))
            if len(delimiter) != 1:
                raise ConfigError("csv_columns.delimiter: one character, such as ',' ';' or tab")
        return cls(fields, {normal_key(k): v for k, v in roles.items()}, time_format, delimiter)


@dataclass(frozen=True)
class ChatLogSettings:
    """Speaker prefixes per role and the two line patterns of a console log."""

    speakers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_SPEAKERS))
    header: re.Pattern = field(default_factory=lambda: re.compile(DEFAULT_HEADER, re.IGNORECASE))
    line: re.Pattern = field(default_factory=lambda: re.compile(DEFAULT_LINE))

    @classmethod
    def from_config(cls, value: Any) -> "ChatLogSettings":
        if value in (None, {}):
            return cls()
        if not isinstance(value, dict):
            raise ConfigError("chat_log: must be a mapping with agent/customer/system prefixes, header, line")
        known = (*ROLES, "header", "line")
        for key in value:
            if key not in known:
                raise ConfigError(f"chat_log: unknown setting {key!r} (known: {', '.join(known)})")
        speakers = dict(DEFAULT_SPEAKERS)
        for role in ROLES:
            if role in value:
                prefixes = value[role]
                if isinstance(prefixes, str):
                    prefixes = [prefixes]
                if not isinstance(prefixes, list) or not all(isinstance(p, str) and p.strip() for p in prefixes):
                    raise ConfigError(f"chat_log.{role}: a list of speaker prefixes, such as [客服, 坐席]")
                speakers[role] = tuple(p.strip() for p in prefixes)
        header = _pattern(value, "header", DEFAULT_HEADER, ("id",))
        line = _pattern(value, "line", DEFAULT_LINE, ("time", "speaker", "text"))
        return cls(speakers, header, line)


def _pattern(value: dict, key: str, default: str, groups: tuple[str, ...]) -> re.Pattern:
    source = value.get(key, default)
    try:
        pattern = re.compile(source, re.IGNORECASE if key == "header" else 0)
    except (re.error, TypeError) as exc:
        raise ConfigError(f"chat_log.{key}: not a valid regular expression: {exc}") from None
    missing = [g for g in groups if g not in pattern.groupindex]
    if missing:
        names = ", ".join(f"(?P<{g}>…)" for g in missing)
        raise ConfigError(f"chat_log.{key}: the pattern needs the named group(s) {names}")
    return pattern


def normal_key(value: Any) -> str:
    """Header names and role values compared loosely: case, spaces, _ - . and brackets do not matter."""
    return re.sub(r"[\s_\-.()（）\[\]【】]", "", str(value)).lower()


@dataclass(frozen=True)
class ReaderOptions:
    encoding: str | None = None  # None: detect
    timezone: tzinfo = field(default_factory=lambda: local_zone(None))
    support_addresses: tuple[str, ...] = ()  # lower-cased addresses and "@domain"s; empty: DEFAULT_SUPPORT_MAILBOXES
    csv_columns: CsvColumns = field(default_factory=CsvColumns)
    chat_log: ChatLogSettings = field(default_factory=ChatLogSettings)
    # `agents.mailboxes`: an agent's address (lower-cased) -> (agent name, team or None), so an e-mail conversation
    # names its agent as chat exports do. A tuple of pairs: the options travel to worker processes.
    agent_mailboxes: tuple[tuple[str, tuple[str, str | None]], ...] = ()

    @classmethod
    def from_config(cls, config: Any = None, encoding: str | None = None) -> "ReaderOptions":
        """Options from a Config (or a plain dict); `encoding` (the --encoding flag) wins over the config."""
        data = getattr(config, "data", config) or {}
        encoding = encoding or data.get("encoding")
        if encoding is not None:
            try:
                encoding = codec_name(str(encoding))
            except UnknownEncoding as exc:
                raise ConfigError(f"encoding: {exc}") from None
        try:
            zone = local_zone(data.get("timezone"))
        except ValueError as exc:
            raise ConfigError(f"timezone: {exc}") from None
        return cls(
            encoding=encoding,
            timezone=zone,
            # One list of the company's own addresses: support_addresses plus every own_domains domain.
            support_addresses=support_addresses(data.get("support_addresses"))
            + support_addresses(data.get("own_domains"), key="own_domains"),
            csv_columns=CsvColumns.from_config(data.get("csv_columns")),
            chat_log=ChatLogSettings.from_config(data.get("chat_log")),
            agent_mailboxes=agent_mailboxes(data.get("agents"), getattr(config, "path", None)),
        )

    def agent_of(self, address: str) -> tuple[str, str | None] | None:
        """(agent name, team) of an agent's mailbox in `agents.mailboxes`; None when it is not listed."""
        address = address.strip().lower()
        return next((named for mailbox, named in self.agent_mailboxes if mailbox == address), None)

    def is_support_address(self, address: str) -> bool:
        address = address.strip().lower()
        local, _, domain = address.rpartition("@")
        if self.agent_of(address) is not None:  # an agent's own mailbox is the support side, whatever else is set
            return True
        if not self.support_addresses:
            return local in DEFAULT_SUPPORT_MAILBOXES
        if address in self.support_addresses:
            return True
        # "@example.cn" also covers its subdomains (kefu@hz.example.cn), as in the PII rule.
        return any(entry.startswith("@") and (domain == entry[1:] or domain.endswith("." + entry[1:]))
                   for entry in self.support_addresses)


def support_addresses(value: Any, key: str = "support_addresses") -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{key}: a list of addresses or @domains, e.g. [support@example.com, '@example.com']")
    out = []
    for item in value:
        text = str(item).strip().lower()
        if not _ADDRESS_OR_DOMAIN.fullmatch(text):
            # A word without a dot (support) or an address cut short (kefu@) would match no mail at all.
            raise ConfigError(f"{key}: {item!r} is not an address or @domain "
                              "(e.g. support@example.cn, @example.cn, example.cn)")
        out.append(text if "@" in text else f"@{text}")
    return tuple(out)


# An address or a domain of at least two labels; \w lets an internationalised name (客服@例子.中国) through.
_ADDRESS_OR_DOMAIN = re.compile(r"(?:[^@\s]+@|@)?[\w-]+(?:\.[\w-]+)+")


AGENTS_KEYS = ("mailboxes",)


def agent_mailboxes(value: Any, path: Any = None) -> tuple[tuple[str, tuple[str, str | None]], ...]:
    """`agents: {mailboxes: {address: name, address: {name: …, team: …}}}` as (address, (name, team)) pairs.

    A mistake names the setting and the entry and shows the form that works."""
    where = f"{path}: " if path else ""
    example = "agents: {mailboxes: {zhang.wei@example.cn: zhang.wei, li.na@example.cn: {name: li.na, team: email-l2}}}"
    if value in (None, {}):
        return ()
    if not isinstance(value, dict):
        raise ConfigError(f"{where}agents: must be a mapping, e.g. {example}")
    for key in value:
        if key not in AGENTS_KEYS:
            raise ConfigError(f"{where}agents: unknown setting {key!r} (known: {', '.join(AGENTS_KEYS)})")
    mailboxes = value.get("mailboxes") or {}
    if not isinstance(mailboxes, dict):
        raise ConfigError(f"{where}agents.mailboxes: must map each agent's address to the agent's name, e.g. {example}")
    out = []
    for address, named in mailboxes.items():
        text = str(address).strip().lower()
        if text.count("@") != 1 or " " in text or text.startswith("@"):
            raise ConfigError(f"{where}agents.mailboxes: {address!r} is not an e-mail address (one mailbox per agent; "
                              "a whole @domain is support_addresses)")
        if isinstance(named, dict):
            unknown = [k for k in named if k not in ("name", "team")]
            if unknown or not isinstance(named.get("name"), str) or not named["name"].strip():
                raise ConfigError(f"{where}agents.mailboxes.{text}: give {{name: AGENT, team: TEAM}} (team optional), "
                                  f"not {named!r}")
            team = named.get("team")
            if team is not None and (not isinstance(team, str) or not team.strip()):
                raise ConfigError(f"{where}agents.mailboxes.{text}: team must be a name, not {team!r}")
            out.append((text, (named["name"].strip(), team.strip() if team else None)))
        elif isinstance(named, str) and named.strip():
            out.append((text, (named.strip(), None)))
        else:
            raise ConfigError(f"{where}agents.mailboxes.{text}: the agent's name (as in your other exports), "
                              f"not {named!r}")
    return tuple(out)

"""Cut an e-mail body down to what its sender wrote this time: no quoted history, no signature.

A reply quotes the earlier mail; judging the quote would blame the agent for the customer's words. Chinese
clients write the history in their own styles, which reply-parsing libraries (talon, mail-parser-reply)
do not know or mark as untested, so the styles are listed here, each with a test:

- QQ Mail / Foxmail: a `------------------ 原始邮件 ------------------` line, then 发件人/发送时间/收件人/主题.
- Outlook (Chinese): `-----原始邮件-----` then `发件人: … 发送时间: … 收件人: … 主题: …`; Outlook (English):
  `-----Original Message-----` or a bare `From: … Sent: … To: … Subject: …` block (often after a `____` rule).
- NetEase / Gmail / Apple Mail: an attribution line `在 2026年11月20日 10:02，张先生 <…> 写道：`,
  `张先生 <…> 于2026年11月20日周五 10:02写道：` or `On Mon, Nov 23, 2026 at 9:40 AM … wrote:` (also wrapped
  over two lines), followed by `>` lines.
- Forwarded mail: `---------- Forwarded message ----------`, `-------- 转发邮件信息 --------`.
- `>` lines anywhere (inline replies keep the answers between them and lose the quoted lines).

Everything from the first history marker on is dropped. In what remains, the signature is dropped: from a
`-- ` delimiter line to the end; mobile sign-offs (发自我的iPhone, Sent from my iPhone, …); and a closing
contact block (short lines without sentence punctuation, at least one of them `电话：…`/`邮箱：…`/`Tel: …`),
both only at the end of the new text.
The result is the message text the linter sees, so finding offsets point into it.
"""
from __future__ import annotations

import re

_SEPARATOR = re.compile(
    r"^\s*[-=_*]{2,}\s*(?:原始邮件|原邮件|邮件原件|回复的原邮件|转发邮件信息|转发的邮件|Original\s+Message|"
    r"Forwarded\s+message|Forwarded\s+Message|Message\s+d'origine|Ursprüngliche\s+Nachricht)\s*[-=_*]{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")  # Outlook's horizontal rule above its From: block
_HEADER_FIELD = re.compile(r"^\s*\**\s*(?P<key>[A-Za-z\u4e00-\u9fff][A-Za-z\u4e00-\u9fff \-]{0,14}?)\s*\**\s*[:：]")
_FROM_KEYS = {"发件人", "寄件者", "发信人", "from", "von", "de"}
_OTHER_KEYS = {
    "发送时间", "时间", "日期", "发送日期", "收件人", "抄送", "主题", "sent", "date", "to", "cc", "subject",
    "gesendet", "an", "betreff", "envoyé", "à", "objet",
}
_ATTRIBUTION = re.compile(r"^.{0,300}(?:写道|寫道)\s*[:：]\s*$|^\s*On\b.{0,300}\bwrote\s*:\s*$|"
                          r"^.{0,300}\bschrieb\b.{0,100}:\s*$|^\s*Le\b.{0,300}\ba\s+écrit\s*:\s*$", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(?:写道|寫道)\s*[:：]\s*$|\bwrote\s*:\s*$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*(?:在|于|On\b)|[<＜][^>＞\s]+@[^>＞\s]+[>＞]\s*(?:于|在)")
_QUOTE_LINE = re.compile(r"^\s*>")
_SIGNATURE_DELIMITER = re.compile(r"^--[ \u00a0]?\s*$")
_SIGNOFF = re.compile(
    r"^\s*(?:(?:发自|来自|寄自)\s*(?:我的)?\s*.{0,12}?(?:iPhone|iPad|iOS|Android|安卓|手机|华为|小米|荣耀|OPPO|vivo|"
    r"邮箱|邮件|Mail|Outlook|Foxmail|客户端|网易|QQ|WPS|钉钉|企业微信).{0,12}|"
    r"从我的\s*\S{1,12}\s*发送|(?:Sent|Envoyé|Gesendet)\s+(?:from|via|de|von)\s+.{1,40}|Get\s+Outlook\s+for\s+\S+)\s*$",
    re.IGNORECASE,
)
_CONTACT_LINE = re.compile(
    r"^\s*(?:电话|热线|服务热线|客服热线|手机|座机|邮箱|电子邮箱|邮件|地址|网址|官网|传真|微信|QQ|"
    r"E-?mail|Tel|Phone|Mobile|Fax|Web|Website|Address)\s*[:：]",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[。！？!?；;]")
CONTACT_BLOCK_MAX_LINES = 6
CONTACT_LINE_MAX_CHARS = 40


def cut_reply(body: str) -> str:
    """The new text of a mail body: quoted history and signature removed, outer blank lines trimmed."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: history_start(lines)]
    lines = _before_signature(lines)
    lines = [line for line in lines if not _QUOTE_LINE.match(line)]
    lines = _without_signoffs(lines)
    lines = _without_contact_block(lines)
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history (len(lines) when there is none)."""
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            return i
        if _RULE.match(line) and _header_block_at(lines, _next_text_line(lines, i + 1)):
            return i
        if _header_block_at(lines, i):
            return i
        if _ATTRIBUTION.match(line):
            return i
        # an attribution wrapped over two lines: "On Mon, … Name" / "<a@b> wrote:"
        if i + 1 < len(lines) and _ATTRIBUTION_START.search(line) and _ATTRIBUTION_END.search(lines[i + 1]) \
                and len(line) + len(lines[i + 1]) < 400:
            return i
    return len(lines)


def _next_text_line(lines: list[str], start: int) -> int:
    for j in range(start, min(start + 3, len(lines))):
        if lines[j].strip():
            return j
    return len(lines)


def _header_key(line: str) -> str | None:
    match = _HEADER_FIELD.match(line)
    return match.group("key").strip().lower() if match else None


def _header_block_at(lines: list[str], i: int) -> bool:
    """`发件人: …` / `From: …` followed closely by at least one more mail header field."""
    if i >= len(lines) or _header_key(lines[i]) not in _FROM_KEYS:
        return False
    following = [_header_key(line) for line in lines[i + 1 : i + 7] if line.strip()]
    return any(key in _OTHER_KEYS for key in following[:4])


def _before_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _SIGNATURE_DELIMITER.match(line):
            return lines[:i]
    return lines


def _without_signoffs(lines: list[str]) -> list[str]:
    """Drop "发自我的iPhone"-style lines at the end (only there: mid-mail they could be the agent's words)."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _SIGNOFF.match(lines[end - 1])):
        end -= 1
    return lines[:end]


def _without_contact_block(lines: list[str]) -> list[str]:
    """Drop a trailing paragraph that is a contact card (name, 电话：…, 邮箱：…) rather than prose."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if not 2 <= len(block) <= CONTACT_BLOCK_MAX_LINES or start == 0:
        return lines
    if any(len(line.strip()) > CONTACT_LINE_MAX_CHARS or _SENTENCE_END.search(line) for line in block):
        return lines
    if not any(_CONTACT_LINE.match(line) for line in block):
        return lines
    return lines[:start]

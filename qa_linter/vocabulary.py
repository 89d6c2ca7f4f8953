"""What the whole package shares, written once: roles, channels, categories, severities and fail-on levels,
input formats, the patterns of personal data, and how a duration is said.

Everything here is plain data (and the few functions that read it); it imports nothing else of qa_linter, so
every layer may use it. A list that two modules need lives here, not in either of them.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable

import regex

from .validators import DIGIT_WORDS, cn_mobile, cn_resident_id_any, luhn, national_mobile

# -- conversations ----------------------------------------------------------------------------------------------
ROLES = ("agent", "customer", "system")
CHANNELS = ("chat", "email", "phone")

# meta.partial / --partial: which ends of a conversation are cut (an excerpt, a chat transferred in or out, an
# export cut by date). At a cut start the greeting is not judged, at a cut end the closing and the resolution
# check are not (docs/rule-language.md, "Partial conversations"). true means both ends; false or absent, none.
PARTIAL_VALUES = ("start", "end", "both")


def partial_ends(value: object) -> tuple[bool, bool]:
    """(start cut, end cut) of a meta.partial value; ValueError naming the values for anything else."""
    if value is None or value is False:
        return (False, False)
    if value is True or value == "both":
        return (True, True)
    if value == "start":
        return (True, False)
    if value == "end":
        return (False, True)
    raise ValueError(f"meta.partial {value!r} must be one of {', '.join(PARTIAL_VALUES)}, true or false")

# -- findings -----------------------------------------------------------------------------------------------------
# The categories of the built-in rule pack (spec: rule-categories.md), in the order reports list them, with the
# Chinese label reports show. A custom pack may add categories of its own; they are shown by their id.
CATEGORY_LABELS = {
    "banned-phrase": "服务忌语",
    "slang": "网络用语",
    "emoji": "表情符号",
    "jargon-unexplained": "术语未解释",
    "pii-exposure": "泄露个人信息",
    "credential-request": "索要密码/验证码",
    "remote-no-consent": "未经同意远程协助",
    "empathy-missing": "缺少安抚致歉",
    "greeting-missing": "缺少问候语",
    "closing-missing": "缺少感谢道别",
    "no-resolution-check": "未确认问题解决",
    "slow-response": "响应超时",
}
CATEGORIES = tuple(CATEGORY_LABELS)
# A term's suggestion that means "delete the words" rather than "write this instead" (lexicons/slang.txt: yyds).
DELETE_SUGGESTIONS = ("(删除)", "（删除）", "删除")
# The category whose rules find personal data: they share the masker's patterns and the `allowlist` setting.
PII_CATEGORY = "pii-exposure"


class Severity(enum.IntEnum):
    """Ordered so that `severity >= threshold` reads naturally."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, value: str) -> "Severity":
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r} (use error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


SEVERITIES = tuple(str(s) for s in sorted(Severity, reverse=True))  # error, warning, info
# The lowest severity that fails a scan or blocks a draft; `never` fails nothing.
NEVER = "never"
FAIL_ON = (*SEVERITIES, NEVER)
DEFAULT_FAIL_ON = "error"


def fail_threshold(value: "str | Severity") -> Severity | None:
    """The severity a finding needs to fail (None for `never`); ValueError naming the levels otherwise."""
    if isinstance(value, Severity):
        return value
    level = str(value).strip().lower()
    if level == NEVER:
        return None
    if level not in FAIL_ON:
        raise ValueError(f"fail_on {value!r} must be one of {', '.join(FAIL_ON)}")
    return Severity.parse(level)


# -- inputs -------------------------------------------------------------------------------------------------------
# format name -> the file extensions that mean it (readers/ has one module per format, registered by these names)
INPUT_EXTENSIONS = {
    "jsonl": (".jsonl", ".json", ".ndjson"),
    "csv": (".csv",),
    "tsv": (".tsv", ".tab"),
    "xlsx": (".xlsx", ".xlsm"),
    "email": (".eml", ".mbox", ".mbx"),
    "chat_log": (".log", ".txt"),
}
INPUT_FORMATS = tuple(INPUT_EXTENSIONS)
# Spellings of a format name that are still read, with a warning: the chat-log format was `chatlog` while its
# settings were `chat_log`; one spelling now, the module's and the setting's.
DEPRECATED_INPUT_FORMATS = {"chatlog": "chat_log"}


def input_format_name(value: str) -> tuple[str, str | None]:
    """The format a user's spelling names, and the warning to give for a deprecated spelling (else None)."""
    new = DEPRECATED_INPUT_FORMATS.get(value)
    if new is None:
        return value, None
    return new, f"input format {value!r} is now spelled {new!r} (like the `{new}` setting); the old spelling will go"


# -- patterns -----------------------------------------------------------------------------------------------------
# How every regular expression of a rule is compiled (the `regex` module). The normalised text is lower case, so a
# pattern written with capitals (SSL, TeamViewer) must still match it.
PATTERN_FLAGS = regex.V0 | regex.IGNORECASE


def pattern_flags(source: str, named_lists: "dict | None" = None) -> int:
    """The flags a rule pattern is compiled with: PATTERN_FLAGS, without IGNORECASE where no character of the
    pattern has a case (Chinese, digits, punctuation: prefilter.case_free), which matches the same and searches
    faster."""
    from .text.prefilter import case_free  # the analysis, only where a pack is built

    return PATTERN_FLAGS & ~regex.IGNORECASE if case_free(source, named_lists) else PATTERN_FLAGS


# -- personal data ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PiiPattern:
    """One kind of personal data: where it may stand in the normalised (lower-case, half-width) text, the check a
    candidate must pass (a check digit, a number range), and how a match is written plainly (`canonical`: an
    address written "li.ming (at) qq.com" is li.ming@qq.com) for the allowlist and the company's own addresses."""

    kind: str
    pattern: "regex.Pattern[str]"
    valid: Callable[[str], bool]
    description: str
    canonical: Callable[[str], str] = str


# Separators people put between the digit groups of a number (139 1234 5678, 139.1234.5678, 139-1234-5678).
_SEP = r"[ .\-]"
_NUMERALS = "".join(DIGIT_WORDS)
# A number with Chinese numerals in it (一三九…, 1三9…): its boundaries are numerals too, so 第一 or 一直 next to an
# all-digit number do not stop that number from being found by the first form.
_NUMERAL_DIGIT = f"[0-9{_NUMERALS}]"
# Words that say which part of a number is being read out (前三位177，中间4520，尾号0049).
_FIRST_PART = r"(?:前三位|前3位|头三位|开头三位|开头3位|开头(?:是|为)?)"
_MIDDLE_PART = r"(?:中间(?:四位|4位)?|第四到七位|第4到7位|然后|接着)"
_LAST_FOUR = r"(?:尾号|后四位|后4位|末四位|末4位|最后四位|最后4位|最后)"
_LAST_EIGHT = r"(?:后八位|后8位|后面八位|后面8位)"
_FIRST_SEVEN = r"(?:前七位|前7位)"
_SAYS = r"[是为:：]?\s?"
_GAP_WORDS = r"[^\d。！？!?\n]{0,8}?"
_MOBILE_PATTERN = (
    # digits, grouped or not, +86 / 86 / 0086 before them
    # (a lone digit after a space that a word follows is the next list item, 138-2716-4409 7栋, not a 12th digit)
    rf"(?<![\d*]|[\d*]{_SEP})(?:(?:\+|00)?86{_SEP}?)?1{_SEP}?[3-9](?:{_SEP}?\d){{9}}"
    rf"(?![.\-]?[\d*]| [\d*](?:[\d*]|{_SEP}[\d*]|$))"
    # the same with Chinese numerals for some or all of the digits
    rf"|(?<![\d*{_NUMERALS}]|[\d*{_NUMERALS}]{_SEP})(?:(?:\+|00)?(?:86|八六){_SEP}?)?[1一幺壹]{_SEP}?"
    rf"[3-9三四五六七八九叁肆伍陆柒捌玖](?:{_SEP}?{_NUMERAL_DIGIT}){{9}}(?!{_SEP}?[\d*{_NUMERALS}])"
    # read out in parts between words: 3 + 4 + 4, 3 + 8, 7 + 4 digits
    rf"|{_FIRST_PART}{_SAYS}\d{{3}}{_GAP_WORDS}{_MIDDLE_PART}{_SAYS}\d{{4}}{_GAP_WORDS}{_LAST_FOUR}{_SAYS}\d{{4}}(?!\d)"
    rf"|{_FIRST_PART}{_SAYS}\d{{3}}{_GAP_WORDS}{_LAST_EIGHT}{_SAYS}\d{{8}}(?!\d)"
    rf"|{_FIRST_SEVEN}{_SAYS}\d{{7}}{_GAP_WORDS}{_LAST_FOUR}{_SAYS}\d{{4}}(?!\d)"
)

# An e-mail address, also with spaces around the @ or the @ written (at), [at] …; "at" or 艾特 on their own only
# before a personal mail service's domain (in English, "at example.com" is too often not an address).
_EMAIL_LOCAL = r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+"
_EMAIL_DOMAIN = r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*"
_EMAIL_AT = r"\s?(?:@|[(\[{<]\s?at\s?[)\]}>]|【at】)\s?"
_WEBMAIL = (r"(?:vip\.qq|qq|vip\.163|163|126|yeah|sina|sohu|foxmail|gmail|hotmail|outlook|live|yahoo|icloud|aliyun"
            r"|139|189|wo|tom)\.(?:com\.cn|com|cn|net)")
_EMAIL_PATTERN = rf"{_EMAIL_LOCAL}(?:{_EMAIL_AT}{_EMAIL_DOMAIN}|(?:\sat\s|\s?艾特\s?){_WEBMAIL}(?![a-z0-9.-]))"
_AT_WRITTEN = regex.compile(r"\s*(?:@|[(\[{<]\s*at\s*[)\]}>]|【at】|\sat\s|艾特)\s*", PATTERN_FLAGS)


def email_address(text: str) -> str:
    """The address written in `text` as name@domain, lower case ("Li.Ming (at) QQ.com" -> li.ming@qq.com)."""
    return _AT_WRITTEN.sub("@", text.strip().lower(), count=1)


def _personal_email(text: str) -> bool:
    return not ROLE_MAILBOX.fullmatch(email_address(text))


def _compiled(source: str, cased: bool) -> "regex.Pattern[str]":
    """A personal-data pattern, compiled as rule patterns are, with the flags `pattern_flags` gives it (the rules
    share these objects with the masker). Whether it holds a cased character is written here rather than worked
    out at every import (parsing the mobile pattern alone took a millisecond of every `qa-lint check`); a test
    holds each to pattern_flags."""
    return regex.compile(source, PATTERN_FLAGS if cased else PATTERN_FLAGS & ~regex.IGNORECASE)


# A number glued to other digits or to a mask character is part of something else (an order number, an
# already masked 138****5678).
_MOBILE = PiiPattern(
    "mobile", _compiled(_MOBILE_PATTERN, cased=False), cn_mobile,
    "mainland mobile numbers: 11 digits starting 13-19, also in groups (spaces, dots, dashes), with +86, 86 or "
    "0086, with Chinese numerals (一三九…) for digits, or read out in parts (前三位177，中间4520，尾号0049)",
    national_mobile,
)
_RESIDENT_ID = PiiPattern(
    "resident-id", _compiled(
        r"(?<![0-9a-z*])(?:\d{17}[0-9x]|\d{15})(?![0-9a-z*])"
        # …and the 18 characters in groups, as they are read out or copied from a card: area code, birth date (whole
        # or as year and month-day), the rest (110105 19880312 4525 / 110105-1988-0312-4525).
        rf"|(?<![0-9a-z*]|[0-9*]{_SEP})\d{{6}}{_SEP}\d{{4}}{_SEP}?\d{{4}}{_SEP}\d{{3}}[0-9x](?![0-9a-z*]|{_SEP}[0-9])",
        cased=True,  # the check character x
    ), cn_resident_id_any,
    "resident ID numbers: 18 characters with a plausible birth date and a valid check character, also in groups "
    "(spaces, dots, dashes: 110105 19880312 4525), or the 15 digits of before 1999 with a province code and a real "
    "birth date",
)
# Two card definitions, on purpose: hiding errs on the side of hiding (any Luhn-valid 16-19 digit number, also
# a tracking number that happens to pass), while a finding must be one a reviewer agrees with (numbers that
# start like a payment card, 3-6, so that order and tracking numbers are not reported as leaks).
_CARD = PiiPattern(
    "card", _compiled(r"(?<![\d*])(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?)(?![\d*])", cased=False), luhn,
    "any Luhn-valid number of 16-19 digits (also in groups of four)",
)
_BANK_CARD = PiiPattern(
    "bank-card",
    _compiled(r"(?<![\d*])(?:[3-6]\d{15,18}|[3-6]\d{3}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?)(?![\d*])", cased=False), luhn,
    "payment card numbers: starting 3-6, 16-19 digits (also in groups of four), Luhn-valid",
)
_EMAIL = PiiPattern(
    "email", _compiled(_EMAIL_PATTERN, cased=True), _personal_email,
    "e-mail addresses, also with spaces around the @ or the @ written (at) or ＠ (at or 艾特 alone before a mail "
    "service's domain: qq.com, 163.com …), except a company's role mailboxes (support@, kefu@ …)",
    email_address,
)
PII_PATTERNS = {p.kind: p for p in (_MOBILE, _RESIDENT_ID, _CARD, _BANK_CARD, _EMAIL)}
# What the masker hides, in this order: an 18-digit ID is masked as an ID even when it also passes the Luhn check.
MASKED_KINDS = ("resident-id", "card", "mobile", "email")

# Role mailboxes of a company are not personal data: an address with one of these names is never PII.
ROLE_MAILBOXES = (
    "support", "service", "services", "help", "helpdesk", "kefu", "cs", "customer", "customerservice", "noreply",
    "no-reply", "admin", "info", "contact", "feedback", "billing", "invoice", "sales", "hr", "postmaster", "security",
)
ROLE_MAILBOX = regex.compile("(?:" + "|".join(regex.escape(name) for name in ROLE_MAILBOXES) + ")@.*", PATTERN_FLAGS)


# -- durations ----------------------------------------------------------------------------------------------------
def format_duration(seconds: float) -> str:
    """A wait as a reviewer says it: 45 秒, 3 分 1 秒, 3 分钟, 2 小时 5 分, 24 小时."""
    seconds = int(round(seconds))
    if seconds < 0:
        return "—"
    if seconds < 120:
        return f"{seconds} 秒"
    if seconds < 7200:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} 分 {rest} 秒" if rest else f"{minutes} 分钟"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} 小时 {rest // 60} 分" if rest >= 60 else f"{hours} 小时"


# -- counts in English diagnostics ---------------------------------------------------------------------------------
# The command line's own messages are English (findings and reports are Chinese, which has no plural): a count
# says "1 finding", "2 findings", never "1 findings" or "finding(s)".
_IRREGULAR_PLURALS = {"info": "info", "miss": "misses", "match": "matches", "entry": "entries", "summary": "summaries"}


def plural(count: int, noun: str) -> str:
    """`count` and `noun` in the form the count takes: 1 error, 0 errors, 3 misses."""
    return f"{count:,} {noun if count == 1 else _IRREGULAR_PLURALS.get(noun, noun + 's')}"

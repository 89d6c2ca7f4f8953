"""`regex`: a regular expression on the normalised text, optionally checked by a validator (luhn, …), or one of
the kinds of personal data the masker hides (`pii:`), with the same patterns."""
from __future__ import annotations

import regex

from ..validators import VALIDATORS
from ..vocabulary import PII_CATEGORY, PII_PATTERNS, PATTERN_FLAGS, ROLE_MAILBOX
from ..yamlfile import line_of, with_lines
from .base import Rule
from .fields import MATCHER_FIELDS, MESSAGE_VETO, Field

_VALIDATORS = ", ".join(sorted(VALIDATORS))


class RegexRule(Rule):
    """A regular expression on the normalised text, optionally checked by a validator.

    The validator and `allow` see the matched value with spaces and dashes removed. Patterns are case-insensitive
    (the text they read is lower case) and see the [normalised](#normalisation) text: full-width digits are
    ordinary digits, Traditional characters are Simplified. Each search stops after 0.25 s: a pattern that
    backtracks catastrophically (`(a|aa)+$` on a long run of `a`) is skipped for that conversation, named once in
    the scan summary (`Rule ID: regular expression timed out and was skipped: …`), the rest of the scan goes on,
    and the exit code is 2.

    `pii:` names a kind of personal data instead of a pattern, and the rule finds it with the same pattern and check
    the masker uses to hide it: `mobile` (also in groups with spaces, dots or dashes, with +86, 86 or 0086, with
    Chinese numerals or other scripts' digits, or read out in parts: 前三位177，中间4520，尾号0049), `resident-id`
    (18 characters with a valid check character, also in groups: 320102 19750618 3217, or the 15 digits of before
    1999), `email` (also with spaces around the @, written (at) or ＠, or at / 艾特 before a mail service's domain;
    an address of a role mailbox such as support@ or kefu@ is not personal data), `card` (what the masker hides: any
    Luhn-valid number of 16-19 digits) or `bank-card` (what the built-in pack reports: only numbers that start like
    a payment card, 3-6). Rules of the `pii-exposure` category, and rules with `pii:`, also accept every value of the
    configuration's `allowlist` (your hotlines and mailboxes)."""

    TYPE = "regex"
    FIELDS = (
        Field("pattern", "regular expressions", "one regular expression or a list "
              "([`regex`](https://pypi.org/project/regex/) module syntax, so `\\p{Han}` works); required unless "
              "`pii` is given", example="'(发|告诉)(我|一下)?.{0,4}(密码|PIN码)'"),
        Field("pii", "mobile | resident-id | card | bank-card | email", "a kind of personal data, found with the "
              "masker's own pattern and check, as described above", example="mobile",
              excludes=("pattern", "validator")),
        Field("validator", f"one of {_VALIDATORS}", "a check on the matched value: `luhn` (bank cards: the Luhn "
              "check digit), `cn_resident_id` (18-character ID: a plausible birth date and the MOD 11-2 check "
              "character), `cn_resident_id_15` (the 15-digit ID of before 1999: a province code and a real birth "
              "date), `cn_mobile` (11 digits starting 13-19, optional +86, 86 or 0086; Chinese numerals count as "
              "digits)", example="luhn"),
        Field("allow", "regular expressions", "one or a list; a value that matches one *completely* is fine (your "
              "own hotline)", example="['13800138000']"),
        *(f for f in MATCHER_FIELDS if f.name in ("exceptions", "exception_patterns", "when", "unless")),
        Field("own_addresses", "true | false", "`true`: an e-mail address of the company itself (`own_domains` and "
              "`support_addresses` in the configuration) is not reported", default="false", example="true"),
        MESSAGE_VETO,
    )
    MESSAGE_LOCAL = True
    EXAMPLES = """\
  - id: r-mobile
    type: regex
    category: pii-exposure
    message: "疑似手机号「{match}」"
    pattern: '(?<!\\d)(?:\\+?86[ -]?)?1\\d{2}(?:[ -]?\\d{4}){2}(?!\\d)'
    validator: cn_mobile
    # Our own hotline is fine: an allow pattern that matches the whole value (spaces and dashes removed).
    allow: ['13800138000']
    # An exception cancels every hit it overlaps: the number in a documentation sample is not a leak.
    exception_patterns: ['示例号码\\s*\\d+']
    examples:
      flag: [请拨打 137 0000 1111, 回拨 +86 137-0000-1111]
      pass: [请拨打 138****5678, 客服热线 138-0013-8000, 编号 12700001111, 示例号码 13700001111]

  - id: r-pii-email
    type: regex
    category: pii-exposure
    message: "邮箱地址「{match}」"
    pii: email   # the masker's pattern: a role mailbox (support@, kefu@ …) is not personal data
    examples:
      flag: [详细步骤已发送至 li.ming@example.com]
      pass: [如有问题请发邮件至 support@example.com, 邮箱 li***@example.com 已验证]
"""

    def compile(self, spec, ctx):
        self.pii = None
        kind = spec.get("pii")
        if kind is not None:
            self.pii = PII_PATTERNS.get(str(kind))
            if self.pii is None:
                ctx.error(f"unknown pii kind {kind!r}; known: {', '.join(PII_PATTERNS)}", line_of(spec, "pii"))
        patterns = [self.pii.pattern] if self.pii is not None else spec.get("pattern")
        if patterns is None and kind is None:
            ctx.error("regex rule needs a pattern", line_of(spec))
        matcher_spec = with_lines(
            {k: v for k, v in (("patterns", patterns), ("exceptions", spec.get("exceptions")),
                               ("exception_patterns", spec.get("exception_patterns")),
                               ("when", spec.get("when")), ("unless", spec.get("unless"))) if v is not None},
            spec, {"patterns": "pii" if self.pii is not None else "pattern", "exceptions": "exceptions",
                   "exception_patterns": "exception_patterns", "when": "when", "unless": "unless"},
        )
        self.match = self.matcher(matcher_spec, ctx, required=patterns is not None)
        self.validator = self.pii.valid if self.pii is not None else None
        name = spec.get("validator")
        if name is not None:
            self.validator = VALIDATORS.get(str(name))
            if self.validator is None:
                ctx.error(f"unknown validator {name!r}; known: {_VALIDATORS}", line_of(spec, "validator"))
        self.allow = self.pattern_list(spec, "allow", ctx, "allow pattern")
        if self.pii is not None and self.pii.kind == "email":
            self.allow.append(ROLE_MAILBOX)

        self.message_veto(spec, ctx)
        self.own_addresses = bool(spec.get("own_addresses", False))
        self.own_domains: tuple[str, ...] = ()
        self.own_mailboxes: frozenset[str] = frozenset()

    def configure(self, settings):
        if not self.own_addresses:
            return
        domains, mailboxes = own_addresses(settings)
        # Compared the way a match is written plainly (see _plain).
        self.own_domains = tuple(self._plain(d) for d in domains)
        self.own_mailboxes = frozenset(self._plain(m) for m in mailboxes)

    def _company_address(self, value: str) -> bool:
        value = value.lower()
        if value in self.own_mailboxes:
            return True
        domain = value.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.own_domains)

    def requirement(self):
        return self.match.requirement()

    def matchers(self):
        return [self.match]

    def allow_values(self, values):
        if self.category != PII_CATEGORY and self.pii is None:
            return
        # Compared like a match is: written plainly (see _plain), lower case.
        self.allow.extend(regex.compile(regex.escape(self._plain(v.lower())), PATTERN_FLAGS) for v in values)

    def _value(self, text: str) -> str:
        return "".join(ch for ch in text if not ch.isspace() and ch not in "-")

    def _plain(self, text: str) -> str:
        """A match as its value is compared (validator, allow, own addresses): a kind of personal data says how
        it is written plainly (li.ming (at) qq.com is li.ming@qq.com, +86 139 1234 5678 is 13912345678); any other
        match loses its spaces and hyphens."""
        if self.pii is not None and self.pii.canonical is not str:
            return self.pii.canonical(text)
        return self._value(text)

    def block_rows(self, index):
        # Only a scope message where the matcher can hit gives a finding.
        return self.match.block_open(index) & index.scope(self.scope)

    @property
    def learnable_veto(self) -> bool:
        return True

    def check(self, conv):
        for view, hits in self.matched(conv):
            for hit in hits:
                value = self._plain(view.norm.text[hit.nstart : hit.nend])
                if self.validator and not self.validator(value):
                    continue
                if any(p.fullmatch(value) for p in self.allow):
                    continue
                if self.own_domains or self.own_mailboxes:
                    if "@" in value and self._company_address(value):
                        continue
                yield self.finding(conv, view, hit)


def own_addresses(settings: dict) -> tuple[set[str], set[str]]:
    """The company's own mail domains and mailboxes: config `own_domains` plus `support_addresses` (one list for
    both uses: the e-mail reader's "who is the agent" and "this address is not personal data")."""
    domains: set[str] = set()
    mailboxes: set[str] = set()
    for value in list(settings.get("own_domains") or []) + list(settings.get("support_addresses") or []):
        value = str(value).strip().lower()
        if not value:
            continue
        if value.startswith("@"):
            domains.add(value[1:])
        elif "@" in value:
            mailboxes.add(value)
        else:
            domains.add(value)
    return domains, mailboxes


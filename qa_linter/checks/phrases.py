"""`phrases`: listed terms (inline or from lexicons), word-aware, with exceptions and per-term suggestions."""
from __future__ import annotations

from .base import Rule
from .fields import MATCHER_FIELDS, MESSAGE_VETO


class PhrasesRule(Rule):
    """Listed terms, word-aware, with exceptions and per-term suggestions. Fields: the
    [matcher fields](#matcher-fields). The finding marks the words as typed (`不 知 道` with its spaces, `親` in
    Traditional). Quote a term YAML would read as a number: `"666"`."""

    TYPE = "phrases"
    SHARED = (MATCHER_FIELDS,)
    FIELDS = (MESSAGE_VETO,)
    MESSAGE_LOCAL = True
    EXAMPLES = """\
  - id: p-slang
    type: phrases
    category: slang
    message: "网络用语「{match}」"
    suggest: 使用规范书面语
    terms: [{term: 亲, suggest: 您}, 滚, 菜, "666", 木有]
    examples:
      flag: [亲，您好, 親，您好, 你给我滚, 这操作太菜了, 太666了, 木有问题, "木\\u200b有"]
      pass: [我亲自处理, 为父母亲代办, 请拖动滚动条, 打开菜单, 订单号20261123666012, 积木有三块]

  - id: p-substring
    type: phrases
    category: slang
    severity: info
    message: "含「{match}」"
    boundary: none   # plain substring matching: 亲 inside 亲自 counts too
    terms: [亲]
    examples:
      flag: [我亲自处理, 为父母亲代办, 亲，您好]
      pass: [您好]
"""

    def compile(self, spec, ctx):
        self.match = self.matcher(spec, ctx)
        self.message_veto(spec, ctx)

    @property
    def learnable_veto(self) -> bool:
        return True

    def requirement(self):
        return self.match.requirement()

    def matchers(self):
        return [self.match]

    def block_rows(self, index):
        # Only a scope message where the matcher can hit gives a finding.
        return self.match.block_open(index) & index.scope(self.scope)

    def check(self, conv):
        for view, hits in self.matched(conv):
            for hit in hits:
                yield self.finding(conv, view, hit)

"""Field declarations: what a rule type takes, in one place, for validation and for the generated reference.

A rule type lists its own fields (`Rule.FIELDS`) and the shared field sets it takes (`Rule.SHARED`); every rule
takes the common fields. The loader accepts exactly these names (an unknown one is an error with a
did-you-mean), `docs/rule-language.md`'s reference is generated from them, and a test loads every field's
example into its type's documented example rule. A field set shared by several types (the matcher fields, and
whatever conditions every type will take) is declared once, here or in its own module, and named by each type.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Union


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # what the value is, in a few words: "text", "matcher", "regular expressions", "whole number" …
    doc: str  # what it means, for the reference and for errors
    default: str | None = None  # the default as a reader should see it (None: no default)
    example: str | None = None  # the value in YAML, as it would follow `name: `
    required: bool = False
    excludes: tuple[str, ...] = ()  # fields this one replaces: giving both is an error
    # For a mapping: the keys it takes (names, or Field objects for those the reference explains in a row of their own).
    parts: tuple[Union[str, "Field"], ...] = ()

    def part_names(self) -> set[str]:
        return {p if isinstance(p, str) else p.name for p in self.parts}

    def documented_parts(self) -> list["Field"]:
        return [p for p in self.parts if isinstance(p, Field)]

    @property
    def example_yaml(self) -> str | None:
        return None if self.example is None else f"{self.name}: {self.example}"


@dataclass(frozen=True)
class FieldSet:
    """Fields several rule types share, under one name (shown once in the reference, linked from each type)."""

    name: str  # the reference's heading and anchor, e.g. "matcher fields"
    fields: tuple[Field, ...]
    where: str = ""  # one line on where the set's fields go, for the reference

    def __iter__(self):
        return iter(self.fields)

    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def anchor(self) -> str:
        return self.name.lower().replace(" ", "-")


# A rule type may declare its fields as Field objects, or (the short form) as a mapping of name to meaning.
Declared = Union[Iterable[Field], Mapping[str, str]]


def declared(fields: Declared) -> tuple[Field, ...]:
    if isinstance(fields, Mapping):
        return tuple(Field(name, "", str(doc)) for name, doc in fields.items())
    return tuple(fields)


COMMON_FIELDS = FieldSet(
    "common fields",
    (
        Field("id", "text", "lower-case letters, digits, `-`, `.`, `_`; unique in its file. Used by `--select`, "
              "`--ignore`, `--severity`, `rules show`", required=True, example="slang-address"),
        Field("type", "rule type", "one of the [rule types](#rule-types)", required=True, example="phrases"),
        Field("category", "text", "the finding category (the built-in ones are listed in `qa-lint rules list`); "
              "reports count findings by it", required=True, example="slang"),
        Field("message", "text", "the Chinese text shown with the finding; may use "
              "[placeholders](#message-placeholders)", required=True, example='"网络用语「{match}」"'),
        Field("severity", "error | warning | info", "how serious a finding is", default="warning", example="error"),
        Field("suggest", "text", "a replacement or advice shown with the finding (a term's own suggestion wins, "
              "see [placeholders](#message-placeholders))", example="使用规范书面语"),
        Field("manual", "text", "the section of the service standard the rule enforces", example='"2.3 禁用服务忌语"'),
        Field("description", "text", "what it checks and why; shown by `qa-lint rules show ID`",
              example="Over-familiar forms of address."),
        Field("scope", "scope", "which messages the rule reads, see [Scope](#scope)", default="all agent messages",
              example="{role: customer, messages: first 2}"),
        Field("channels", "list of chat, email, phone", "the rule runs only on conversations of these channels",
              default="every channel", example="[chat]"),
        Field("examples", "flag: and pass: lists", "texts that must and must not produce the finding, see "
              "[Examples](#examples-inside-rules) (the built-in pack requires them)",
              example="{flag: [亲，您好], pass: [我亲自处理]}"),
        Field("enabled", "true | false", "`false` switches the rule off (useful in `options:` of the config file)",
              default="true", example="false"),
    ),
    "every rule",
)

MATCHER_FIELDS = FieldSet(
    "matcher fields",
    (
        Field("terms", "list of terms", "strings, or `{term: …, suggest: …, note: …}` mappings (the `suggest` is "
              "that term's replacement)", example="[{term: 亲, suggest: 您}, 老铁]"),
        Field("lexicon", "lexicon name(s)", "the name of a [lexicon file](#lexicon-files), or a list of names; its "
              "terms are added to `terms`", example="slang"),
        Field("patterns", "regular expressions", "one string or a list, on the [normalised](#normalisation) text; "
              "`\\L<name>` stands for \"any term of lexicon *name*\"", example="['祝您.{1,8}']"),
        Field("boundary", "word | none", "`word`: a term matches only on [word boundaries](#word-boundaries); "
              "`none`: anywhere, as a substring. Patterns are never boundary-checked", default="word", example="none"),
        Field("exceptions", "list of terms", "terms that cancel every hit they overlap (matched as substrings)",
              example="[截图不清楚]"),
        Field("exception_patterns", "regular expressions", "regular expressions that cancel every hit they overlap",
              example="['亲爱的(?=[\\p{Han}a-z])']"),
        Field("read_pauses", "true | false", "`true`: `patterns` and `exception_patterns` read the message with a "
              "space where the writer paused between clauses ([normalisation](#normalisation) drops it: 宝宝 骑手已经到了 "
              "reads 宝宝骑手已经到了), so `\\s` sees the pause (`宝宝(?=[,，。\\s])` addresses the customer); a "
              "window such as `.{0,3}` then counts the space", default="false", example="true"),
        Field("when", "conditions", "every [condition](#conditions-when-and-unless) must hold around a hit (clause, "
              "sentence, message or near: any/all/none of lexicon classes, mood, person)",
              example="[{clause: {mood: request}}]"),
        Field("unless", "conditions", "any [condition](#conditions-when-and-unless) that holds around a hit cancels it",
              example="[{clause: {mood: conditional}}]"),
    ),
    "the rule itself or a sub-mapping that finds text",
)


# A phrases or regex rule's learned veto: where its words hit, a message its weights score under V reports nothing.
MESSAGE_VETO = Field(
    "model", "{weights: lexicon, veto: V}", "a learned reading of the message the rule's words hit: where the "
    "weights (a lexicon of `piece<TAB>weight` lines written by `qa-lint calibrate --train-veto`) score the "
    "message under V, nothing is reported there (没办法 in a polite statement of a limit, words the agent "
    "quotes). The weights read the message alone, so a draft is still judged by itself",
    example="{weights: banned-phrase-model, veto: 0.02}")

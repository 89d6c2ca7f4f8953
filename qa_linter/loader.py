"""Loading rule packs: the files of a pack, lexicon look-up, the configuration's selection and overrides.

Every mistake is collected with its file, line and a fix, and all of them are reported together; the YAML is
read with the safe loader only (yamlfile.py). What a rule may say and how it is compiled is its type's business
(checks/): the loader hands each rule to `checks.compile_rule`.
"""
from __future__ import annotations

import difflib

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .analysis import Toolkit
from .checks import CompileContext, Rule, compile_rule
from .errors import RuleError, RuleLoadError
from .pack_snapshot import PackSnapshot, watched_folders
from .resources import builtin_lexicons, builtin_rules
from .text.lexicon import Lexicon, read_lexicon
from .text.pattern_safety import save_compile_cache
from .text.prefilter import save_gate_cache
from .vocabulary import Severity
from .yamlfile import MAX_YAML_VALUES, LineDict, expands_within, kind_of, line_of, load_yaml, yaml_problem

__all__ = ["RulePack", "load_rule_pack", "load_yaml", "rule_files", "MAX_YAML_VALUES", "expands_within", "yaml_problem"]

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class RulePack:
    rules: list[Rule]
    toolkit: Toolkit
    files: list[str] = field(default_factory=list)
    name: str = "qa-linter"
    version: str = "0"
    digest: str = ""
    # Mistakes that do not stop a rule from loading (a field under its old name), with file:line.
    warnings: list[RuleError] = field(default_factory=list)
    lexicon_files: list[str] = field(default_factory=list)  # the lexicons the rules use, as found
    # What load_rule_pack was called with: another process (a Spark executor) rebuilds the same pack from it.
    arguments: dict[str, Any] = field(default_factory=dict)
    # Rules left out because a part of them is unsafe to build (a pattern that would exhaust memory): file, line
    # and why. The others load; every scan reports these (Linter.rule_problems, exit 2).
    refused: list[RuleError] = field(default_factory=list)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def fingerprint(self) -> str:
        return f"{self.name}@{self.version}+{self.digest}"


class _Lexicons:
    def __init__(self, search_dirs: list[Path]):
        self.search_dirs = [d for d in search_dirs if d.is_dir()]
        self._cache: dict[Path, Lexicon] = {}
        self._unreadable: dict[Path, RuleError] = {}
        self.errors: list[RuleError] = []
        self.used: list[Path] = []

    def find(self, name: str, rule_dir: Path | None, report: list[RuleError]) -> Lexicon | None:
        """The lexicon `name` as a rule in `rule_dir` sees it; None if there is no such file.

        A file that exists but cannot be read is reported to `report` (the rule's errors, so the rule is not
        also told it has no terms) and stands in as an empty lexicon, not as an unknown name.
        """
        candidates = []
        dirs = ([rule_dir, rule_dir / "lexicons", rule_dir.parent / "lexicons"] if rule_dir else []) + self.search_dirs
        for d in dirs:
            candidates.append(d / name if name.endswith(".txt") else d / f"{name}.txt")
        for path in candidates:
            if path.is_file():
                path = path.resolve()
                if path not in self._cache:
                    try:
                        self._cache[path] = read_lexicon(path, self.errors)
                        self.used.append(path)
                    except RuleError as exc:
                        self._unreadable[path] = exc
                        self._cache[path] = Lexicon(path.stem, str(path), ())
                if path in self._unreadable:
                    report.append(self._unreadable[path])
                return self._cache[path]
        return None

    def names(self, rule_dir: Path | None) -> list[str]:
        dirs = ([rule_dir, rule_dir / "lexicons", rule_dir.parent / "lexicons"] if rule_dir else []) + self.search_dirs
        return sorted({p.stem for d in dirs if d.is_dir() for p in d.glob("*.txt")})


def rule_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_rule_pack(
    paths: Iterable[Path] = (),
    *,
    builtin: bool = True,
    lexicon_dirs: Iterable[Path] = (),
    options: dict[str, dict] | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    severity: dict[str, str] | None = None,
    allowlist: Iterable[str] = (),
    settings: dict | None = None,
    origins: dict[tuple[str, str], str] | None = None,
) -> RulePack:
    """Load and compile rule packs; raise RuleLoadError listing every mistake if there is any. `settings` is the
    merged configuration, which each rule may read what it needs from (Rule.configure).

    A rule with a pattern that is valid but unsafe to compile (it would take gigabytes) is not a mistake that
    stops everything: that rule is left out, listed in `RulePack.refused`, and the others load.

    A `select`, `ignore` or `severity` entry that names no rule id, category or id prefix of the pack is a mistake
    (a typo would otherwise select nothing and report a clean scan); `origins` maps (setting, entry) to where it
    was written ("file:line", "--select") for the message."""
    paths, lexicon_dirs = [Path(p) for p in paths], [Path(d) for d in lexicon_dirs]
    select, ignore, allowlist = list(select), list(ignore), list(allowlist)
    arguments = {"paths": [str(p) for p in paths], "builtin": builtin, "lexicon_dirs": [str(d) for d in lexicon_dirs],
                 "options": options, "select": select, "ignore": ignore, "severity": dict(severity or {}),
                 "allowlist": allowlist, "settings": settings}
    snapshot = PackSnapshot(arguments, origins)
    kept = snapshot.load()
    if isinstance(kept, RulePack):
        _warn(kept.warnings)
        return kept
    toolkit = Toolkit()
    lexicons = _Lexicons([*lexicon_dirs, builtin_lexicons()])
    sources = ([builtin_rules()] if builtin else []) + paths
    found = _collect_sources(sources, builtin)
    options = options or {}
    origins = origins or {}
    # A lexicon folder that is not there is a typo that would leave a team's lists unread: as a rule folder is.
    errors = [RuleError(str(d), None, "no such lexicon folder") for d in lexicon_dirs if not d.is_dir()]
    errors += found.errors + [RuleError(origins.get(("options", rule_id), "config"), None,
                                        f"options for unknown rule {rule_id!r}{_rule_meant(rule_id, found.specs)}")
                              for rule_id in options if rule_id not in found.specs]
    errors += [RuleError(origins.get(("options", rule_id), "config"), None, problem)
               for rule_id, override in options.items() if rule_id in found.specs
               for problem in _extension_problems(rule_id, found.specs[rule_id][0], override)]
    if not found.errors:  # with a rule file missing or broken, its ids are unknown: say nothing about them
        errors += _selection_errors(found.specs, {"select": select, "ignore": ignore, "severity": list(severity or {})},
                                    origins)
    rules, ctx = _compile_rules(found.specs, options, select, ignore, toolkit, lexicons, origins)
    save_gate_cache()  # the patterns analysed for the first time, for the next process (text/prefilter.py)
    save_compile_cache()  # and those compiled for the first time (text/pattern_safety.py)
    errors += ctx.errors + lexicons.errors
    if severity:
        errors.extend(_apply_severity(rules, severity, origins))
    _apply_allowlist(rules, allowlist)
    errors += _configured(rules, settings or {}, origins)
    if errors:
        raise RuleLoadError(_in_file_order(errors, [*sources, *found.files]))
    _warn(ctx.warnings)
    pack = RulePack(rules, toolkit, [str(f) for f in found.files], found.meta["name"], str(found.meta["version"]),
                    _digest([*found.files, *lexicons.used]), ctx.warnings, [str(p) for p in lexicons.used], arguments,
                    ctx.refused)
    snapshot.save(pack, watched_folders(sources, found.files, [*lexicon_dirs, builtin_lexicons()]))
    return pack


def _configured(rules, settings: dict, origins: dict) -> list[RuleError]:
    """Give every rule the configuration (Rule.configure). An entry no rule that reads its setting can use (an
    audience none of them knows) is a mistake in the configuration file, reported at its line like the others
    rather than silently ignored; one that some rule uses is that rule's (another rule of the type, with audiences
    of its own, may read the same setting)."""
    readers: dict[str, int] = {}
    refused: dict[tuple[str, str], list[str]] = {}
    for rule in rules:
        for setting in rule.READS_SETTINGS:
            readers[setting] = readers.get(setting, 0) + 1
        for setting, key, problem in rule.configure(settings) or ():
            refused.setdefault((setting, key), []).append(problem)
    return [RuleError(origins.get(entry, "config"), None, problems[0])
            for entry, problems in refused.items() if len(problems) >= readers.get(entry[0], 0)]


def _warn(found: list[RuleError]) -> None:
    for warning in found:
        # For Python callers; the command line prints pack.warnings itself.
        warnings.warn(warning.describe(), DeprecationWarning, stacklevel=3)


@dataclass
class _Found:
    """The rule mappings of a pack's files (a later file's rule replaces an earlier one with its id)."""

    specs: dict[str, tuple[dict, Path]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    meta: dict = field(default_factory=lambda: {"name": "qa-linter", "version": "0"})
    errors: list[RuleError] = field(default_factory=list)


def _collect_sources(sources: list[Path], builtin: bool) -> _Found:
    found = _Found()
    for source in sources:
        if not source.exists():
            found.errors.append(RuleError(str(source), None, "no such rule file or folder"))
            continue
        for path in rule_files(source):
            found.files.append(path)
            try:
                _collect(path, found.specs, found.errors, found.meta, builtin and source == builtin_rules())
            except RuleError as exc:
                found.errors.append(exc)
    return found


def _compile_rules(specs, options, select, ignore, toolkit: Toolkit, lexicons: "_Lexicons",
                   origins: "dict | None" = None) -> tuple[list[Rule], CompileContext]:
    """The selected, enabled rules compiled (with the configuration's `options` over their fields); the context
    holds every mistake and warning. A mistake that only the `options` brought is reported where they are written
    (`origins[("options", rule id)]`: "file:line"), not in the rule's own file."""
    rules: list[Rule] = []
    ctx = CompileContext(toolkit, None, None)  # type: ignore[arg-type]
    left_out = []
    for rule_id, (spec, path) in specs.items():
        own = spec
        overridden = isinstance(options.get(rule_id), dict)  # any other kind is reported (_extension_problems)
        if overridden:
            spec = _override(spec, options[rule_id])
        if spec.get("enabled") is False or not _selected(rule_id, spec.get("category"), select, ignore):
            left_out.append((rule_id, spec, path))
            continue
        before = len(ctx.errors)
        rule = _compile_one(rule_id, spec, path, ctx, lexicons)
        if overridden and len(ctx.errors) > before:
            _blame_options(ctx.errors, before, rule_id, own, path, (origins or {}).get(("options", rule_id), "config"),
                           lexicons)
        if rule is not None:
            rules.append(rule)
    if rules and left_out:
        _learn_words_of(left_out, toolkit, lexicons.search_dirs)
    return rules, ctx


def _blame_options(errors: list[RuleError], start: int, rule_id: str, own_spec: dict, path: Path, origin: str,
                   lexicons: "_Lexicons") -> None:
    """errors[start:] are a rule's mistakes with the configuration's options over its fields; those its own fields
    do not make (compiled aside, alone) are the options' and move to where they are written: a threshold of -5
    given in qa-linter.yaml is a mistake there, not in the built-in rules/slow-response.yaml."""
    aside = CompileContext(Toolkit(), None, None)  # type: ignore[arg-type]
    _compile_one(rule_id, own_spec, path, aside, _Lexicons(lexicons.search_dirs))
    its_own = {error.reason for error in aside.errors}
    for n in range(start, len(errors)):
        error = errors[n]
        if error.reason not in its_own:
            errors[n] = RuleError(origin, None, f"options: {error.reason}", error.rule_id)


def _learn_words_of(specs, toolkit: Toolkit, search_dirs: list[Path]) -> None:
    """Teach the segmenter the words of rules that are not run (--select, --ignore, enabled: false).

    A rule's terms enter jieba's dictionary so they are never cut apart (回滚 keeps 滚 from being a word of its own):
    left out, a selected rule would see other words (--select banned-phrase would find 滚 in 回滚). They are compiled
    aside, into a toolkit of their own whose mistakes nobody reports (they are not run), for their words only.
    """
    aside = Toolkit()
    aside_lexicons = _Lexicons(search_dirs)
    ctx = CompileContext(aside, None, None)  # type: ignore[arg-type]
    for rule_id, spec, path in specs:
        _compile_one(rule_id, spec, path, ctx, aside_lexicons)
    toolkit.add_words(aside.user_words)
    toolkit.add_words(aside.token_words, pattern_tokens=True)


def _compile_one(rule_id: str, spec: dict, path: Path, ctx: CompileContext, lexicons: "_Lexicons") -> Rule | None:
    """One rule compiled in `ctx`, its lexicons looked up beside its file first."""
    ctx.path, ctx.rule_id = str(path), rule_id
    ctx.lexicon_lookup = lambda name, d=path.parent: lexicons.find(name, d, ctx.errors)
    ctx.lexicon_names = lambda d=path.parent: lexicons.names(d)
    return compile_rule(spec, ctx)


def _in_file_order(errors: list[RuleError], places: list[Path]) -> list[RuleError]:
    """Each mistake once (an unreadable lexicon is named once), file by file in the order the files were given
    (lexicons and config after), top to bottom in each."""
    errors = list({e.describe(): e for e in errors}.values())
    order: dict[str, int] = {}
    for place in map(str, places):
        order.setdefault(place, len(order))
    return sorted(errors, key=lambda e: (order.get(e.path or "", len(order)), e.path or "", e.line or 0))


def _digest(paths: Iterable[Path]) -> str:
    """What the rule pack's fingerprint says: the files' names and bytes, rule files and lexicons alike."""
    digest = hashlib.sha256()
    for p in sorted(set(paths)):
        digest.update(str(p.name).encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()[:12]


def _collect(path: Path, specs: dict, errors: list[RuleError], meta: dict, is_builtin: bool) -> None:
    data = load_yaml(path)
    if data is None:
        return
    if isinstance(data, dict):
        unknown = set(data) - {"rules", "pack"}
        for key in unknown:
            errors.append(RuleError(str(path), line_of(data, key), f"unknown top-level field {key!r}; use rules: (and pack:)"))
        if is_builtin and isinstance(data.get("pack"), dict):
            meta.update({k: data["pack"][k] for k in ("name", "version") if k in data["pack"]})
        items = data.get("rules") or []
    else:
        items = data
    if not isinstance(items, list):
        errors.append(RuleError(str(path), line_of(data), "rules must be a list of rule mappings"))
        return
    in_file: set[str] = set()
    item_lines = getattr(items, "item_lines", [])
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            line = item_lines[position] if position < len(item_lines) else None
            errors.append(RuleError(str(path), line, f"a rule must be a mapping (id: …, type: …), not {kind_of(item)}"))
            continue
        if item.get("id") in (None, ""):
            errors.append(RuleError(str(path), line_of(item), "missing required field 'id'; give every rule a unique id"))
            continue
        rule_id = str(item["id"])
        if not RULE_ID.match(rule_id):
            errors.append(RuleError(str(path), line_of(item), f"rule id {rule_id!r} must be lower-case letters, digits, - . _"))
            continue
        if rule_id in in_file:
            errors.append(RuleError(str(path), line_of(item), f"duplicate rule id {rule_id!r} in this file", rule_id))
            continue
        in_file.add(rule_id)
        specs.pop(rule_id, None)  # a later pack's rule with the same id replaces the earlier one
        specs[rule_id] = (item, path)


def _override(spec: dict, override: dict) -> dict:
    """The rule's fields with the configuration's `options` over them: a field replaces the rule's, and a field
    written `NAME+` extends it (a list or a single name gets the items appended, a mapping the keys added), so a
    team adds its trade's term list to the built-in jargon rule without repeating the lists it already has. Inside
    a mapping being extended, `NAME+` extends that key in turn (`trigger+: {lexicon+: [shop-complaints]}` adds a
    cue list to empathy-missing's trigger and keeps its own)."""
    merged = LineDict(spec)
    merged.line, merged.key_lines = getattr(spec, "line", None), getattr(spec, "key_lines", {})
    for key, value in override.items():
        if isinstance(key, str) and key.endswith("+"):
            field = key[:-1]
            extended, problems = _extended(merged.get(field), value, field)
            if not problems:
                merged[field] = extended
        else:
            merged[key] = value
    return merged


def _extended(base, more, field: str) -> "tuple[Any, list[str]]":
    """`base` extended by `more` (lists and single names alike, or two mappings, whose `NAME+` keys extend in
    turn), and what does not fit, as messages naming the field (`trigger.lexicon`): a different kind, or nothing
    to add (`lexicon+:` with nothing after it is a slip, not a request to change nothing)."""
    if more is None or more == [] or more == {}:
        return None, [f"{field}+ gives nothing to add to {field!r}"]
    if base is None:
        return _plain_keys(more), []
    if isinstance(base, dict) and isinstance(more, dict):
        merged, problems = dict(base), []
        for key, value in more.items():
            if isinstance(key, str) and key.endswith("+"):
                inner, found = _extended(base.get(key[:-1]), value, f"{field}.{key[:-1]}")
                problems += found
                merged[key[:-1]] = inner
            else:
                merged[key] = value
        return merged, problems
    if isinstance(base, dict) or isinstance(more, dict):
        kind = {True: "mapping", False: "list"}
        return None, [f"{field}+ extends the field {field!r}, a {kind[isinstance(base, dict)]}, with a "
                      f"{kind[isinstance(more, dict)]}; give the same kind, or {field!r} to replace it"]
    base = list(base) if isinstance(base, list) else [base]
    return base + [item for item in (more if isinstance(more, list) else [more]) if item not in base], []


def _plain_keys(value):
    """A mapping added where the rule had none, its `NAME+` keys read as plain ones (nothing to extend there)."""
    if not isinstance(value, dict):
        return value
    return {(key[:-1] if isinstance(key, str) and key.endswith("+") else key): _plain_keys(item)
            for key, item in value.items()}


def _extension_problems(rule_id: str, spec: dict, override) -> list[str]:
    if not isinstance(override, dict):
        return [f"options for {rule_id} must be a mapping of the rule's fields, e.g. {rule_id}: {{severity: info}}, "
                f"not {kind_of(override)}"]
    problems = []
    for key, value in override.items():
        if isinstance(key, str) and key.endswith("+"):
            problems += [f"options for {rule_id}: {problem}" for problem in _extended(spec.get(key[:-1]), value, key[:-1])[1]]
    return problems


def _matches(pattern: str, rule_id: str, category: str | None) -> bool:
    pattern = pattern.strip()
    return pattern in ("ALL", "all") or rule_id == pattern or category == pattern or (
        pattern.endswith("*") and rule_id.startswith(pattern[:-1])
    )


def _selected(rule_id: str, category: str | None, select: Iterable[str], ignore: Iterable[str]) -> bool:
    select, ignore = list(select), list(ignore)
    if select and not any(_matches(p, rule_id, category) for p in select):
        return False
    return not any(_matches(p, rule_id, category) for p in ignore)


def _selection_errors(specs: dict, settings: dict[str, list[str]], origins: dict) -> list[RuleError]:
    """Every select/ignore/severity entry that matches no rule id, category or id prefix of the pack (enabled or
    not), with the closest names."""
    ids = set(specs)
    categories = {str(spec.get("category")) for spec, _ in specs.values() if spec.get("category")}
    errors = []
    for setting, patterns in settings.items():
        for pattern in patterns:
            pattern = str(pattern).strip()
            if pattern in ("ALL", "all") or pattern in ids or pattern in categories:
                continue
            if pattern.endswith("*") and any(rule_id.startswith(pattern[:-1]) for rule_id in ids):
                continue
            kind = "the prefix of no rule id" if pattern.endswith("*") else "no rule id or category"
            hint = _did_you_mean(pattern.rstrip("*"), sorted(ids | categories))
            if not hint and any(rule_id.startswith(pattern) for rule_id in ids):
                hint = f"; did you mean {pattern + '*'!r} (the rule ids starting with it)?"
            errors.append(RuleError(origins.get((setting, pattern), setting), None,
                                    f"{pattern!r} is {kind} of the rule pack{hint}"
                                    + ("" if hint else " (`qa-lint rules list` shows them)")))
    return errors


def _rule_meant(name: str, specs: dict) -> str:
    """The hint for an `options` key that is no rule id: a category names several rules, and options change one
    (slang: the rule slang-internet); else the closest ids."""
    of_category = [rule_id for rule_id, (spec, _) in specs.items() if spec.get("category") == name]
    if of_category:
        return f"; {name!r} is a category: options name a rule of it ({', '.join(of_category)})"
    return _did_you_mean(name, specs)


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _apply_severity(rules: list[Rule], overrides: dict[str, str], origins: dict | None = None) -> list[RuleError]:
    errors = []
    for key, value in overrides.items():
        try:
            level = Severity.parse(value)
        except ValueError as exc:
            errors.append(RuleError((origins or {}).get(("severity", key), "config"), None, f"severity for {key!r}: {exc}"))
            continue
        for rule in rules:
            if _matches(key, rule.id, rule.category):
                rule.severity = level
    return errors


def _apply_allowlist(rules: list[Rule], allowlist: Iterable[str]) -> None:
    """The config's `allowlist` (company hotlines, support mailboxes) is never personal data: each rule that finds
    personal data takes it (Rule.allow_values)."""
    values = [str(v).strip() for v in allowlist if str(v).strip()]
    if values:
        for rule in rules:
            rule.allow_values(values)

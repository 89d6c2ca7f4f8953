"""One run of qa-linter, assembled once from the merged configuration.

A command (or the service) says what it adds to the configuration file (`RunOptions`: the command-line options);
`Run` reads the file once and builds from both, each part on first use: the rules (`linter`), the scoring model,
the PII maskers, what the readers need, the results store, the outputs of a scan, how many processes scan, the
fail-on level. So `qa-lint convert` never loads rules and `check` never reads the scoring model, and every
command and the service put the parts together the same way.

A mistake in the configuration or the files it names is a QALinterError with a message for the user (the command
line turns it into exit code 2), raised when the part is first asked for.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from . import __version__
from .config import KEYS, Config, configured_store, load_config
from .errors import ConfigError, QALinterError
from .vocabulary import DEFAULT_FAIL_ON, FAIL_ON, INPUT_FORMATS, input_format_name

if TYPE_CHECKING:  # pragma: no cover
    from .batch import ScanSummary
    from .engine import Linter
    from .masking import Masker
    from .readers.options import ReaderOptions
    from .scoring import ScoringModel
    from .store import ResultStore


@dataclass(frozen=True)
class RunOptions:
    """What a command line (or the service's settings) says on top of the configuration file; None: not said.

    Plain values only, so the options travel to worker processes, which build an equal Run from them."""

    config_path: str | None = None
    rules: tuple[str, ...] = ()
    no_builtin: bool = False
    select: tuple[str, ...] = ()  # entries may be comma-separated, as typed on the command line
    ignore: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()  # RULE_OR_CATEGORY=error|warning|info
    fail_on: str | None = None
    input_format: str | None = None
    encoding: str | None = None
    scorecard: str | None = None
    store: str | None = None
    no_store: bool = False
    mask: bool = True  # False: --no-mask, PII shown in HTML pages
    jobs: int | None = None
    no_suppress: bool = False  # --no-suppress: the suppressions file is not applied
    partial: str | None = None  # --partial start|end|both: the cut ends of conversations whose meta.partial is silent


class OutputError(QALinterError):
    """An output (a file, the HTML folder, the results store) could not be written."""


class Run:
    """The parts of a run, built on first use from the configuration and the options (see the module docstring)."""

    def __init__(self, options: RunOptions | None = None, config: Config | None = None, warn=None):
        self.options = options or RunOptions()
        self._config = config
        # Where a warning about the settings goes (a deprecated spelling): the command line's stderr, else Python's
        # warnings.
        self._warn = warn

    def settle(self, *parts: str) -> None:
        """Build these parts now, in this order: a command checks its settings before it reads or writes anything."""
        for part in parts:
            getattr(self, part)

    # -- the configuration ----------------------------------------------------------------------------------------
    @cached_property
    def config(self) -> Config:
        """The configuration file (--config, else the nearest qa-linter.yaml / pyproject.toml), read once."""
        if self._config is not None:
            return self._config
        path = self.options.config_path
        return load_config(Path(path) if path else None)

    @cached_property
    def fail_on(self) -> str:
        """--fail-on, else the `fail_on` setting, else error."""
        value = self.options.fail_on or self.config.get("fail_on", DEFAULT_FAIL_ON)
        if value not in FAIL_ON:
            raise ConfigError(f"{self.config.where('fail_on')}: fail_on {value!r} must be one of {', '.join(FAIL_ON)}")
        return value

    @cached_property
    def jobs(self) -> int:
        """--jobs, else the `jobs` setting, else one process per CPU core (see docs/performance.md)."""
        from .batch import default_jobs

        value = self.options.jobs if self.options.jobs is not None else self.config.get("jobs")
        if value is None:
            return default_jobs()
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            where = "--jobs" if self.options.jobs is not None else self.config.where("jobs")
            raise ConfigError(f"{where}: jobs {value!r} must be a whole number of at least 1")
        return value

    # -- the rules ------------------------------------------------------------------------------------------------
    @cached_property
    def linter(self) -> "Linter":
        """The rule pack, shaped by the configuration and the options (RuleLoadError lists every mistake)."""
        from .engine import Linter

        options = self.options
        return Linter.from_config(
            self.config,
            rules=options.rules,
            builtin=False if options.no_builtin else None,
            select=split_entries(options.select),
            ignore=split_entries(options.ignore),
            severity=severity_overrides(options.severity),
            partial=options.partial,
            argument_origin="--{}",
        )

    # -- scoring and masking --------------------------------------------------------------------------------------
    @cached_property
    def scoring(self) -> "ScoringModel":
        """The scoring model (--scorecard, else the `scorecard` setting, else the bundled one) for the rules that run."""
        from .scoring import scoring_model_from_config

        return scoring_model_from_config(self.config, self.options.scorecard).limited_to(self.linter.rules)

    def unmapped_categories(self) -> list[str]:
        """Categories of the loaded rules that no scorecard section holds: their findings do not change a score."""
        return self.scoring.unmapped_categories(r.category for r in self.linter.rules)

    @cached_property
    def masker(self) -> "Masker":
        """The PII masker of the pages and (with --mask-pii) the data outputs; --no-mask turns it off."""
        from .masking import Masker

        return Masker.from_config(self.config, enabled=self.options.mask)

    @cached_property
    def store_masker(self) -> "Masker":
        """The store is long-lived and shared: its excerpts are always masked, whatever --no-mask says."""
        from .masking import Masker

        return Masker.from_config(self.config)

    # -- inputs ---------------------------------------------------------------------------------------------------
    @cached_property
    def input_format(self) -> str | None:
        where = "--input-format" if self.options.input_format else self.config.where("input_format")
        value = self.options.input_format or self.config.get("input_format")
        if value is None:
            return None
        value, deprecated = input_format_name(value)
        if deprecated:
            self.warn(f"{where}: {deprecated}")
        if value not in INPUT_FORMATS:
            close = difflib.get_close_matches(value, INPUT_FORMATS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{where}: input_format {value!r} must be one of {', '.join(INPUT_FORMATS)}{hint}")
        return value

    def warn(self, message: str) -> None:
        if self._warn is not None:
            self._warn(message)
        else:
            import warnings

            warnings.warn(message, DeprecationWarning, stacklevel=3)

    @cached_property
    def reader_options(self) -> "ReaderOptions":
        """What the readers need: encoding, CSV columns, chat-log speakers, support addresses."""
        from .readers.options import ReaderOptions

        self.input_format  # a wrong input format is reported before the reader settings
        try:
            return ReaderOptions.from_config(self.config, self.options.encoding)
        except ConfigError as exc:
            raise ConfigError(f"{self._where_said(str(exc))}: {exc}") from None

    def _where_said(self, message: str) -> str:
        """Where the setting a reader's message starts with ("csv_columns.roles: …") was written."""
        key = re.match(r"[a-z_]*", message).group()
        if key == "encoding" and self.options.encoding:
            return "--encoding"
        return self.config.where(key) if key in KEYS and self.config.get(key) is not None else "configuration"

    def read(self, paths: Iterable[str], progress=None, defer_json_lines: bool = False, on_empty=None) -> Iterator:
        """Conversations and input problems of the files, folders and stdin ("-") given; `on_empty(where, why)`
        hears of each input that held nothing (readers.read_paths)."""
        from .readers import read_paths

        options = self.reader_options
        return read_paths(list(paths), self.input_format, options=options, progress=progress,
                          defer_json_lines=defer_json_lines, on_empty=on_empty)

    # -- scanning -------------------------------------------------------------------------------------------------
    @cached_property
    def suppressions(self):
        """The filter of the suppressions file (review/suppressions.py: findings reviewers judged wrong), or None
        when there is none or --no-suppress; a broken file is a SuppressionError with every mistake."""
        if self.options.no_suppress:
            return None
        from .review.suppressions import load_for_scan

        loaded = load_for_scan(self.config)
        return loaded.filter if loaded is not None else None

    def scan(self, items: Iterable, summary: "ScanSummary", keep_conversations: bool = True) -> Iterator:
        """(conversation, findings) for every conversation of `items`, in order, over `jobs` processes; workers that
        cannot fork build the same rules from these options."""
        from .batch import scan_items

        return scan_items(self.linter, items, summary, jobs=self.jobs, linter_factory=partial(linter_for, self.options),
                          keep_conversations=keep_conversations, suppress=self.suppressions)

    def sinks(self, writer, *, mask_pii: bool = False, guard_writer: bool = False, html_dir: str | None = None) -> list:
        """Every output of a scan, each fed the same (conversation, findings, extra) stream: `writer` (masked with
        `mask_pii`), the HTML scorecards (`html_dir`) and the results store (--store or the `store` setting).
        A write problem of a guarded output is an OutputError (`guard_writer`: the writer writes to a file)."""
        if mask_pii:
            from .outputs.pii import MaskPiiSink

            writer = MaskPiiSink(writer, self.masker)
        sinks = [GuardedSink(writer) if guard_writer else writer]
        if html_dir:
            from .outputs.html_scorecard import HtmlScorecardWriter

            try:
                sinks.append(GuardedSink(HtmlScorecardWriter(Path(html_dir), self.scoring, self.masker)))
            except OSError as exc:
                raise OutputError(f"--html {html_dir}: cannot create the folder: {exc.strerror or exc}") from None
        if self.store_location:
            from .store.sink import StoreWriter

            sinks.append(GuardedSink(StoreWriter(self.open_store(), self.linter.pack.fingerprint, self.scoring)))
        return sinks

    def feed(self, sinks: list, items: Iterable, summary: "ScanSummary") -> None:
        """Scan `items` into `sinks`. `extra` carries per-conversation figures computed once (the score), so all
        outputs report the same numbers; outputs that need only the findings (JSON Lines) get no conversations
        back from the workers."""
        from .scoring import ScoreFigures

        keep = any(getattr(sink, "needs_conversation", True) for sink in sinks)
        for conv, findings in self.scan(items, summary, keep):
            extra = ScoreFigures(self.scoring, conv, findings)
            for sink in sinks:
                sink.conversation(conv, findings, extra)

    def close(self, sinks: list, summary: "ScanSummary") -> None:
        """The summary made final and every output closed with it."""
        summary.finish(self.linter)
        header = {"tool": "qa-linter", "version": __version__, "rule_pack": self.linter.pack.fingerprint,
                  "scorecard": self.scoring.fingerprint}
        for sink in sinks:
            sink.close(summary.to_dict(), header)

    # -- the results store ----------------------------------------------------------------------------------------
    @cached_property
    def store_location(self) -> str | None:
        """--store, else the `store` setting; None with --no-store or neither."""
        return None if self.options.no_store else configured_store(self.options.store, self.config)

    def open_store(self, create: bool = True) -> "ResultStore":
        from .store import open_store

        return open_store(self.store_location, masker=self.store_masker, create=create)


class GuardedSink:
    """A sink whose file or store problems are OutputErrors (one line, exit code 2), not tracebacks."""

    def __init__(self, sink):
        self.sink = sink
        self.needs_conversation = getattr(sink, "needs_conversation", True)

    def conversation(self, *args: Any) -> None:
        try:
            self.sink.conversation(*args)
        except (QALinterError, OSError) as exc:
            raise OutputError(str(exc)) from None

    def close(self, *args: Any) -> None:
        try:
            self.sink.close(*args)
        except (QALinterError, OSError) as exc:
            raise OutputError(str(exc)) from None


def linter_for(options: RunOptions) -> "Linter":
    """The rules of a run with these options: what a worker process that cannot fork builds for itself."""
    return Run(options).linter


def severity_overrides(items: Iterable[str]) -> dict[str, str]:
    """RULE_OR_CATEGORY=level items (--severity) as a mapping."""
    overrides = {}
    for item in items:
        key, sep, level = item.partition("=")
        if not sep:
            raise ConfigError(f"--severity {item!r}: use RULE_OR_CATEGORY=error|warning|info")
        overrides[key.strip()] = level.strip()
    return overrides


def split_entries(values: Iterable[str]) -> list[str]:
    """Entries of repeatable options, each of which may be comma-separated as typed (--select a,b --select c)."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]

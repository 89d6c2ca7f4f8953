"""The rule pack, the scoring model and the reader options as they travel to Spark's Python workers.

The driver loads the pack first (every rule mistake is reported there, with file:line, before a session
starts), then packs the files the pack was loaded from (the user's rule files and lexicons, and the
scorecard) with the arguments it was loaded with into a PackBundle. The bundle is a small picklable value
that travels inside the mapped function (Spark broadcasts a pickled function larger than 1 MB by itself).
Each Python worker process writes the files into a temporary folder, under the paths they had on the
driver, loads the pack from there once, and keeps it for every later batch and task: Spark reuses its Python
workers (`spark.python.worker.reuse`, on by default), and the mapped functions live in this importable
package, so they are not pickled by value with a fresh copy of the cache.

The built-in pack is not shipped: executors load the one of their installed qa-linter. A digest over the
names and contents of every rule and lexicon file, and the qa-linter version, must equal the driver's, so
an executor with another version of the package fails the job with a message instead of scanning with
other rules.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from .. import __version__
from ..engine import Linter
from ..errors import QALinterError, RuleLoadError
from ..loader import RulePack, load_rule_pack, rule_files
from ..scoring import ScoringModel, load_scoring_model


class PackMismatch(QALinterError):
    """An executor could not rebuild the driver's rule pack (another qa-linter version, a lost file)."""


@dataclass(frozen=True)
class PackBundle:
    files: tuple[tuple[str, bytes], ...]  # absolute driver path -> content
    arguments: dict[str, Any]  # load_rule_pack's, with absolute driver paths
    scorecard: str  # absolute driver path of the scoring model (one of `files`)
    reader_options: Any  # readers.options.ReaderOptions (the flat-table reader needs roles, times, zone)
    content: str  # pack_content(pack) on the driver
    # The suppressions file's filter (review/suppressions.py: findings reviewers judged wrong), or None.
    suppress: Any = None
    # When set (a StoreStamp), every conversation's results-table row is computed too (store/parquet.py).
    store: Any = None
    version: str = __version__
    key: str = field(default="", compare=False)

    # -- on the driver ------------------------------------------------------------------------------------------
    @classmethod
    def of(cls, linter: Linter, scoring: ScoringModel, reader_options=None, suppress=None, store=None) -> "PackBundle":
        from ..readers.options import ReaderOptions

        pack = linter.pack
        arguments = dict(pack.arguments)
        arguments["paths"] = [os.path.abspath(p) for p in arguments.get("paths", [])]
        arguments["lexicon_dirs"] = [os.path.abspath(d) for d in arguments.get("lexicon_dirs", [])]
        files: dict[str, bytes] = {}
        rule_sources = [Path(p) for p in arguments["paths"]]
        for source in rule_sources:
            for path in rule_files(source):
                files[os.path.abspath(path)] = path.read_bytes()
        # A lexicon is shipped at every place where a rule's look-up can find it (beside a rule file, in a
        # lexicons/ folder next to it or above, in a configured folder), so the executor finds the same file.
        used = {Path(p).resolve() for p in pack.lexicon_files}
        places = [d for f in list(files) for d in (Path(f).parent, Path(f).parent / "lexicons", Path(f).parent.parent / "lexicons")]
        places += [Path(d) for d in arguments["lexicon_dirs"]]
        for folder in places:
            if folder.is_dir():
                for path in folder.glob("*.txt"):
                    if path.resolve() in used:
                        files[os.path.abspath(path)] = path.read_bytes()
        scorecard = os.path.abspath(scoring.source) if scoring.source else ""
        if scorecard:
            files[scorecard] = Path(scorecard).read_bytes()
        bundle = cls(tuple(sorted(files.items())), arguments, scorecard, reader_options or ReaderOptions(), pack_content(pack),
                     suppress, store)
        key = hashlib.sha256(pickle.dumps((bundle.files, sorted(arguments.items(), key=str), scorecard, bundle.content,
                                           __version__))).hexdigest()[:16]
        object.__setattr__(bundle, "key", key)
        return bundle

    # -- in a worker ----------------------------------------------------------------------------------------
    def load(self) -> tuple[Linter, ScoringModel]:
        """The Linter and scoring model, built from the shipped files in a temporary folder (removed after)."""
        if self.version != __version__:
            raise PackMismatch(f"the driver runs qa-linter {self.version}, this executor {__version__}; "
                               "install the same version (the same wheel) on the driver and the executors")
        root = Path(tempfile.mkdtemp(prefix="qa-lint-pack-"))
        try:
            for name, data in self.files:
                target = _under(root, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            arguments = dict(self.arguments)
            arguments["paths"] = [_under(root, p) for p in arguments["paths"]]
            arguments["lexicon_dirs"] = [_under(root, d) for d in arguments["lexicon_dirs"]]
            try:
                pack = load_rule_pack(**arguments)
            except RuleLoadError as exc:
                raise PackMismatch(f"the rule pack did not load on this executor as on the driver: {exc}") from None
            if pack_content(pack) != self.content:
                raise PackMismatch("the rule pack on this executor differs from the driver's (another built-in pack: "
                                   "install the same qa-linter wheel on the driver and the executors)")
            linter = Linter(pack)
            linter.warm_up()
            scoring = load_scoring_model(_under(root, self.scorecard) if self.scorecard else None)
            return linter, scoring.limited_to(linter.rules)
        finally:
            shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class StoreStamp:
    """What a results-table row takes from the driver: the store's masker (excerpts are always masked) and the
    scan's rule pack, scoring model and time, one value for the whole job as in a local `scan --store`."""

    masker: Any
    rule_pack: str
    scoring_model: str
    scanned_at: Any  # datetime, UTC

    @classmethod
    def now(cls, linter: Linter, scoring: ScoringModel, masker) -> "StoreStamp":
        from datetime import datetime, timezone

        return cls(masker, linter.pack.fingerprint, scoring.fingerprint, datetime.now(timezone.utc).replace(microsecond=0))


def _under(root: Path, absolute: str) -> Path:
    path = PurePath(absolute)
    return root.joinpath(*path.parts[1:]) if path.anchor else root / path


def pack_content(pack: RulePack) -> str:
    """A digest of every rule and lexicon file by name and content, wherever the files are."""
    digest = hashlib.sha256()
    entries = sorted((Path(p).name, hashlib.sha256(Path(p).read_bytes()).hexdigest()) for p in {*pack.files, *pack.lexicon_files})
    for name, content in entries:
        digest.update(f"{name}\0{content}\n".encode())
    return digest.hexdigest()[:16]


# -- the per-worker cache -----------------------------------------------------------------------------------------
_LOADED: dict[str, tuple[Linter, ScoringModel]] = {}
LOADS: dict[str, int] = {}  # bundle key -> times this process loaded it (1: once per worker, as intended)


def loaded(bundle: PackBundle) -> tuple[Linter, ScoringModel]:
    hit = _LOADED.get(bundle.key)
    if hit is None:
        hit = _LOADED[bundle.key] = bundle.load()
        LOADS[bundle.key] = LOADS.get(bundle.key, 0) + 1
    return hit

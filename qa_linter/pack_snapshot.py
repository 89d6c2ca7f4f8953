"""The compiled rule pack kept in the cache folder, so that the next process with the same inputs loads it whole.

Building the built-in pack (its YAML and lexicons read, every matcher, condition and pattern compiled, the audience
weights read in) costs each process about 0.2 s: most of a cold `qa-lint check`'s own work, and part of the serial
start of every scan. Unpickling the pack built from the same inputs takes about a third of that.

A snapshot is used only when everything it was built from is unchanged:
- the arguments of `load_rule_pack` (rule paths, options, select, ignore, severities, the whole configuration),
  relative paths as the folders they name from the current one;
- the code: every module of qa_linter (name, size, modification time) and the files of the packages its objects
  come from, and the Python version;
- the bytes of every rule file and lexicon the pack read (SHA-1);
- the listings that decided which files those were: the names in each folder a lexicon was looked for in and in
  each folder of a rule folder (a YAML file or lexicon added, removed or renamed), or that the folder is missing.

Only a pack that loaded without a mistake is kept, and only the second time the same inputs are built (a one-off
pack, such as a test's temporary rules, leaves just a small marker). Anything that does not check out, or fails to
read, is built again; the folder is trusted as the user's own files are (docs/security.md, "The cache folder").
"""
from __future__ import annotations

import copyreg
import enum
import functools
import hashlib
import importlib.util
import io
import json
import os
import pickle
import re
import sys
from pathlib import Path
from typing import Any, Iterable

import regex

from .text.tokenize import cache_file, owned, write_cache_file

_FORMAT = b"qa-linter pack snapshot 1\n"
_KEPT = 8  # snapshots kept in the folder, the most recently used (several configurations in turn)
_MARKERS_KEPT = 64
_MAX_BYTES = 32 << 20  # a pack of huge lexicons is built each time rather than filling the cache folder
# The libraries whose objects a compiled pack holds (patterns, automata, lexicon data): their files are part of
# the code a snapshot was made by.
_LIBRARIES = ("regex", "jieba", "ahocorasick", "ahocorasick_rs", "yaml", "emoji", "numpy")


class PackSnapshot:
    """The snapshot of the pack that `load_rule_pack(**arguments)` builds in this folder with this code."""

    def __init__(self, arguments: dict[str, Any], origins: dict | None) -> None:
        # Relative rule and lexicon paths as the folders they name here, not the current folder as such: a
        # command run from another folder with the same absolute paths uses the same snapshot.
        where = {key: [os.path.abspath(p) for p in arguments.get(key) or ()] for key in ("paths", "lexicon_dirs")}
        material = json.dumps(
            _canonical([_FORMAT.decode(), arguments, where, origins or {}, code_identity()]),
            ensure_ascii=False, default=repr,
        )
        self.key = hashlib.sha1(material.encode("utf-8")).hexdigest()
        self.name = f"pack-{self.key[:24]}.pickle"

    def load(self) -> Any:
        """The kept pack (a loader.RulePack, as the loader checks), or None when there is none or anything it was
        built from has changed."""
        path = cache_file(self.name)
        if path is None or not owned(path):  # unpickling runs code: only a file no one else could write
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not data.startswith(_FORMAT):
            return None
        try:
            header_end = data.index(b"\n", len(_FORMAT))
            header = json.loads(data[len(_FORMAT):header_end])
            payload = memoryview(data)[header_end + 1:]
            if (header.get("key") != self.key or hashlib.sha1(payload).hexdigest() != header.get("payload")
                    or not _unchanged(header.get("folders"), header.get("files"))):
                return None
            return _Unpickler(io.BytesIO(payload)).load()
        except Exception:  # noqa: BLE001 - a damaged or foreign snapshot is built again, never a failure
            return None

    def save(self, pack: Any, folders: Iterable[Path]) -> None:
        """Keep `pack`, just built and not used yet, if these inputs were built once before; else note them."""
        marker = f"pack-{self.key[:24]}.seen"
        if cache_file(marker) is None:
            write_cache_file(marker, b"", kept=("pack-*.seen", _MARKERS_KEPT))
            return
        pack.toolkit.term_index.scan("预热")  # the per-message automaton, kept built (text/matching.py, TermIndex)
        try:
            out = io.BytesIO()
            _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(pack)
            payload = out.getvalue()
        except Exception:  # noqa: BLE001 - a rule type holding something that cannot be pickled: built each time
            return
        if len(payload) > _MAX_BYTES:
            return
        try:
            files = [[name, _sha1_of(Path(name))] for name in sorted({*pack.files, *pack.lexicon_files})]
        except OSError:
            return
        header = {"key": self.key, "payload": hashlib.sha1(payload).hexdigest(),
                  "folders": [[str(p), _listing(p)] for p in sorted(set(folders))], "files": files}
        encoded = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        write_cache_file(self.name, _FORMAT + encoded + b"\n" + payload, kept=("pack-*.pickle", _KEPT))


class _Pickler(pickle.Pickler):
    """Objects of qa_linter's own classes are rebuilt attribute by attribute, as their constructors made them, and
    the constants its modules hold are kept by name (`persistent_id`).

    pickle's default rebuilding fills an object's `__dict__` itself. In CPython 3.11 that gives the object a dict
    of its own instead of the values kept inline that objects made by their constructors have, and the
    interpreter's fast path for reading an attribute then no longer applies to it: the scan of the dev set's first
    1,500 conversations took 3.9% more instructions with a pack so rebuilt (valgrind). Set one by one on the new
    object (pickle's `state_setter`), the attributes are kept inline again."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared = _module_objects()

    def persistent_id(self, obj):
        # An object a module of qa_linter holds (the PII patterns the masker and the pii rules share, compiled
        # patterns): kept by its name, so the pack holds that very object again, not a copy compiled anew.
        found = self._shared.get(id(obj))
        return found[0] if found is not None and found[1] is obj else None

    def reducer_override(self, obj):
        cls = type(obj)
        if not _rebuilt_by_attributes(cls):
            return NotImplemented
        getstate = getattr(obj, "__getstate__", None)
        state = getstate() if getstate is not None else obj.__dict__
        if not isinstance(state, dict):
            return NotImplemented
        return copyreg.__newobj__, (cls,), state, None, None, getattr(cls, "__setstate__", _set_attributes)


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        module, *names = pid
        if module.split(".")[0] != "qa_linter":
            raise pickle.UnpicklingError(f"not a module of qa_linter: {module}")
        found = importlib.import_module(module)
        for name in names:
            found = getattr(found, name)
        return found


def _module_objects() -> dict[int, tuple[tuple[str, ...], Any]]:
    """id -> ((module, name[, attribute]), object) for the constants qa_linter's modules hold at their top level:
    compiled patterns and frozen dataclasses with their compiled patterns (the PII patterns). Not a name that may
    be bound again later (a cache made on first use), which the pack would then find different or missing."""
    found: dict[int, tuple[tuple[str, ...], Any]] = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name.split(".")[0] != "qa_linter":
            continue
        for name, value in list(vars(module).items()):
            if isinstance(value, _PATTERNS):
                found.setdefault(id(value), ((module_name, name), value))
            elif _frozen_dataclass(value):
                found.setdefault(id(value), ((module_name, name), value))
                for attribute, inner in vars(value).items():
                    if isinstance(inner, _PATTERNS):
                        found.setdefault(id(inner), ((module_name, name, attribute), inner))
    return found


_PATTERNS = (type(re.compile("")), type(regex.compile("")))


def _frozen_dataclass(value: Any) -> bool:
    params = getattr(type(value), "__dataclass_params__", None)
    return params is not None and params.frozen and not isinstance(value, type)


@functools.lru_cache(maxsize=None)
def _rebuilt_by_attributes(cls: type) -> bool:
    """A plain class of qa_linter's: instances with a `__dict__`, made by object.__new__, pickled by default."""
    return (cls.__module__.split(".")[0] == "qa_linter" and cls.__new__ is object.__new__
            and cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
            and not hasattr(cls, "__getnewargs__") and not hasattr(cls, "__getnewargs_ex__")
            and "__slots__" not in cls.__dict__ and all("__slots__" not in base.__dict__ for base in cls.__mro__[1:-1])
            and not issubclass(cls, (BaseException, enum.Enum)))


def _set_attributes(obj: Any, state: dict) -> None:
    for name, value in state.items():
        object.__setattr__(obj, name, value)  # also for a frozen dataclass, as its constructor does


def watched_folders(sources: Iterable[Path], rule_files: Iterable[Path], search_dirs: Iterable[Path]) -> set[Path]:
    """The folders whose listings decided which rule files and lexicons a pack read: every folder of a rule folder,
    and each folder a lexicon was looked for in (loader._Lexicons.find), whether or not it exists."""
    folders: set[Path] = set()
    for source in sources:
        if source.is_dir():
            folders.update(Path(root) for root, _, _ in os.walk(source))
    looked_in = list(search_dirs)
    for rule_dir in {Path(f).parent for f in rule_files}:
        looked_in += [rule_dir, rule_dir / "lexicons", rule_dir.parent / "lexicons"]
    folders.update(looked_in)
    return folders


def _unchanged(folders, files) -> bool:
    if not isinstance(folders, list) or not isinstance(files, list):
        return False
    try:
        return (all(_listing(Path(name)) == listed for name, listed in folders)
                and all(_sha1_of(Path(name)) == digest for name, digest in files))
    except (OSError, TypeError, ValueError):
        return False


def _listing(folder: Path) -> "str | None":
    """The SHA-1 of the folder's names, or None when there is no such folder. (Its modification time would be
    cheaper, but a file system that keeps times to the second would miss a file added in the same second.)"""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    return hashlib.sha1("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def _sha1_of(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=None)
def code_identity() -> str:
    """The code a pack is built by: qa_linter's modules and the libraries' files (name, size, time), and Python
    (and with it `unicodedata`'s version). Also the key of other data derived from code alone (blocks/tables.py)."""
    parts = [sys.version, str(pickle.HIGHEST_PROTOCOL)]
    package = Path(__file__).parent
    for root, dirs, names in os.walk(package):
        dirs.sort()
        parts += [_stat_line(Path(root) / n, package) for n in sorted(names) if n.endswith(".py")]
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None:
            parts.append(f"{library}: none")
            continue
        folder = origin.parent if origin.name == "__init__.py" else origin
        files = sorted(folder.iterdir()) if folder.is_dir() else [folder]
        parts += [_stat_line(f, folder.parent) for f in files if f.is_file()]
    return hashlib.sha1("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _stat_line(path: Path, base: Path) -> str:
    stat = path.stat()
    return f"{path.relative_to(base)}:{stat.st_size}:{stat.st_mtime_ns}"


def _canonical(value: Any) -> Any:
    """`value` with every mapping as a list of [key, value] pairs in a fixed order: a configuration may mix
    keys of several types (a CRM's segment codes 1, 2 beside 企业客户), which json's sort_keys cannot order. The
    key's type is part of it, so 1 and "1" stay two keys."""
    if isinstance(value, dict):
        pairs = [[f"{type(k).__name__}:{k}", _canonical(v)] for k, v in value.items()]
        return sorted(pairs, key=lambda pair: pair[0])
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value

"""What every HTML output shares: the Jinja2 environment, atomic file writes, safe file names, formatting.

Pages are self-contained and safe to share: autoescaping is on for every template, CSS and scripts are
inlined from reports/ (no external asset, so a page works offline and from file://), and each page carries a
Content-Security-Policy whose script nonce is fresh per page, so even text that escaped escaping could not
run a script, load anything or send a form.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from ..labels import category_label, channel_label

ASSET_NAMES = re.compile(r"^[a-z0-9-]+\.(css|js)$")
# Windows device names cannot be file names on any drive; ids are untrusted, so they are avoided everywhere.
_RESERVED_STEMS = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_SIMPLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_SAFE_PAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.html$")


def environment():
    """The Jinja2 environment over the bundled templates (reports/), autoescaping everything."""
    return _environment()


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from ..resources import templates_dir

    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=True,  # every template, whatever its file name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["inline_asset"] = inline_asset
    env.filters["category_label"] = category_label
    env.filters["channel_label"] = channel_label
    env.filters["score"] = format_score
    env.filters["number"] = format_number
    env.filters["percent"] = format_percent
    return env


def inline_asset(name: str) -> Markup:
    """The text of reports/assets/<name> for an inline <style> or <script> (our own files, never user data)."""
    from ..resources import templates_dir

    if not ASSET_NAMES.match(name):
        raise ValueError(f"bad asset name {name!r}")
    text = (templates_dir() / "assets" / name).read_text(encoding="utf-8")
    if re.search(r"</(style|script)", text, re.IGNORECASE):
        raise ValueError(f"asset {name} must not contain a closing style or script tag")
    return Markup(text)


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def atomic_write_text(path: Path, text: str) -> None:
    """Write the whole file or nothing: a reader never sees half a page, a failed write leaves the old one.

    No fsync: these are generated reports that a re-run recreates, and syncing every page of a batch of
    thousands would cost more than the scan.
    """
    atomic_write_chunks(path, (text,))


def atomic_write_chunks(path: Path, chunks) -> None:
    """atomic_write_text for a text that arrives in pieces (a template's generate()), never held whole."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            for chunk in chunks:
                out.write(chunk)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class PageNames:
    """A file name per conversation that is safe whatever the id holds, and unique within one output folder.

    Hashed (masked pages): the manifest's salted hash of the id (Manifest.hashed_name: "c-" and 20 hex digits),
    which shows nothing of an id that is a phone number or an e-mail address, and needs no bookkeeping: the same id
    always gets the same page. Otherwise a plain id (letters, digits, . _ -) keeps its name: s-001 -> s-001.html;
    anything else, an id that would clash with another page (case-insensitively, for macOS and Windows), with
    index.html or with a device name, gets a cleaned name plus a short hash of the id. A second conversation with
    the same id in one scan gets the same page, which it replaces: the last record read wins, as in the results
    store (duplicates.py); `repeats` counts them, so the index can keep one row per page.
    """

    def __init__(self, reserved: tuple[str, ...] = ("index",), manifest=None, hashed: bool = False):
        self._used: set[str] = {r.lower() for r in reserved}
        self._manifest = manifest
        self._hashed = hashed
        self._hashed_seen: set[int] = set()  # 64 bits of the hash of every id given a hashed page in this scan
        self._given: dict[str, str] = {}  # id -> the readable page it was given in this scan
        self.repeats = 0  # conversations whose id already had a page in this scan
        # Readable pages of earlier scans: the same id keeps its page (and is replaced), other ids never take them.
        earlier = manifest.pages.values() if manifest is not None else ()
        self._reserved_earlier = {name.lower()[: -len(".html")] for name in earlier}

    def name_for(self, conv_id: str) -> tuple[str, list[str]]:
        """(the page's file name, pages of this conversation from earlier scans under other names, to remove)."""
        if self._hashed:
            return self._hashed_name(conv_id)
        if conv_id in self._given:
            self.repeats += 1
            return self._given[conv_id], []
        name, stale = self._readable_name(conv_id)
        self._given[conv_id] = name
        return name, stale

    def _readable_name(self, conv_id: str) -> tuple[str, list[str]]:
        stale = []
        earlier = None
        if self._manifest is not None:
            earlier = self._manifest.pages.get(conv_id)
            stale.append(self._manifest.hashed_name(conv_id))  # a masked page of it from an earlier scan
        if earlier is not None and _SAFE_PAGE.match(earlier):
            stem = earlier[: -len(".html")]
            self._reserved_earlier.discard(stem.lower())
            if not self._taken(stem):
                self._used.add(stem.lower())
                return earlier, stale
        stem = conv_id if _SIMPLE_ID.match(conv_id) and not conv_id.endswith(".") else ""
        if not stem or self._taken(stem):
            cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", conv_id).strip("_")[:40] or "conversation"
            stem = f"{cleaned}-{hashlib.sha1(conv_id.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"
        name = self._unique(stem)
        if earlier is not None and earlier != name:
            stale.append(earlier)
        return name, stale

    def _hashed_name(self, conv_id: str) -> tuple[str, list[str]]:
        if self._manifest is not None:
            key = self._manifest.key(conv_id)
        else:
            key = hashlib.sha256(conv_id.encode("utf-8", "surrogatepass")).hexdigest()
        seen = int(key[:16], 16)
        if seen in self._hashed_seen:
            self.repeats += 1  # the same id again in this scan: its page is replaced
            return f"c-{key[:20]}.html", []
        self._hashed_seen.add(seen)
        earlier = self._manifest.pages.get(conv_id) if self._manifest is not None else None
        return f"c-{key[:20]}.html", [earlier] if earlier else []  # its unmasked page goes

    def _unique(self, base: str) -> str:
        stem, counter = base, 1
        while self._taken(stem):
            counter += 1
            stem = f"{base}-{counter}"
        self._used.add(stem.lower())
        return f"{stem}.html"

    def _taken(self, stem: str) -> bool:
        low = stem.lower()
        return low in self._used or low in self._reserved_earlier or low.split(".")[0] in _RESERVED_STEMS


def is_page_name(name: str) -> bool:
    """A file name this module could have written: no folders, no dot files, ends in .html."""
    return bool(_SAFE_PAGE.match(name)) and name.lower() != "index.html"


def format_score(value) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def format_number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{value:,}"


def format_percent(value) -> str:
    """A share (0..1) as a percentage with one decimal."""
    return "—" if value is None else f"{value * 100:.1f}%"


def format_datetime(value: datetime | None, with_seconds: bool = False) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")

"""Conversation ids read more than once in a scan (two exports that overlap, one file given twice).

Every record is still checked and listed by the text, JSON and JSON Lines outputs, each with its own path:line;
where results are kept by id the last record read wins: the results store (a re-scan replaces a conversation's
result) and the HTML scorecards (one page and one index row per id). The scan warns with every location, so a
store of 48 results after 51 records read is explained rather than a surprise.

Memory: a scan may read millions of records, so the ids are not kept as a dictionary of strings (over 100 bytes
each). Per record this keeps a 64-bit hash, a packed location (file number and line) and the id's UTF-8 bytes in
one buffer: about 16 bytes plus the id's length. The duplicates are found at the end, by sorting the hashes, and
confirmed on the ids themselves (a hash collision is not reported).
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

from .model import split_location

_LINE_BITS = 40  # a line number up to about 10^12; the rest of the 63 bits number the files


@dataclass(frozen=True)
class DuplicateId:
    id: str
    sources: tuple[str, ...]  # every location it was read at, in reading order

    def to_dict(self) -> dict:
        return {"id": self.id, "sources": list(self.sources)}


class IdTracker:
    def __init__(self) -> None:
        self._hashes = array("q")
        self._places = array("q")
        self._ends = array("q")  # where each id ends in _ids
        self._ids = bytearray()
        self._files: dict[str, int] = {}
        self._file_names: list[str] = []

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self, conversation_id: str, source: str | None) -> None:
        self._hashes.append(hash(conversation_id))
        path, line = split_location(source)
        number = self._files.get(path or "")
        if number is None:
            number = self._files[path or ""] = len(self._file_names)
            self._file_names.append(path or "")
        self._places.append((number << _LINE_BITS) | (line if line is not None and 0 <= line < 1 << _LINE_BITS else 0))
        self._ids += conversation_id.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._ids))

    def duplicates(self) -> list[DuplicateId]:
        """Each id read more than once, in the order of its first reading, with all its locations."""
        if len(self._hashes) < 2:
            return []
        import numpy as np

        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")  # equal hashes stay in reading order
        ordered = hashes[order]
        repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
        if not len(repeated):
            return []
        groups: dict[str, list[int]] = {}
        for k in repeated.tolist():
            for record in (int(order[k]), int(order[k + 1])):
                ids = groups.setdefault(self._id(record), [])
                if record not in ids:
                    ids.append(record)
        found = [(records[0], conversation_id, sorted(records)) for conversation_id, records in groups.items()
                 if len(records) > 1]  # records that only shared a hash with another id are not duplicates
        return [DuplicateId(conversation_id, tuple(self._where(r) for r in records))
                for _, conversation_id, records in sorted(found)]

    def _id(self, record: int) -> str:
        start = self._ends[record - 1] if record else 0
        return self._ids[start : self._ends[record]].decode("utf-8", "surrogatepass")

    def _where(self, record: int) -> str:
        place = self._places[record]
        path = self._file_names[place >> _LINE_BITS] or "<unknown>"
        line = place & ((1 << _LINE_BITS) - 1)
        return f"{path}:{line}" if line else path

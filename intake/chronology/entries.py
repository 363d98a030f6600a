"""The entries of a sealed chronology, kept as their canonical bytes and decoded on access.

A chronology of 100,000 entries held as Python dicts took about 400 MB; as
the bytes they were hashed from, about 140 MB (issue 19, point 4). Readers
see a sequence of dicts (``len``, indexing, slicing, iteration, ``+``): each
access decodes one entry afresh, so a report that walks the entries keeps
only the ones it holds on to alive. The dicts are copies: changing one changes
nothing in the chronology (a sealed document is read-only by contract).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

#: How kept bytes become an entry again (the tests wrap it to count entries alive).
_decode = orjson.loads


class EntryList(Sequence):
    """``data[start:stop]`` (canonical JSON of one entry each) as a sequence of dicts."""

    __slots__ = ("_data", "_start", "_stop")

    def __init__(self, data: list[bytes], start: int = 0, stop: int | None = None) -> None:
        self._data = data
        self._start = start
        self._stop = len(data) if stop is None else stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [_decode(b) for b in self.raw()[index]]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("entry index out of range")
        return _decode(self._data[self._start + i])

    def __iter__(self) -> Iterator[dict]:
        data = self._data
        for i in range(self._start, self._stop):
            yield _decode(data[i])

    def raw(self) -> list[bytes]:
        """The kept canonical bytes of these entries (a list of the same objects)."""
        return self._data[self._start:self._stop]

    def __add__(self, other: Any) -> list[dict]:
        return list(self) + list(other)

    def __radd__(self, other: Any) -> list[dict]:
        return list(other) + list(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EntryList):
            return self.raw() == other.raw()
        if isinstance(other, list | tuple):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other,
                                                                          strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} chronology entries kept as canonical JSON>"

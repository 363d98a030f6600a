"""One extraction's events, checked and encoded as they arrive (issue 19, point 3).

A phone backup of 100,000 messages is 100,000 events: held as Python objects
they cost hundreds of megabytes in each process. A plugin may yield its events
(a generator); the plugin worker sends them in batches of `BATCH`, and the
pipeline checks each batch (`extract.check_events`) and keeps only its encoded
JSON bytes: once as ``extraction.json`` writes them (indented) and once as the
index holds them (compact). Both forms are byte for byte what encoding the
whole record at once gives (`serialize.dumps` and `index._blob`), so
``verify`` compares the index with the records exactly as before. The
indented and the compact forms go to temporary files once the indented one
passes `SPILL` bytes (`RecordBytes`): ``extraction.json`` is then written to
each replica from its file and hashed as it goes, and the index's JSON is
written into SQLite from the other (``Index.set_extraction_json``), never
held whole in this process's memory.

What orjson cannot encode exactly (an integer beyond 64 bits) makes the
stream "inexact": the caller then reads the record back and takes the old
path of whole Python objects (rare; correct, only slower).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from typing import IO, Any

import orjson

from .serialize import dumps, to_plain
from .types import CaseInfo

#: events per message from the plugin worker: big enough to cost little per
#: message, small enough that a batch is a few megabytes at most
BATCH = 2000
#: indented event bytes kept in memory; beyond, they go to a temporary file
SPILL = 4 << 20
#: pieces read back from that file
PIECE = 1 << 20

_PRETTY = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
_COMPACT = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def batches(events: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """The events in lists of at most `size` (a generator is read as it goes)."""
    batch: list[Any] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class EventRows:
    """(kind, UTC time) of each event, held compactly: a phone backup's 100,000
    pairs as tuples of strings were 15 MB; here a number per kind and the times'
    UTF-8 bytes, about 4 MB. Iterating gives the pairs back, in order."""

    def __init__(self) -> None:
        self._values: list[Any] = []  # each distinct kind once, and any odd value
        self._numbers: dict[str, int] = {}  # kind -> its place in _values
        self._kind_of = array("I")  # per event: its kind's place in _values
        self._ends = array("q")  # per event: where its time ends in _times; < 0: a value
        self._times = bytearray()

    def _place(self, value: Any) -> int:
        self._values.append(value)
        return len(self._values) - 1

    def append(self, kind: Any, utc: Any) -> None:
        if isinstance(kind, str):
            number = self._numbers.get(kind)
            if number is None:
                number = self._numbers[kind] = self._place(kind)
        else:  # not a string (the checks keep what the plugin gave): kept as it is
            number = self._place(kind)
        self._kind_of.append(number)
        if isinstance(utc, str):
            self._times += utc.encode("utf-8", "surrogatepass")
            self._ends.append(len(self._times))
        else:  # None (no time)
            self._ends.append(-1 - self._place(utc))

    def __len__(self) -> int:
        return len(self._kind_of)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        start = 0
        for number, end in zip(self._kind_of, self._ends, strict=True):
            if end < 0:
                yield self._values[number], self._values[-1 - end]
                continue
            yield self._values[number], self._times[start:end].decode("utf-8", "surrogatepass")
            start = end


class RecordBytes:
    """One metadata file's bytes as pieces: `head`, the contents of `spool` (a
    temporary file), `tail`. `bytes()` gives the whole; `pieces()` gives it a
    megabyte at a time (``Step.meta`` writes them to each replica as they come)."""

    def __init__(self, head: bytes, spool: IO[bytes], tail: bytes) -> None:
        self.head, self.spool, self.tail = head, spool, tail

    def pieces(self) -> Iterator[bytes]:
        yield self.head
        self.spool.seek(0)
        while piece := self.spool.read(PIECE):
            yield piece
        yield self.tail

    def sha256(self) -> str:
        h = hashlib.sha256()
        for piece in self.pieces():
            h.update(piece)
        return h.hexdigest()

    def __bytes__(self) -> bytes:
        return b"".join(self.pieces())

    def __len__(self) -> int:
        return len(self.head) + self.spool.seek(0, 2) + len(self.tail)

    def close(self) -> None:
        self.spool.close()


class EncodedEvents:
    """The checked events of one extraction as JSON bytes, never as objects."""

    def __init__(self, case: CaseInfo, spill: int = SPILL, spool_dir: str | None = None) -> None:
        self.case = case
        self.offered = 0  # events the plugin gave, numbered as the warnings name them
        self.count = 0  # events kept
        self.pretty = bytearray()  # the elements of "events" as extraction.json has them
        self.spill = spill
        self.spool: IO[bytes] | None = None  # where they go beyond `spill` bytes
        self.compact_spool: IO[bytes] | None = None  # and the compact form with them
        self.spool_dir = spool_dir  # the case's own folder for it (None: the system's)
        self.compact = bytearray()  # the same as the index has them
        self.warnings: list[str] = []
        self.exact = True  # False: orjson could not encode a value exactly (see above)
        #: the index's events table: (kind, first non-empty UTC time) of each event kept
        self.rows = EventRows()

    def add(self, batch: list[Any], checked: bool = False) -> None:
        """Check one batch of a plugin's events (unless `checked` already) and keep
        its encoded form."""
        from .extract import check_events  # extract imports this module

        if checked:  # Event objects checked already (the in-process path)
            plain, problems = to_plain(list(batch)), []
        else:
            plain, problems = check_events(batch, self.case, self.offered, plain=True)
        self.offered += len(batch)
        self.warnings.extend(problems)
        if not plain:
            return
        for ev in plain:
            self.rows.append(ev.get("kind"), next((c.get("utc") for c in ev.get("claims", ())
                                                   if c.get("utc")), None))
        try:
            pretty = orjson.dumps(plain, option=_PRETTY)
            compact = orjson.dumps(plain, option=_COMPACT)
        except (orjson.JSONEncodeError, TypeError):
            plain = to_plain(plain)  # what orjson cannot hold exactly, made plain by the walk
            self.exact = False
            pretty = json.dumps(plain, sort_keys=True, ensure_ascii=False, indent=2).encode()
            compact = json.dumps(plain, sort_keys=True).encode()
        # "[\n  {...},\n  {...}\n]" -> the elements, two spaces deeper (the list is
        # the value of a top-level key in the record)
        if self.count:
            self.pretty += b",\n"
            self.compact += b","
        self.pretty += b"  " + pretty[2:-2].replace(b"\n", b"\n  ")
        self.compact += compact[1:-1]
        self.count += len(plain)
        if len(self.pretty) > self.spill:  # a phone backup: on to the disk, not held
            if self.spool is None or self.compact_spool is None:
                self.spool = tempfile.TemporaryFile(dir=self.spool_dir)
                self.compact_spool = tempfile.TemporaryFile(dir=self.spool_dir)
            self.spool.write(self.pretty)
            self.compact_spool.write(self.compact)
            self.pretty = bytearray()
            self.compact = bytearray()

    def add_all(self, events: Iterable[Any], checked: bool = False) -> None:
        for batch in batches(events):
            self.add(batch, checked)

    def record(self, data: dict[str, Any]) -> bytearray | RecordBytes:
        """extraction.json: `data` (its "events" left out) with these events, as
        `serialize.dumps` of the whole would write it. Made in place in the events'
        own buffer, which it takes over (no second copy of a hundred megabytes);
        when the events went to a temporary file, as `RecordBytes` around it."""
        keys = sorted({*data, "events"})
        at = keys.index("events")

        def pair(n: int, key: str) -> bytes:
            return (b",\n  " if n else b"  ") + orjson.dumps(key) + b": " + \
                dumps(data[key])[:-1].replace(b"\n", b"\n  ")

        head = b"{\n" + b"".join(pair(n, k) for n, k in enumerate(keys[:at])) + \
            (b",\n  " if at else b"  ") + b'"events": '
        tail = b"".join(pair(n, k) for n, k in enumerate(keys[at + 1:], at + 1)) + b"\n}\n"
        out, self.pretty = self.pretty, bytearray()
        if self.spool is not None:
            self.spool.write(out)
            spool, self.spool = self.spool, None
            return RecordBytes(head + b"[\n", spool, b"\n  ]" + tail)
        if out:
            out[0:0] = head + b"[\n"
            out += b"\n  ]" + tail
        else:
            out += head + b"[]" + tail
        return out

    def index_data(self, data: dict[str, Any]) -> bytearray | RecordBytes:
        """The index's JSON of the record `data` (its "events" left out) with these
        events, as `index._blob` of the whole would write it; made in place in the
        events' compact buffer, which it takes over; when the events went to a
        temporary file, as `RecordBytes` around it."""
        out, self.compact = self.compact, bytearray()
        if self.compact_spool is not None:
            head, tail = index_ends(data)
            self.compact_spool.write(out)
            spool, self.compact_spool = self.compact_spool, None
            return RecordBytes(head, spool, tail)
        return index_json(data, out, in_place=True)


def index_ends(data: dict[str, Any]) -> tuple[bytes, bytes]:
    """The index's JSON of `data` before and after the elements of its "events"."""
    keys = sorted({*data, "events"})

    def pair(n: int, key: str) -> bytes:
        return (b"," if n else b"") + orjson.dumps(key) + b":" + \
            orjson.dumps(data[key], option=_COMPACT)

    at = keys.index("events")
    head = b"{" + b"".join(pair(n, k) for n, k in enumerate(keys[:at])) + \
        (b"," if at else b"") + b'"events":['
    tail = b"]" + b"".join(pair(n, k) for n, k in enumerate(keys[at + 1:], at + 1)) + b"}"
    return head, tail


def index_json(data: dict[str, Any], events: bytes | bytearray | None,
               in_place: bool = False) -> bytearray:
    """`index._blob` of `data` with "events" set to the compact JSON array whose
    elements are `events` (None: no "events" at all), put together without the
    events as objects; with `in_place`, in the `events` bytearray itself."""
    if events is None:
        keys = sorted(data)
        return bytearray(b"{" + b",".join(orjson.dumps(k) + b":" +
                                          orjson.dumps(data[k], option=_COMPACT)
                                          for k in keys) + b"}")
    head, tail = index_ends(data)
    out = events if in_place and isinstance(events, bytearray) else bytearray(events)
    out[0:0] = head
    out += tail
    return out

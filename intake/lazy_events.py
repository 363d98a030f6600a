"""An extraction's events read one at a time from its JSON, never all at once.

A phone backup or a mailbox gives an item 50,000 events or more; as Python
objects they took about four times their JSON's size in memory (issue 9,
point 10: 107 MB of e-mails took the PDF command past 600 MB). msgspec finds
where each event lies in the bytes (checking that they are JSON) without
making it an object; each is decoded when it is reached, exactly as
``json.loads`` would decode it, and let go of after.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from .custody_chain import parse_line

#: an extraction record bigger than this (a phone backup's, a mailbox's) is read
#: without making its events Python objects
BIG_RECORD = 1 << 20


class LazyEvents(Sequence):
    """A read-only list of events, each decoded from its JSON text when reached."""

    def __init__(self, texts: list[Any]) -> None:
        self._texts = texts  # msgspec.Raw: where each event lies in the record's bytes

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def texts(self) -> list[Any]:
        """Each event's JSON text (msgspec.Raw), for a reader that decodes them itself."""
        return self._texts

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [parse_line(bytes(t)) for t in self._texts[i]]
        return parse_line(bytes(self._texts[i]))

    def __iter__(self) -> Iterator[Any]:
        for t in self._texts:
            yield parse_line(bytes(t))


def raw_parts(data: bytes) -> dict[str, Any] | None:
    """The top-level values of a JSON object as msgspec.Raw: where each lies in
    `data`, checked to be JSON, not made objects. None where msgspec refuses (no
    object, no JSON, NaN): the caller reads it the plain way (``parse_line``)."""
    import msgspec

    try:
        return msgspec.json.decode(data, type=dict[str, msgspec.Raw])
    except msgspec.DecodeError:
        return None


def is_list(raw: Any) -> bool:
    """Whether a Raw value is a JSON array (its first byte; msgspec strips the
    whitespace before it)."""
    return bytes(memoryview(raw)[:1]) == b"["


def read_extraction(data: bytes, *, big: int = BIG_RECORD) -> Any:
    """An extraction record's JSON as ``json.loads`` gives it, except that a
    record bigger than `big` bytes has its "events" (when a list) as `LazyEvents`.

    :raises ValueError: not JSON."""
    parts = raw_parts(data) if len(data) > big else None
    if parts is None or not is_list(parts.get("events", b"")):
        return parse_line(data)
    import msgspec

    return {key: LazyEvents(msgspec.json.decode(raw, type=list[msgspec.Raw])) if key == "events"
            else parse_line(bytes(raw)) for key, raw in parts.items()}


def read_item_record(data: Any) -> Any:
    """An item record's JSON text (``Index.item_record_texts``) as ``json.loads``
    gives it, except that its extraction's "events" (when a list) is a
    `LazyEvents` whatever its size: the chronology reads a simple event
    straight from its text (chronology/fast.py).

    :raises ValueError: not JSON."""
    parts = raw_parts(data)
    if parts is None or not bytes(memoryview(parts.get("extraction", b"")))[:1] == b"{":
        return parse_line(bytes(data))
    return {key: read_extraction(bytes(raw), big=-1) if key == "extraction"
            else parse_line(bytes(raw)) for key, raw in parts.items()}

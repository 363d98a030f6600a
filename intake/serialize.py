"""Plain-JSON forms of the data types, for metadata files and the index."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import orjson

from .types import TimeClaim

_SCALARS = frozenset({str, int, float, bool})


def to_plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings -> dicts and lists of JSON values.

    orjson makes the plain copy in C (one encode and decode: about twenty times
    the walk below, which was most of the time of taking a phone backup of
    100,000 messages, issue 19); what it cannot encode exactly (bytes, an
    integer beyond 64 bits, a mapping that is not a dict) goes through the walk.
    A float that is not finite becomes None, as `dumps` writes it anyway (JSON
    has no NaN; plugins' facts hold no floats at all, `extract.check_extraction`).
    """
    if value is None or type(value) in _SCALARS:
        return value
    try:
        plain = orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS,
                                          default=_refuse))
    except (orjson.JSONEncodeError, TypeError):
        return _walk(value)
    return plain


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not plain JSON")


def _walk(value: Any) -> Any:
    """The plain copy made in Python, for what orjson cannot encode exactly."""
    if value is None or type(value) in _SCALARS:  # most values: asked first
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _walk(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "data"}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _walk(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v) for v in value]
    if isinstance(value, bytes):
        raise TypeError("bytes are not plain JSON")
    return value


def claim_from_plain(d: dict) -> TimeClaim:
    fields = {f.name for f in dataclasses.fields(TimeClaim)}
    d = {k: v for k, v in d.items() if k in fields}
    d["flags"] = tuple(d.get("flags", ()))
    return TimeClaim(**d)


def _plain_default(value: Any) -> Any:
    """What `json` cannot encode by itself, one level at a time (see `to_plain`)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)
                if f.name != "data"}
    if hasattr(value, "items"):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, bytes):
        raise TypeError("bytes are not plain JSON")
    raise TypeError(f"{type(value).__name__} is not plain JSON")


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, indent=1, default=_plain_default)


def dumps(value: Any) -> bytes:
    """Deterministic JSON for metadata files: sorted keys, UTF-8, newline at the end.

    orjson writes it in one pass (the json module's indented writer is pure
    Python and was most of the time of taking a phone backup, issue 19). What
    orjson cannot write (an integer beyond 64 bits) goes through `_slow_dumps`.
    Both are read back by any JSON reader to the same values; the bytes of a
    stored file are fixed by the hash the custody log records, not by this form.
    """
    try:
        return orjson.dumps(value, option=_ORJSON, default=_plain_default) + b"\n"
    except orjson.JSONEncodeError:
        return _slow_dumps(value)


_ORJSON = (orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
           | orjson.OPT_PASSTHROUGH_DATACLASS)


def _slow_dumps(value: Any) -> bytes:
    """The json module's form, written piece by piece into one buffer: ``json.dumps``
    with an indent keeps every piece in a list first (issue 9, point 10)."""
    raw = io.BytesIO()
    buf = io.TextIOWrapper(raw, encoding="utf-8", newline="\n", write_through=True)
    for chunk in _ENCODER.iterencode(value):
        buf.write(chunk)
    buf.write("\n")
    buf.flush()
    data = raw.getvalue()
    buf.detach()
    return data

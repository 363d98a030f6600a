"""Plain-JSON forms of the data types, for metadata files and the index."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

from .types import TimeClaim


def to_plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings -> dicts and lists of JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "data"}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
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

    Written piece by piece into one buffer: ``json.dumps`` with an indent keeps
    every piece in a list first, which for an extraction of 50,000 e-mails
    took hundreds of megabytes (issue 9, point 10). Same bytes as
    ``json.dumps(to_plain(value), sort_keys=True, ensure_ascii=False, indent=1)``.
    """
    raw = io.BytesIO()
    buf = io.TextIOWrapper(raw, encoding="utf-8", newline="\n", write_through=True)
    for chunk in _ENCODER.iterencode(value):
        buf.write(chunk)
    buf.write("\n")
    buf.flush()
    data = raw.getvalue()
    buf.detach()
    return data

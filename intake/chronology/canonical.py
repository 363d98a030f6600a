"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for our values.

The chronology only holds strings, integers, booleans, null, lists and
objects, so JCS reduces to: no whitespace, object keys sorted by their UTF-16
code units, strings escaped as ECMAScript ``JSON.stringify`` does (only ``"``,
``\\`` and control characters; everything else as UTF-8), integers in plain
decimal. Floats are refused: their text form is where implementations differ,
and the chronology never needs one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

#: Integers beyond this are not exact IEEE doubles, which JCS requires.
MAX_SAFE_INTEGER = 2**53 - 1

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
          "\t": "\\t"}
_ESCAPES = {chr(i): f"\\u{i:04x}" for i in range(0x20)}
_ESCAPES.update(_SHORT)


def _string(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def _key(text: str) -> bytes:
    # UTF-16BE bytes compare exactly as the sequence of UTF-16 code units does.
    return text.encode("utf-16-be", "surrogatepass")


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is too large for canonical JSON")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise TypeError("floats are not allowed in canonical chronology JSON")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, Mapping):
        keys = list(value.keys())
        for k in keys:
            if not isinstance(k, str):
                raise TypeError(f"object key {k!r} is not a string")
        out.append("{")
        for i, k in enumerate(sorted(keys, key=_key)):
            if i:
                out.append(",")
            out.append(_string(k))
            out.append(":")
            _write(value[k], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 canonical JSON of `value`, UTF-8, no trailing newline.

    Raises TypeError for floats and non-JSON values, ValueError for integers
    outside +-(2**53-1) and for strings that are not valid Unicode.
    """
    out: list[str] = []
    _write(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("a string holds a lone surrogate, not valid Unicode") from exc


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()

"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for our values.

The fast path (orjson) is taken only for values of plain types with ASCII
keys, where its output is the JCS output; anything else goes through the
plain writer below, which is the reference the tests compare it with.

The chronology only holds strings, integers, booleans, null, lists and
objects, so JCS reduces to: no whitespace, object keys sorted by their UTF-16
code units, strings escaped as ECMAScript ``JSON.stringify`` does (only ``"``,
``\\`` and control characters; everything else as UTF-8), integers in plain
decimal. Floats are refused: their text form is where implementations differ,
and the chronology never needs one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import orjson

from .entries import EntryList

#: Integers beyond this are not exact IEEE doubles, which JCS requires.
MAX_SAFE_INTEGER = 2**53 - 1

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
          "\t": "\\t"}
_ESCAPES = {chr(i): f"\\u{i:04x}" for i in range(0x20)}
_ESCAPES.update(_SHORT)


_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\]')


def json_string(text: str) -> str:
    """A JSON string as JCS writes it (only the escapes JSON requires)."""
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text) + '"'


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
        out.append(json_string(value))
    elif isinstance(value, Mapping):
        keys = list(value.keys())
        for k in keys:
            if not isinstance(k, str):
                raise TypeError(f"object key {k!r} is not a string")
        out.append("{")
        for i, k in enumerate(sorted(keys, key=_key)):
            if i:
                out.append(",")
            out.append(json_string(k))
            out.append(":")
            _write(value[k], out)
        out.append("}")
    elif isinstance(value, EntryList):  # entries kept as their canonical bytes
        out.append("[" + b",".join(value.raw()).decode("utf-8") + "]")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


def _fast_ok(value: Any) -> bool:
    """Check the value (raising as canonical_bytes must); True if the C encoder
    of the json module gives the JCS bytes: only dicts with ASCII keys, where
    code point order is UTF-16 order."""
    stack = [value]
    while stack:
        v = stack.pop()
        if v is None or v is True or v is False or type(v) is str:
            continue
        if type(v) is int:
            if abs(v) > MAX_SAFE_INTEGER:
                raise ValueError(f"integer {v} is too large for canonical JSON")
        elif type(v) is dict:
            for k, item in v.items():
                if type(k) is not str or not k.isascii():
                    return False
                stack.append(item)
        elif type(v) is list or type(v) is tuple:
            stack.extend(v)
        elif isinstance(v, float):
            raise TypeError("floats are not allowed in canonical chronology JSON")
        else:
            return False
    return True


def reference_bytes(value: Any) -> bytes:
    """The reference encoder, walking every value in Python: the bytes every faster
    path must equal (the tests compare them), and the path for what the C encoder
    cannot write as JCS."""
    out: list[str] = []
    _write(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("a string holds a lone surrogate, not valid Unicode") from exc


def is_fast(value: Any) -> bool:
    """Check a value once (raising as canonical_bytes would); True if parts of it
    may then be serialised with ``canonical_bytes(part, checked=True)``."""
    return _fast_ok(value)


def canonical_bytes(value: Any, *, checked: bool = False) -> bytes:
    """The RFC 8785 canonical JSON of `value`, UTF-8, no trailing newline.

    Raises TypeError for floats and non-JSON values, ValueError for integers
    outside +-(2**53-1) and for strings that are not valid Unicode.
    `checked=True` skips the walk over the value: only for a value (or a part
    of one) for which `is_fast` returned True.
    """
    if type(value) is not dict and isinstance(value, dict):
        from .hashing import Sealed  # a sealed chronology joins the bytes it kept
        if isinstance(value, Sealed) and value.intact():
            return value.canonical()
    if not checked and not _fast_ok(value):
        return reference_bytes(value)
    try:  # only plain types with ASCII keys here: orjson's bytes are the JCS bytes
        return orjson.dumps(value, option=_ORJSON)
    except orjson.JSONEncodeError as exc:
        if "surrogate" in str(exc):
            raise ValueError("a string holds a lone surrogate, not valid Unicode") from exc
        raise


#: Sorted keys (byte order equals UTF-16 order for ASCII keys), integers refused
#: beyond 2**53 - 1 as JCS requires.
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()

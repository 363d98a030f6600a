"""Plain JSON values for the chronology: text, lists of text, canonical numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def as_plain(value: Any) -> Any:
    """JSON values the canonical form accepts: floats become their shortest text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 - 1 else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    return str(value)


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def as_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [as_text(v) for v in value if as_text(v)]
    return []


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))

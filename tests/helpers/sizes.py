"""Bounded or full size of the reliability tests (``INTAKE_RELIABILITY=full``: make reliability)."""

from __future__ import annotations

import os

FULL = os.environ.get("INTAKE_RELIABILITY") == "full"


def size(bounded: int, full: int) -> int:
    """The bounded or the full figure, by INTAKE_RELIABILITY."""
    return full if FULL else bounded

"""Shared set-up of the reliability suite: sizes, the core helpers, and the figures.

``INTAKE_RELIABILITY=full`` (``make reliability``) switches every test to its
full size (100+ kills, long fuzzing); without it the bounded form runs in
``make test``. Each test records what it tried (kills, damage found and
repaired, fuzz inputs) with the ``figures`` fixture; the totals are printed at
the end of the run and written, one JSON object per line, to
``$INTAKE_RELIABILITY_RESULTS`` when that is set (docs/RELIABILITY.md quotes
them).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FULL = os.environ.get("INTAKE_RELIABILITY") == "full"

CORE = str(Path(__file__).resolve().parent.parent / "core")
if CORE not in sys.path:  # reuse tests/core/core_helpers.py, never copy it
    sys.path.insert(0, CORE)

_FIGURES: list[dict[str, Any]] = []


def size(bounded: int, full: int) -> int:
    """The bounded or the full figure, by INTAKE_RELIABILITY."""
    return full if FULL else bounded


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``figures(kills=10, ...)``: record what this test tried, for the report."""

    def record(**values: Any) -> None:
        row = {"test": request.node.nodeid.split("::", 1)[-1],
               "mode": "full" if FULL else "bounded", **values}
        _FIGURES.append(row)
        target = os.environ.get("INTAKE_RELIABILITY_RESULTS")
        if target:
            with open(target, "a", encoding="utf-8") as f:
                f.write(json.dumps(row, sort_keys=True) + "\n")

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section(f"reliability figures ({'full' if FULL else 'bounded'})")
    for row in _FIGURES:
        rest = {k: v for k, v in row.items() if k not in ("test", "mode")}
        terminalreporter.write_line(f"{row['test']}: {json.dumps(rest, sort_keys=True)}")

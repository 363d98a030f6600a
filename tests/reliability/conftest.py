"""Shared set-up of the reliability suite: the figures (sizes are in tests/helpers/sizes.py).

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
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.sizes import FULL

_FIGURES: list[dict[str, Any]] = []


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

"""Fixtures for the core tests; the helpers themselves are in core_helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # so that the test modules can import core_helpers
    sys.path.insert(0, HERE)

from core_helpers import new_case  # noqa: E402


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A fresh case (config, inbox, replicas a and b) with settle_seconds = 0.2."""
    return new_case(tmp_path / "case")

"""Fixtures for the core tests; the helpers themselves are in tests/helpers/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import new_case


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A fresh case (config, inbox, replicas a and b) with settle_seconds = 0.2."""
    return new_case(tmp_path / "case")

"""Every kind of replica that is loaded passes intake.conformance (the folder kind today)."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.conformance import ReplicaConformance
from intake.plugins import get_plugin_manager, merged_mapping

KINDS = merged_mapping(reversed(
    get_plugin_manager(load_entry_points=False).hook.intake_storage_backends()))


def test_the_folder_kind_is_among_the_kinds() -> None:
    assert "folder" in KINDS


class TestEveryKind(ReplicaConformance):
    @pytest.fixture(params=sorted(KINDS))
    def make_replica(self, request: pytest.FixtureRequest, tmp_path: Path):
        factory = KINDS[request.param]
        return lambda name: factory(name, str(tmp_path / name), {})

"""Every kind of replica that is loaded passes intake.conformance (folder and s3).

The s3 kind runs against moto's S3 server on 127.0.0.1 (a bucket with Object
Lock, one prefix per replica).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.conformance import ReplicaConformance
from intake.plugins import get_plugin_manager, merged_mapping

KINDS = merged_mapping(reversed(
    get_plugin_manager(load_entry_points=False).hook.intake_storage_backends()))


def test_the_built_in_kinds_are_among_the_kinds() -> None:
    assert {"folder", "s3"} <= set(KINDS)


class TestEveryKind(ReplicaConformance):
    @pytest.fixture(params=sorted(KINDS))
    def make_replica(self, request: pytest.FixtureRequest, tmp_path: Path):
        factory = KINDS[request.param]
        if request.param == "s3":
            server = request.getfixturevalue("moto_server")
            bucket = request.getfixturevalue("bucket")
            return lambda name: factory(name, str(tmp_path / name), {
                "endpoint_url": server.url, "bucket": bucket, "prefix": f"{name}/",
                "region": "eu-west-1", "retention_days": 1})
        return lambda name: factory(name, str(tmp_path / name), {})

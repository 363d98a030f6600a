"""The tests of the s3 replica kind, through the real CLI, against moto on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.case import drop, ingest
from tests.helpers.moto import MotoServer
from tests.helpers.s3case import FILES, s3_case


@pytest.fixture
def case(tmp_path: Path, moto_server: MotoServer, bucket: str) -> Path:
    """A case whose three files are ingested into the folder and the bucket."""
    case = s3_case(tmp_path, moto_server, bucket)
    for rel, data in FILES.items():
        drop(case, rel, data)
    assert ingest(case)["outcomes"] == {"settled": 3}
    return case

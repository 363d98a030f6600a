"""Shared fixtures: the real corpus beside the checkout, and small helpers."""

from __future__ import annotations

import atexit
import csv
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Never the machine's real data folder: the default case of every test (and of
# every `intake` the tests start) lives in a temporary folder of this run.
os.environ["INTAKE_HOME"] = tempfile.mkdtemp(prefix="intake-home-")
atexit.register(shutil.rmtree, os.environ["INTAKE_HOME"], ignore_errors=True)
os.environ["XDG_DATA_HOME"] = os.environ["INTAKE_HOME"]
# Head records (intake/heads.py) go to the user's state folder: never the real one in tests.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="intake-test-state-")
atexit.register(shutil.rmtree, os.environ["XDG_STATE_HOME"], ignore_errors=True)
CORPUS = Path(os.environ.get("INTAKE_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """``../shared/corpus``: skipped on a developer machine without it, an error in CI."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the corpus is missing at {CORPUS}; CI must have ../shared/corpus")
        pytest.skip(f"no corpus at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def manifest(corpus: Path) -> dict[str, dict[str, str]]:
    """MANIFEST.tsv rows by path."""
    with open(corpus / "MANIFEST.tsv", encoding="utf-8", newline="") as f:
        return {row["path"]: row for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="session")
def moto_server():
    """A real S3 API on 127.0.0.1 (moto's server, its own process), for the s3 replica kind.

    Sets the standard AWS credential variables for this process and the
    intake processes it starts; started only by the tests that ask for it.
    """
    import itertools

    from tests.helpers.moto import KEYS, MotoServer

    server = MotoServer()
    server.start()
    old = {k: os.environ.get(k) for k in KEYS}
    os.environ.update(KEYS)
    server.names = itertools.count()
    try:
        yield server
    finally:
        server.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def bucket(moto_server) -> str:
    """A fresh bucket with Object Lock enabled on the moto server."""
    return moto_server.bucket(f"intake-test-{os.getpid()}-{next(moto_server.names)}")

"""The seal tests share one test TSA (tests/seal/tsa_server.py) per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.case import ok, run_intake

from .tsa_server import TestTsa


@pytest.fixture(scope="module")
def tsa() -> Iterator[TestTsa]:
    server = TestTsa().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _tsa_behaves(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with a TSA that answers (a test that broke it mends it here)."""
    yield
    if "tsa" in request.fixturenames:
        server = request.getfixturevalue("tsa")
        server.mode = "ok"
        if server._server is None:
            server.start()


def make_case(folder: Path, tsa: TestTsa, extra: str = "", *, urls: list[str] | None = None,
              timeout: float = 2) -> Path:
    """A new case with ``[seal]`` naming the test TSA (settle 0.2 s, one-device ok)."""
    ok(run_intake("init", folder))
    cfg = folder / "config" / "intake.toml"
    text = cfg.read_text().replace("settle_seconds = 1.0", "settle_seconds = 0.2")
    text = text.replace("min_copies = 2", "min_copies = 2\none_device_ok = true")
    tsa.write_ca(folder / "config" / "tsa-ca.pem")
    urls = urls if urls is not None else [tsa.url]
    text += ("\n[seal]\ntsa_urls = [" + ", ".join(f'"{u}"' for u in urls) + "]\n"
             'tsa_ca_files = ["config/tsa-ca.pem"]\n' f"timeout_seconds = {timeout}\n" + extra)
    cfg.write_text(text)
    return folder


def copy_case(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst

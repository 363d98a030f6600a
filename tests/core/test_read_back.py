"""The read-back that verifies each stored copy reads what the disk holds (intake.files)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from intake.files import sha256_from_disk

# not multiples of the 4 KiB block O_DIRECT reads in, and exact ones (the buffer is
# sized to the file: a page more than it, at most 1 MiB); one spans several buffers
SIZES = [0, 1, 4095, 4096, 4097, 8192, 1 << 20, (1 << 20) + 1, (3 << 20) + 123]


@pytest.mark.parametrize("size", SIZES)
def test_read_back_from_the_disk_gives_the_files_sha256(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "copy.part"
    with open(path, "wb") as f:  # as put.py writes a copy: written, fsynced, closed
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    assert sha256_from_disk(path) == hashlib.sha256(data).hexdigest()


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no tmpfs at /dev/shm")
def test_read_back_on_a_file_system_without_o_direct(tmp_path: Path) -> None:
    # tmpfs refuses O_DIRECT: the pages are dropped and the file read the usual way
    data = os.urandom(70_000)
    path = Path("/dev/shm") / f"intake-test-{os.getpid()}.part"
    try:
        path.write_bytes(data)
        assert sha256_from_disk(path) == hashlib.sha256(data).hexdigest()
    finally:
        path.unlink(missing_ok=True)


def test_a_copy_that_differs_on_disk_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "copy.part"
    path.write_bytes(b"the bytes that were sent\n")
    os.sync()
    with open(path, "r+b") as f:  # one byte changed after the write, as bad media would
        f.write(b"T")
    assert sha256_from_disk(path) == hashlib.sha256(b"The bytes that were sent\n").hexdigest()
    assert sha256_from_disk(path) != hashlib.sha256(b"the bytes that were sent\n").hexdigest()

"""What an attacker or a failing disk does to a replica: flip a byte of a read-only file."""

from __future__ import annotations

import os
from pathlib import Path


def flip_byte(path: Path, offset: int = 10) -> bytes:
    """Invert one byte of a (read-only) stored file in place; returns the damaged bytes."""
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    os.chmod(path, 0o400)
    return bytes(data)


def problems(proc) -> list[str]:
    """The problem lines of `intake verify`'s output (PROBLEEM in a Dutch case, PROBLÈME in a
    French one, PROBLEM in English)."""
    return [line for line in proc.stdout.splitlines()
            if line.startswith(("PROBLEM: ", "PROBLEEM: ", "PROBLÈME\u00a0: "))]

"""Real cases in tmp_path, driven by the real CLI as a subprocess.

Every case made here uses ``settle_seconds = 0.2`` so that the suite stays
fast; plugins run in-process (``ingest --in-process``) unless a test is about
plugin isolation.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

INTAKE = Path(sys.executable).with_name("intake")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def sha256(data: bytes | Path) -> str:
    if isinstance(data, Path):
        data = data.read_bytes()
    return hashlib.sha256(data).hexdigest()


def run_intake(*args: object, cwd: Path | None = None, timeout: float = 120,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``intake`` command; never raises on a non-zero exit."""
    full_env = dict(os.environ)
    full_env.pop("INTAKE_LOAD_PLUGINS", None)
    if env:
        full_env.update(env)
    return subprocess.run([str(INTAKE), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Assert exit 0, showing what the command said when it was not."""
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr
    return proc


def ingest(case: Path, *paths: object, in_process: bool = True,
           timeout: float = 120) -> dict[str, Any]:
    """``intake ingest --json`` (exit 0 asserted); returns its JSON answer."""
    args: list[object] = ["ingest", "--json", "--case", case]
    if in_process:
        args.append("--in-process")
    proc = ok(run_intake(*args, *paths, timeout=timeout))
    return json.loads(proc.stdout)


def chronology_doc(case: Path, out: Path, timeout: float = 300) -> dict[str, Any]:
    """``intake chronology --format json`` into `out` (exit 0 asserted); the document."""
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json",
                  timeout=timeout))
    return json.loads((out / "chronology.json").read_bytes())


def status(case: Path) -> dict[str, Any]:
    return json.loads(ok(run_intake("status", "--json", "--case", case)).stdout)


def verify(case: Path) -> subprocess.CompletedProcess[str]:
    return run_intake("verify", "--case", case)


def set_config(case: Path, old: str, new: str) -> None:
    """Replace one piece of the case's config text (it must be there)."""
    path = case / "config" / "intake.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in the config"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_config(case: Path, text: str) -> None:
    path = case / "config" / "intake.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def new_case(where: Path, *, settle: float = 0.2) -> Path:
    """A fresh case made by the library's own init (the CLI's init is tested on its own)."""
    from intake.case import init_case

    config = init_case(where)
    set_config(where, "settle_seconds = 1.0", f"settle_seconds = {settle}")
    return config.case_dir


def drop(case: Path, rel: str, data: bytes) -> Path:
    """Put a file into the case's inbox (sub-folders made as needed)."""
    path = case / "inbox" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def replica(case: Path, name: str) -> Path:
    return case / "store" / name


def object_path(rep: Path, sha: str) -> Path:
    return rep / "objects" / sha[:2] / sha


def meta_dir(rep: Path, sha: str) -> Path:
    return rep / "meta" / sha[:2] / sha


def receipts(rep: Path, sha: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_bytes()) for p in sorted((meta_dir(rep, sha) / "receipts")
                                                       .glob("*.json"))]


def stored_objects(rep: Path) -> dict[str, Path]:
    base = rep / "objects"
    return {p.name: p for p in base.glob("*/*") if p.is_file()} if base.is_dir() else {}


def custody_lines(rep: Path) -> list[bytes]:
    out: list[bytes] = []
    for seg in sorted((rep / "custody").glob("*.jsonl")):
        out.extend(seg.read_bytes().splitlines())
    return out


def custody_records(rep: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in custody_lines(rep)]


def inbox_top(case: Path) -> list[str]:
    return sorted(p.name for p in (case / "inbox").iterdir())


def temp_parts(case: Path) -> list[Path]:
    return sorted((case / "store").glob("*/tmp/*"))


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, poll: float = 0.05,
             what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


def ingested(case: Path) -> list[str]:
    """Paths (relative to inbox/ingested) of every original that left the inbox."""
    base = case / "inbox" / "ingested"
    if not base.is_dir():
        return []
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


def with_plugins(case: Path, files: dict[str, str], *, timeout: int | None = None) -> Path:
    """Plugin files in the case's ``plugins.local`` folder, named in its config; returns it.

    `timeout`: the plugins' ``timeout_seconds`` (60 when not given).
    """
    folder = case / "plugins.local"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    set_config(case, "folders = []", 'folders = ["plugins.local"]')
    if timeout is not None:
        set_config(case, "timeout_seconds = 60", f"timeout_seconds = {timeout}")
    return folder

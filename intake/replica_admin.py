"""Adding a replica (a USB stick, a second disk) and checking that it holds everything.

`add_to_config` writes one ``[[replicas]]`` block with tomlkit, so the rest of
the file and its comments stay as the adviser wrote them. `fill` copies every
item and metadata file from verified copies (the custody log is brought up to
date when the case opens); `completeness` then checks, by hash, that the
replica holds all of it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomlkit

from .case import Case
from .config import CONFIG_NAME, load_config
from .custody_chain import check_chain
from .errors import ConfigError, IntakeError
from .files import atomic_write
from .recording import Step, record_line
from .replica import copy_object, verified_copy, verified_meta


def prepare_folder(path: Path) -> tuple[Path, bool]:
    """The new replica's folder, and whether it was made now (from an existing parent).

    It must be empty or a replica of this case already.
    """
    path = Path(path).expanduser().absolute()
    if not path.parent.is_dir():
        raise IntakeError(f"{path.parent} is not there; is the USB stick plugged in?")
    made = not path.exists()
    try:
        path.mkdir(exist_ok=True, mode=0o700)
    except OSError as exc:
        raise IntakeError(f"{path} cannot be made ({exc.strerror})") from exc
    if not path.is_dir():
        raise IntakeError(f"{path} is a file, not a folder; give a folder for the copy")
    if any(path.iterdir()) and not (path / "REPLICA.json").is_file():
        raise IntakeError(f"{path} already holds other files; give an empty folder "
                          "(e.g. a new folder on the USB stick)")
    return path.resolve(), made


def choose_name(case: Case, path: Path, name: str | None) -> str:
    taken = {r.name for r in case.replicas}
    if name:
        if name in taken or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise IntakeError(f"replica name {name!r}: use letters, digits, '-' or '_', "
                              f"and not one already used ({', '.join(sorted(taken))})")
        return name
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", path.name).strip("-").lower() or "copy"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def add_to_config(case_dir: Path, name: str, path: Path) -> str:
    """Append the ``[[replicas]]`` block; returns the old text (to put back on failure)."""
    config_path = case_dir / CONFIG_NAME
    old = config_path.read_text(encoding="utf-8")
    doc = tomlkit.parse(old)
    if "replicas" not in doc:  # the two default replicas were implied: keep them explicit
        doc.append("replicas", tomlkit.aot())
        for default in ("a", "b"):
            doc["replicas"].append({"name": default, "path": f"store/{default}"})
    block = tomlkit.table()
    block.add(tomlkit.comment("added by `intake replica add`"))
    block["name"] = name
    inside = case_dir in path.parents
    block["path"] = path.relative_to(case_dir).as_posix() if inside else str(path)
    block.add(tomlkit.nl())
    doc["replicas"].append(block)
    write_config(config_path, tomlkit.dumps(doc))
    try:
        load_config(case_dir)
    except ConfigError:
        write_config(config_path, old)
        raise
    return old


def write_config(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def fill(case: Case, rep: Any, advance: Callable[[], None] = lambda: None) -> dict[str, int]:
    """Copy every item and metadata file the replica lacks, each verified by its hash."""
    copied = {"items": 0, "meta": 0}
    for sha in case.index.all_items():
        if rep.hash_object(sha) != sha:
            source = verified_copy(case.available, sha, exclude=rep)
            if source is None:
                raise IntakeError(f"no verified copy of item {sha[:12]}… to copy from; "
                                  "run 'intake verify' and 'intake repair' first")
            copy_object(source, rep, sha)
            with Step(case) as step:
                step.line("stored", sha256=sha, replica=rep.name, verified=True,
                          reason="copied to a new replica", meta={})
                step.index(lambda idx, s=sha: idx.set_copy(s, rep.name))
            copied["items"] += 1
        else:
            case.index.set_copy(sha, rep.name)  # held already: no step to record
        advance()
    expected = case.index.meta_hashes()
    for rel, digest in sorted(expected.items()):
        held = rep.read_meta(rel)
        if held is None or hashlib.sha256(held).hexdigest() != digest:
            data = verified_meta(case.available, rel, digest, exclude=rep)
            if data is None:
                raise IntakeError(f"no verified copy of meta/{rel} to copy from; "
                                  "run 'intake verify' and 'intake repair' first")
            if held is not None:
                rep.set_aside_meta(rel)  # kept, never deleted
            rep.write_meta(rel, data)
            record_line(case, "stored", replica=rep.name, meta={rel: digest},
                        reason="metadata copied to a new replica")
            copied["meta"] += 1
        advance()
    return copied


def completeness(case: Case, rep: Any) -> list[str]:
    """What the replica lacks, by hash: items, metadata files, custody lines (empty: all)."""
    lacking = []
    for sha in case.index.all_items():
        if rep.hash_object(sha) != sha:
            lacking.append(f"item {sha}")
    for rel, digest in sorted(case.index.meta_hashes().items()):
        held = rep.read_meta(rel)
        if held is None or hashlib.sha256(held).hexdigest() != digest:
            lacking.append(f"meta/{rel}")
    chain = check_chain(case.log.copy_of(rep))
    if chain.problem or chain.lines != case.log.lines:
        lacking.append(f"custody log ({len(chain.lines)} of {case.log.seq} lines)")
    return lacking

"""The redundant, content-addressed store: every replica holds the exact bytes.

One read pass over a file computes SHA-256, SHA-512 and MD5 and feeds a
temporary copy in every available replica. Each copy is then fsynced,
re-read and verified, renamed to ``objects/<aa>/<sha256>`` and made
read-only. A replica that is absent (unplugged), full or failing is left out
of this write with its reason; the item waits for it (see `pending`).

Replica layout (plain files, so any one replica rebuilds everything)::

    REPLICA.json                      which case and replica this is
    objects/ab/ab12…                  the exact bytes, read-only
    meta/ab/ab12…/item.json           digests, size, type
    meta/ab/ab12…/receipts/<id>.json  one per drop into the inbox
    meta/ab/ab12…/origins/<…>.json    one per parent it was found in
    meta/ab/ab12…/extraction.json     what the plugins read
    custody/0000000001.jsonl          the hash-chained custody log, in segments
    tmp/                              copies being written
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
REPLICA_FORMAT = "intake-replica/1"


@dataclass
class Digests:
    sha256: str
    sha512: str
    md5: str
    size: int


@dataclass
class PutResult:
    """The outcome of storing one file: its digests and each replica's fate."""

    digests: Digests | None = None
    stored: list[str] = field(default_factory=list)  # replicas that now hold it, verified
    written: list[str] = field(default_factory=list)  # of those, newly written this time
    repaired: list[str] = field(default_factory=list)  # held a bad copy, now good
    failed: dict[str, str] = field(default_factory=dict)  # replica -> reason
    temps: dict[str, tuple[FolderReplica, Path]] = field(default_factory=dict)  # not yet committed


class ReplicaUnavailable(Exception):
    """The replica cannot be used now (absent, read-only, full)."""


def hash_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _plain_reason(exc: OSError) -> str:
    reasons = {
        errno.ENOSPC: "the replica is full",
        errno.EDQUOT: "the replica's quota is used up",
        errno.EROFS: "the replica is read-only",
        errno.EACCES: "no permission to write in the replica",
        errno.EPERM: "no permission to write in the replica",
        errno.ENOENT: "the replica's folder disappeared (unplugged?)",
        errno.EIO: "the replica's disk reported an input/output error",
        errno.ENODEV: "the replica's device is gone",
    }
    return reasons.get(exc.errno or 0, f"the replica could not be written ({exc.strerror})")


class FolderReplica:
    """One complete copy of the store in a folder (local disk, USB stick, share)."""

    def __init__(self, name: str, location: str | Path, options: dict | None = None,
                 external: bool = False) -> None:
        self.name = name
        self.root = Path(location)
        self.options = options or {}
        self.external = external

    def __repr__(self) -> str:
        return f"FolderReplica({self.name!r}, {str(self.root)!r})"

    # --- presence -----------------------------------------------------------

    def open(self, case_id: str, create: bool) -> None:
        """Make sure the replica is usable for this case; raise ReplicaUnavailable if not.

        An external replica (outside the case folder) whose folder does not
        exist is absent, not an error: we never create the mount point.
        """
        if not self.root.is_dir():
            if self.external and not create:
                raise ReplicaUnavailable("its folder is not there (unplugged or not mounted?)")
            try:
                self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise ReplicaUnavailable(_plain_reason(exc)) from exc
        marker = self.root / "REPLICA.json"
        if marker.is_file():
            try:
                info = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ReplicaUnavailable(f"its REPLICA.json cannot be read ({exc})") from exc
            if info.get("case_id") != case_id:
                raise ReplicaUnavailable("it belongs to another case "
                                         f"({info.get('case_name', '?')})")
        else:
            try:
                for sub in ("objects", "meta", "tmp"):
                    (self.root / sub).mkdir(exist_ok=True, mode=0o700)
                self._atomic_write(marker, json.dumps(
                    {"format": REPLICA_FORMAT, "case_id": case_id, "replica": self.name},
                    sort_keys=True).encode() + b"\n")
            except OSError as exc:
                raise ReplicaUnavailable(_plain_reason(exc)) from exc
        if not os.access(self.root, os.W_OK):
            raise ReplicaUnavailable("the replica is read-only")
        for sub in ("objects", "meta", "tmp"):
            (self.root / sub).mkdir(exist_ok=True, mode=0o700)

    # --- paths --------------------------------------------------------------

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def meta_path(self, rel: str) -> Path:
        return self.root / "meta" / rel

    @property
    def custody_path(self) -> Path:
        """The custody log's folder of segments."""
        return self.root / "custody"

    def has_object(self, sha256: str) -> bool:
        return self.object_path(sha256).is_file()

    def iter_objects(self) -> Iterable[str]:
        base = self.root / "objects"
        if not base.is_dir():
            return
        for sub in sorted(base.iterdir()):
            if sub.is_dir():
                for p in sorted(sub.iterdir()):
                    if p.is_file():
                        yield p.name

    def iter_meta(self) -> Iterable[str]:
        base = self.root / "meta"
        if not base.is_dir():
            return
        for p in sorted(base.rglob("*.json")):
            if p.is_file():
                yield p.relative_to(base).as_posix()

    # --- writing ------------------------------------------------------------

    def temp_file(self) -> tuple[Path, BinaryIO]:
        tmp = self.root / "tmp"
        self._mkdirs(tmp)
        path = tmp / f"{secrets.token_hex(8)}.part"
        return path, open(path, "xb")

    def commit_object(self, temp: Path, sha256: str) -> str:
        """Verify a written temporary copy and move it into place.

        :return: "written", "present" (a good copy was already there) or
            "repaired" (a damaged copy was there and was replaced).
        """
        if hash_file(temp) != sha256:
            temp.unlink(missing_ok=True)
            raise OSError(errno.EIO, "the copy read back differs from what was written")
        final = self.object_path(sha256)
        outcome = "written"
        if final.is_file():
            if hash_file(final) == sha256:
                temp.unlink(missing_ok=True)
                return "present"
            outcome = "repaired"
        final.parent.mkdir(exist_ok=True, mode=0o700)
        os.chmod(temp, stat.S_IRUSR)
        os.replace(temp, final)
        _fsync_dir(final.parent)
        return outcome

    def _mkdirs(self, folder: Path) -> None:
        """Make folders inside the replica, never the replica's own folder: a USB stick
        pulled out must not come back as a folder on the computer's disk."""
        if not self.root.is_dir():
            raise OSError(errno.ENOENT, "the replica's folder disappeared", str(self.root))
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _atomic_write(self, path: Path, data: bytes) -> None:
        self._mkdirs(path.parent)
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IRUSR)
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    def write_meta(self, rel: str, data: bytes) -> None:
        self._atomic_write(self.meta_path(rel), data)

    def read_meta(self, rel: str) -> bytes:
        return self.meta_path(rel).read_bytes()

    def restore_object(self, sha256: str, source: Path) -> None:
        """Put a good copy (from another replica) in place of a missing or bad one."""
        path, f = self.temp_file()
        with f, open(source, "rb") as src:
            while chunk := src.read(CHUNK):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        final = self.object_path(sha256)
        if hash_file(path) != sha256:
            path.unlink(missing_ok=True)
            raise OSError(errno.EIO, "the restored copy read back wrong")
        final.parent.mkdir(exist_ok=True, mode=0o700)
        if final.exists():
            self._set_aside(final)
        os.chmod(path, stat.S_IRUSR)
        os.replace(path, final)
        _fsync_dir(final.parent)

    def restore_meta(self, rel: str, data: bytes) -> None:
        final = self.meta_path(rel)
        if final.exists():
            self._set_aside(final)
        self._atomic_write(final, data)

    def _set_aside(self, path: Path) -> None:
        """Keep a damaged copy for inspection instead of deleting it."""
        damaged = self.root / "damaged"
        damaged.mkdir(exist_ok=True, mode=0o700)
        rel = path.relative_to(self.root).as_posix().replace("/", "__")
        os.replace(path, damaged / f"{rel}.{secrets.token_hex(4)}")

    def clean_temp(self) -> int:
        """Remove copies left half-written by an interrupted run (never originals)."""
        n = 0
        tmp = self.root / "tmp"
        if tmp.is_dir():
            for p in tmp.glob("*.part"):
                p.unlink(missing_ok=True)
                n += 1
        # metadata files and REPLICA.json are written as ".<name>.<random>.tmp" beside
        # their final name; a run killed before the rename leaves one behind
        stale = list(self.root.glob(".*.tmp"))
        meta = self.root / "meta"
        if meta.is_dir():
            stale += meta.rglob(".*.tmp")
        for p in stale:
            if p.is_file() and not p.is_symlink():
                p.unlink(missing_ok=True)
                n += 1
        return n


_POOL: ThreadPoolExecutor | None = None


def _io_pool() -> ThreadPoolExecutor:
    """Threads for digests, copies and read-backs of big files (one pool per process)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="intake-io")
    return _POOL


def put_stream(source: BinaryIO, replicas: list[FolderReplica]) -> PutResult:
    """Read `source` once: digests, plus a verified copy in each replica.

    A replica that fails mid-way is dropped with its reason; the others go on.
    """
    result = PutResult()
    sha256, sha512, md5 = hashlib.sha256(), hashlib.sha512(), hashlib.md5(usedforsecurity=False)
    size = 0
    temps: dict[str, tuple[FolderReplica, Path, BinaryIO]] = {}
    for rep in replicas:
        try:
            path, f = rep.temp_file()
            temps[rep.name] = (rep, path, f)
        except OSError as exc:
            result.failed[rep.name] = _plain_reason(exc)

    def drop(name: str, exc: OSError) -> None:
        rep, path, f = temps.pop(name)
        result.failed[name] = _plain_reason(exc)
        try:
            f.close()
        except OSError:
            pass
        path.unlink(missing_ok=True)

    try:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if len(chunk) < CHUNK and size == len(chunk):  # a small file: no threads needed
                sha256.update(chunk)
                sha512.update(chunk)
                md5.update(chunk)
                for name in list(temps):
                    try:
                        temps[name][2].write(chunk)
                    except OSError as exc:
                        drop(name, exc)
                continue
            # hashlib and file writes release the GIL: the other digests and the
            # copies proceed on the other cores while this thread does SHA-256
            pool = _io_pool()
            extra = [pool.submit(sha512.update, chunk), pool.submit(md5.update, chunk)]
            writes = {name: pool.submit(temps[name][2].write, chunk) for name in temps}
            sha256.update(chunk)
            for job in extra:
                job.result()
            for name, job in writes.items():
                try:
                    job.result()
                except OSError as exc:
                    drop(name, exc)
        for name in list(temps):
            try:
                f = temps[name][2]
                f.flush()
                os.fsync(f.fileno())
                f.close()
            except OSError as exc:
                drop(name, exc)
    except BaseException:
        for name in list(temps):
            rep, path, f = temps.pop(name)
            f.close()
            path.unlink(missing_ok=True)
        raise
    result.digests = Digests(sha256.hexdigest(), sha512.hexdigest(), md5.hexdigest(), size)
    result.temps = {name: (rep, path) for name, (rep, path, _f) in temps.items()}
    return result


def commit(result: PutResult) -> PutResult:
    """Second half of a put: verify and rename each replica's temporary copy."""
    assert result.digests is not None
    sha = result.digests.sha256
    if result.digests.size >= CHUNK and len(result.temps) > 1:
        # read back and verify the copies side by side
        jobs = {name: _io_pool().submit(_commit_one, rep, path, sha)
                for name, (rep, path) in result.temps.items()}
        outcomes = {name: job.result() for name, job in jobs.items()}
    else:
        outcomes = {name: _commit_one(rep, path, sha) for name, (rep, path) in result.temps.items()}
    for name, (_rep, path) in result.temps.items():
        outcome = outcomes[name]
        if isinstance(outcome, OSError):
            path.unlink(missing_ok=True)
            result.failed[name] = (_plain_reason(outcome) if outcome.errno != errno.EIO
                                   else str(outcome.strerror))
            continue
        result.stored.append(name)
        if outcome == "written":
            result.written.append(name)
        elif outcome == "repaired":
            result.repaired.append(name)
    result.temps = {}
    return result


def _commit_one(rep: FolderReplica, path: Path, sha256: str) -> str | OSError:
    try:
        return rep.commit_object(path, sha256)
    except OSError as exc:
        return exc


def discard(result: PutResult) -> None:
    """Throw away the temporary copies of a put that must not be kept."""
    for _name, (_rep, path) in result.temps.items():
        path.unlink(missing_ok=True)
    result.temps = {}

"""The folder replica: the built-in kind of ``intake.replica.Replica``.

Every copy is written to a temporary name, fsynced, re-read from the disk
(its cached pages dropped first) and verified,
renamed to ``objects/<aa>/<sha256>`` and made read-only (``intake/put.py``
feeds every folder in one read pass). A replica that is absent (unplugged),
full or failing is left out of a write with its reason.

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
import json
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .event_stream import RecordBytes
from .files import (
    atomic_write,
    fsync_dir,
    fsync_path,
    has_syncfs,
    sha256_file,
    sha256_from_disk,
    syncfs,
)
from .replica import CHUNK, ReplicaUnavailable

REPLICA_FORMAT = "intake-replica/1"
#: how a folder's group-commit barrier makes a batch durable: "syncfs" (one call per
#: file system, Linux) or "fsync" (each file written and each folder touched);
#: measured in bench/profile-notes.md ("Session 5: group commit")
BARRIER = os.environ.get("INTAKE_BARRIER", "syncfs")
SEGMENT_GLOB = "*.jsonl"  # the custody log's segments (as intake.custody names them)


def plain_reason(exc: OSError) -> str:
    """What an OSError on a replica means, in words people read (messages.py translates)."""
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
    """One complete copy of the store in a folder (local disk, USB stick, share).

    The built-in kind of ``intake.replica.Replica``. Beside that interface it
    offers the pipeline's fast path (`temp_file`, `commit_object`: one read
    pass feeds every folder at once) and, for the custody log's writer,
    `custody_path`.
    """

    def __init__(self, name: str, location: str | Path, options: dict | None = None,
                 external: bool = False) -> None:
        self.name = name
        self.root = Path(location)
        # the folders as text: a path per file is made by formatting, not by
        # pathlib's joins (a third of the CLI's per-file CPU went to pathlib)
        self._objects = f"{self.root}/objects"
        self._meta = f"{self.root}/meta"
        self.options = options or {}
        self.external = external
        self.batching = False  # inside a group commit: fsyncs wait for `barrier`
        self._dirty: set[str] = set()  # files and folders written since `begin_batch`
        #: folders this process made or found inside the replica: not made again per file
        self._folders: set[str] = set()

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
                raise ReplicaUnavailable(plain_reason(exc)) from exc
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
                raise ReplicaUnavailable(plain_reason(exc)) from exc
        if not os.access(self.root, os.W_OK):
            raise ReplicaUnavailable("the replica is read-only")
        for sub in ("objects", "meta", "tmp"):
            (self.root / sub).mkdir(exist_ok=True, mode=0o700)

    # --- paths --------------------------------------------------------------

    def object_path(self, sha256: str) -> Path:
        return Path(f"{self._objects}/{sha256[:2]}/{sha256}")

    def meta_path(self, rel: str) -> Path:
        return Path(f"{self._meta}/{rel}")

    @property
    def custody_path(self) -> Path:
        """The custody log's folder of segments."""
        return self.root / "custody"

    def has_object(self, sha256: str) -> bool:
        return self.object_path(sha256).is_file()

    def object_size(self, sha256: str) -> int | None:
        try:
            return self.object_path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def hash_object(self, sha256: str, read_data: bool = False) -> str | None:
        path = self.object_path(sha256)  # always re-read: `read_data` changes nothing here
        return sha256_file(path) if path.is_file() else None

    def open_object(self, sha256: str) -> BinaryIO:
        return open(self.object_path(sha256), "rb")

    def object_file(self, sha256: str) -> Path | None:
        path = f"{self._objects}/{sha256[:2]}/{sha256}"
        return Path(path) if os.path.isfile(path) else None

    def health(self) -> str | None:
        return None if self.root.is_dir() else "its folder disappeared (unplugged?)"

    def case_of(self) -> str | None:
        try:
            info = json.loads((self.root / "REPLICA.json").read_text(encoding="utf-8"))
            return str(info["case_id"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        return str(self.root)

    def list_objects(self) -> Iterable[str]:
        base = self.root / "objects"
        if not base.is_dir():
            return
        for sub in sorted(base.iterdir()):
            if sub.is_dir():
                for p in sorted(sub.iterdir()):
                    if p.is_file():
                        yield p.name

    def list_meta(self) -> Iterable[str]:
        base = self.root / "meta"
        if not base.is_dir():
            return
        for p in sorted(base.rglob("*.json")):
            if p.is_file():
                yield p.relative_to(base).as_posix()

    # --- writing ------------------------------------------------------------

    def temp_file(self) -> tuple[Path, BinaryIO]:
        tmp = f"{self.root}/tmp"
        self._mkdirs(tmp)
        path = Path(f"{tmp}/{secrets.token_hex(8)}.part")
        try:
            return path, open(path, "xb")
        except FileNotFoundError:  # the folder was removed since: made again, once
            self._folders.clear()
            self._mkdirs(tmp)
            return path, open(path, "xb")

    def commit_object(self, temp: Path, sha256: str, reread: str | None = None) -> str:
        """Verify a written temporary copy and move it into place.

        :param reread: the copy's SHA-256 as already read back from the disk
            while it was written (``intake.put``, big files); else it is read here.
        :return: "written", "present" (a good copy was already there) or
            "repaired" (a damaged copy was there and was replaced).
        """
        if reread is None:
            reread = sha256_from_disk(temp)  # fsynced by the caller: read from the disk
        if reread != sha256:
            temp.unlink(missing_ok=True)
            raise OSError(errno.EIO, "the copy read back differs from what was written")
        folder = f"{self._objects}/{sha256[:2]}"
        final = f"{folder}/{sha256}"
        outcome = "written"
        if os.path.isfile(final):
            if sha256_file(Path(final)) == sha256:
                temp.unlink(missing_ok=True)
                return "present"
            outcome = "repaired"
        os.chmod(temp, stat.S_IRUSR)
        self._mkdirs(folder)
        try:
            os.replace(temp, final)
        except FileNotFoundError:  # its folder was removed since: made again, once
            self._folders.clear()
            self._mkdirs(folder)
            os.replace(temp, final)
        if self.batching:
            self._touched(final)
        else:
            fsync_dir(folder)
        return outcome

    # --- group commit (intake.recording.GroupCommit) -------------------------

    def begin_batch(self) -> None:
        """Until `barrier`, objects and metadata files are written without fsyncs."""
        self.batching = True

    def barrier(self) -> None:
        """Make every object and metadata file written since `begin_batch` durable.

        One ``syncfs`` of the replica's file system where Linux has it (one call
        for the whole batch), else an fsync of each file and each folder touched.
        """
        dirty, self._dirty = self._dirty, set()
        self.batching = False
        if not dirty:
            return
        if not self.root.is_dir():  # unplugged before its batch was on the disk
            raise OSError(errno.ENOENT, "the replica's folder disappeared", str(self.root))
        if BARRIER == "syncfs" and syncfs(self.root):
            return
        # files first, then their folders (the renames), deepest first
        for path in sorted(map(Path, dirty), key=lambda p: (p.is_dir(), -len(p.parts))):
            try:
                fsync_path(path)
            except FileNotFoundError:
                continue  # set aside or replaced meanwhile: its successor is listed too
            except IsADirectoryError:
                continue

    def _touched(self, path: str) -> None:
        """Remember a file written in a batch, with every folder up to the root (the
        folders only where the barrier will fsync one by one: ``syncfs`` takes all)."""
        self._dirty.add(path)
        if BARRIER == "syncfs" and has_syncfs():
            return
        root = os.fspath(self.root)
        folder = os.path.dirname(path)
        while folder != root and folder.startswith(root + os.sep):
            if folder in self._dirty:
                break
            self._dirty.add(folder)
            folder = os.path.dirname(folder)

    def _mkdirs(self, folder: str | Path) -> None:
        """Make folders inside the replica, never the replica's own folder: a USB stick
        pulled out must not come back as a folder on the computer's disk."""
        folder = os.fspath(folder)
        if folder in self._folders:  # made before: a write into it fails if it went
            return
        if not os.path.isdir(self.root):
            raise OSError(errno.ENOENT, "the replica's folder disappeared", str(self.root))
        try:
            os.mkdir(folder, 0o700)  # most often only the last folder is new
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
        except FileNotFoundError:
            Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
        self._folders.add(folder)

    def _atomic_write(self, path: str | Path, data: bytes | RecordBytes) -> None:
        path = os.fspath(path)
        folder = os.path.dirname(path)

        def write() -> None:
            atomic_write(path, data.pieces() if isinstance(data, RecordBytes) else data,
                         read_only=True, durable=not self.batching)

        self._mkdirs(folder)
        try:
            write()
        except FileNotFoundError:  # its folder was removed since: made again, once
            self._folders.clear()
            self._mkdirs(folder)
            write()
        if self.batching:
            self._touched(path)

    #: `write_meta` takes ``event_stream.RecordBytes`` too, its pieces written as they
    #: come (``Step.meta``: a phone backup's extraction record)
    takes_pieces = True

    def write_meta(self, rel: str, data: bytes | RecordBytes) -> None:
        self._atomic_write(f"{self._meta}/{rel}", data)

    def read_meta(self, rel: str) -> bytes | None:
        try:
            return self.meta_path(rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def put_object(self, sha256: str, source: BinaryIO) -> str:
        """Copy a stream in, fsynced and re-read; a damaged copy in the way is set aside."""
        path, f = self.temp_file()
        try:
            with f:
                while chunk := source.read(CHUNK):
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if sha256_from_disk(path) != sha256:
                raise OSError(errno.EIO, "the copy read back differs from what was written")
            final = self.object_path(sha256)
            outcome = "written"
            if final.exists():
                if final.is_file() and sha256_file(final) == sha256:
                    return "present"
                self._set_aside(final)
                outcome = "repaired"
            final.parent.mkdir(exist_ok=True, mode=0o700)
            os.chmod(path, stat.S_IRUSR)
            os.replace(path, final)
            fsync_dir(final.parent)
            return outcome
        finally:
            path.unlink(missing_ok=True)

    def set_aside_object(self, sha256: str) -> None:
        self._set_aside(self.object_path(sha256))

    def set_aside_meta(self, rel: str) -> None:
        self._set_aside(self.meta_path(rel))

    # --- the custody log's segments -------------------------------------------

    def append_custody(self, segment: str, data: bytes) -> None:
        self._mkdirs(self.custody_path)
        with open(self.custody_path / segment, "ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def read_custody(self) -> list[tuple[str, bytes]]:
        folder = self.custody_path
        if not folder.is_dir():
            return []
        return [(p.name, p.read_bytes())
                for p in sorted(folder.glob(SEGMENT_GLOB)) if p.is_file()]

    def set_aside_custody(self, segment: str) -> None:
        self._set_aside(self.custody_path / segment)

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

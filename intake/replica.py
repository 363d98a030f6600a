"""The one interface the core uses for a replica, and "a verified copy of X".

A replica is one complete copy of the store. Kinds: ``folder`` (built in,
``intake.store.FolderReplica``), ``s3`` (built in, ``intake.s3.S3Replica``: a
bucket with Object Lock, docs/s3.md), more through the
``intake_storage_backends`` hook (``intake/hookspecs.py``). A kind implements the
`Replica` protocol below; ``intake.conformance`` is the test suite every kind
must pass (``tests/core/test_replica_conformance.py`` runs it on every kind
that is loaded).

The operations fit an object store as well as a folder: objects are named by
their SHA-256 and put from a stream, metadata files by a relative name
(``ab/ab12…/item.json``), the custody log is a set of append-only segments,
and nothing is ever deleted: a damaged copy is set aside.

Nobody outside a replica kind reads its private parts. Wanting "a copy of
item X that still has its SHA-256" is `verified_copy`; a metadata file whose
hash the custody log recorded is `verified_meta`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

CHUNK = 1 << 20


class ReplicaUnavailable(Exception):
    """The replica cannot be used now (absent, read-only, full); the message says why."""


@runtime_checkable
class Replica(Protocol):
    """What the core asks of one copy of the store. Every method may raise OSError."""

    #: the replica's name in the case's config (what people read: "usb", not a folder name)
    name: str
    #: outside the case folder (a USB stick, a bucket): may be absent, never created then
    external: bool

    # --- presence -----------------------------------------------------------

    def open(self, case_id: str, create: bool) -> None:
        """Make sure the replica serves this case; raise ReplicaUnavailable with the reason.

        :param create: make the replica if it is not there yet (never for an
            absent external one).
        """

    def health(self) -> str | None:
        """None while an opened replica can still be reached, else the plain reason
        (checked before each file: a USB stick pulled out, a bucket gone)."""

    def case_of(self) -> str | None:
        """The id of the case this replica serves (from its marker), or None if unknown."""

    def describe(self) -> str:
        """Where it is, for people: a folder, a bucket URL."""

    def clean_temp(self) -> int:
        """Remove copies left half-written by an interrupted run; returns how many."""

    # --- group commit (``intake.recording.GroupCommit``) --------------------

    def begin_batch(self) -> None:
        """Writes from now until `barrier` need not be durable each on its own.

        A folder skips its per-file fsyncs; a kind durable on each write (s3)
        does nothing. Reading back what was written must work meanwhile.
        """

    def barrier(self) -> None:
        """Make every write since `begin_batch` durable, then end the batch.

        Called before the batch's custody lines are written and before any of
        its originals leaves the inbox. A no-op for a kind durable on each
        write (s3), and when nothing was written.
        """

    # --- objects (the exact bytes, named by SHA-256) ------------------------

    def put_object(self, sha256: str, source: BinaryIO) -> str:
        """Store the bytes read from `source` as `sha256`, verified before they count.

        :return: "written", "present" (a good copy was there already) or
            "repaired" (a damaged copy was there; it is set aside, never deleted).
        :raises OSError: the bytes read back do not have this SHA-256, or writing failed.
        """

    def open_object(self, sha256: str) -> BinaryIO:
        """The stored bytes, for reading. :raises FileNotFoundError: not held."""

    def has_object(self, sha256: str) -> bool:
        """Whether a copy is held (good or not: `hash_object` says which)."""

    def object_size(self, sha256: str) -> int | None:
        """The stored copy's size in bytes, or None if not held."""

    def hash_object(self, sha256: str, read_data: bool = False) -> str | None:
        """The SHA-256 of the stored copy as it is now, or None if not held.

        A kind whose service keeps a checksum of each object (s3) may answer from
        it; `read_data` asks it to read the bytes back and hash them instead
        (``intake verify --read-data``). A folder always re-reads.
        """

    def list_objects(self) -> Iterable[str]:
        """The SHA-256 of every object held, in order."""

    def object_file(self, sha256: str) -> Path | None:
        """A local file with the object's bytes for readers that need a path (plugins,
        the PDF writer); a remote kind gives a cached copy. None if not held."""

    def set_aside_object(self, sha256: str) -> None:
        """Move a damaged copy aside (kept for inspection, never deleted)."""

    # --- metadata files (item.json, receipts, extraction.json, curation) -----

    def write_meta(self, rel: str, data: bytes) -> None:
        """Write a metadata file whole (atomic: the old or the new, never half)."""

    def read_meta(self, rel: str) -> bytes | None:
        """A metadata file's bytes, or None if there is none."""

    def list_meta(self) -> Iterable[str]:
        """The relative name of every metadata file, in order."""

    def set_aside_meta(self, rel: str) -> None:
        """Move a damaged metadata file aside (kept, never deleted)."""

    # --- the custody log (append-only segments) ------------------------------

    def append_custody(self, segment: str, data: bytes) -> None:
        """Append whole lines to a segment of the custody log, durably.

        ``intake.custody_copies.ReplicaLog`` calls it once per sync with the
        lines written since, so a remote kind gets one request per sync."""

    def read_custody(self) -> list[tuple[str, bytes]]:
        """Every segment of the custody log, (name, bytes), in order."""

    def set_aside_custody(self, segment: str) -> None:
        """Move a damaged custody segment aside (kept, never deleted)."""


def hash_stream(f: BinaryIO) -> str:
    """SHA-256 of everything left in a binary stream, read in chunks."""
    return hashlib.file_digest(f, "sha256").hexdigest()


def verified_copy(replicas: Sequence[Replica], sha256: str,
                  exclude: Replica | None = None) -> Replica | None:
    """The first replica (other than `exclude`) whose copy of `sha256` still has that hash.

    The one rule for every copy made from another (repair, catch-up, a new
    replica, the reports): only from a copy whose bytes were re-hashed just now.
    """
    for rep in replicas:
        if rep is not exclude and rep.hash_object(sha256) == sha256:
            return rep
    return None


def verified_meta(replicas: Sequence[Replica], rel: str, digest: str | None,
                  exclude: Replica | None = None) -> bytes | None:
    """A metadata file from a replica (other than `exclude`) whose SHA-256 is `digest`.

    `digest` is the hash the custody log recorded; with None nothing is trusted.
    """
    if not digest:
        return None
    for rep in replicas:
        if rep is exclude:
            continue
        try:
            data = rep.read_meta(rel)
        except OSError:  # unreadable here: another replica may do
            continue
        if data is not None and hashlib.sha256(data).hexdigest() == digest:
            return data
    return None


def meta_reader(rep: Replica) -> Callable[[str], bytes | None]:
    """`rep.read_meta`, for reading many metadata files one after the other: for a
    folder replica that reads them the built-in way, the same read without pathlib.

    A `Path` made and opened per file was three quarters of the CPU of reading a
    case's 7,748 small metadata files (0.4 s of 0.55 s per replica: issue 19,
    point 6). Same answers: the file's bytes, None where `read_meta` says None
    (no such file, a folder in the way); other errors raised. A name `Path` would
    read otherwise (absolute, "." or "..", doubled or trailing "/") goes to
    `read_meta` itself.
    """
    from .store import FolderReplica

    if type(rep).read_meta is not FolderReplica.read_meta:  # another kind, or its own way
        return rep.read_meta
    base = os.fspath(rep.meta_path(""))  # type: ignore[attr-defined]

    def read(rel: str) -> bytes | None:
        if not rel or rel[0] in "/." or "//" in rel or "/." in rel or rel[-1] == "/":
            return rep.read_meta(rel)
        try:
            with open(f"{base}/{rel}", "rb", buffering=0) as f:
                return f.readall()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    return read


def copy_object(source: Replica, target: Replica, sha256: str) -> str:
    """Put `source`'s copy of an object into `target` (verified again there)."""
    with source.open_object(sha256) as f:
        return target.put_object(sha256, f)

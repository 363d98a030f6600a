"""Putting one file into every replica: one read pass, every copy verified.

One read pass over a file computes SHA-256, SHA-512 and MD5 and feeds a
temporary copy in every available folder replica (their fast path); any other
kind of replica is fed from one spooled local copy through
``Replica.put_object``. Each copy is fsynced (big files: the copies side by
side; inside a group commit: by the batch's barrier, before any original leaves
the inbox), re-read from the disk, not from the page cache, and verified before
it counts; a replica that fails is left out with its reason.

A file bigger than one `SEGMENT` is re-read while it is still being written
(`_ReadBack`): each finished segment of a copy is pushed to the device
(``sync_file_range``), read back with ``O_DIRECT`` and compared byte for byte
with what was written, on another thread while the next segment is written,
so the read-back overlaps the writing instead of following it. Where the
system has no ``sync_file_range`` (macOS, Windows) or the file system refuses
``O_DIRECT``, the copy is re-read whole at `commit`, as before.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from . import files
from .replica import CHUNK, Replica
from .store import FolderReplica, plain_reason


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
    # other kinds of replica (no local temporary file): fed from one spooled copy at commit
    later: list[Replica] = field(default_factory=list)
    spool: BinaryIO | None = None
    #: the file's first bytes (`HEAD`), for sniffing its type without opening the copy
    head: bytes = b""
    #: replica -> SHA-256 of its copy as re-read from the disk while it was written
    #: (the source's, when every byte re-read was the byte written)
    reread: dict[str, str] = field(default_factory=dict)


HEAD = 8192  # bytes the sniffers read
_POOL: ThreadPoolExecutor | None = None


def _segment_size() -> int:
    # a test sets INTAKE_COPY_SEGMENT to see several segments in a small file;
    # always whole chunks (aligned, as O_DIRECT reads want)
    wanted = int(os.environ.get("INTAKE_COPY_SEGMENT", 8 << 20))
    return max(CHUNK, wanted // CHUNK * CHUNK)


#: a big file's copies are pushed to the disk and re-read in segments of this size
#: (bench/profile-notes.md, Session 8: 8 MiB, two in flight, as fast as 32 MiB
#: and a quarter of the bytes kept)
SEGMENT = _segment_size()
#: segments of one copy on their way to the disk or being re-read while the next is
#: written (the bytes of these and of the one being written are kept: about
#: (IN_FLIGHT + 1) * SEGMENT per file, whatever its size)
IN_FLIGHT = 2


class _ReadBack:
    """One copy re-read from the disk segment by segment while the rest is written.

    After a segment is written, ``sync_file_range`` starts writing it to the
    device at once; a thread of the copy's own waits until it is there, reads
    it back past the page cache (``O_DIRECT``) and compares it byte for byte
    with the source's bytes that were written there (kept until then), while
    the caller writes the next segment. A comparison costs a tenth of a SHA-256
    of the copy and proves more. At most `IN_FLIGHT` segments are on their way
    per copy (the caller waits before handing over another), which bounds the
    dirty pages and the bytes kept.
    """

    def __init__(self, path: Path, f: BinaryIO) -> None:
        self.f = f
        # refused where the file system takes no O_DIRECT: the caller then
        # keeps the whole-file re-read at commit
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        self.differs = False  # a re-read byte was not the byte written
        self.done = 0  # bytes pushed and re-read so far
        self.jobs: list[Future[None]] = []  # segments handed over, in order
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-reread")

    @staticmethod
    def possible() -> bool:
        return files.has_sync_file_range() and bool(getattr(os, "O_DIRECT", 0))

    def hand_over(self, end: int, written: list[bytes]) -> None:
        """Start writing [done, end), which holds `written`, to the device, and have
        it re-read once it is there; waits while `IN_FLIGHT` segments are ahead of
        it (raises their error)."""
        while len(self.jobs) >= IN_FLIGHT:
            self.jobs.pop(0).result()
        if end == self.done:  # nothing new (the file ended on a segment's end)
            return
        self.f.flush()
        # the device starts on it now, while earlier segments are still read back
        files.sync_file_range(self.f.fileno(), self.done, end - self.done, wait=False)
        self.jobs.append(self.pool.submit(self._push_and_compare, self.done, end, written))
        self.done = end

    def wait(self) -> None:
        """Until every segment handed over is re-read (raises the first error)."""
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job.result()

    def _push_and_compare(self, start: int, end: int, written: list[bytes]) -> None:
        files.sync_file_range(self.f.fileno(), start, end - start)
        same = _Same(written)
        got = files.read_direct(self.fd, start, end, same)
        if got != end - start or not same.so_far:
            self.differs = True

    def close(self) -> None:
        try:
            self.wait()
        except Exception:  # noqa: BLE001 - already reported: the copy was dropped with it
            pass
        finally:
            self.pool.shutdown(wait=True)
            os.close(self.fd)


def _split(pieces: list[bytes], keep: int) -> tuple[list[bytes], list[bytes]]:
    """The first `keep` bytes of `pieces`, and the rest (a piece cut in two if need be)."""
    head: list[bytes] = []
    for i, piece in enumerate(pieces):
        if keep >= len(piece):
            head.append(piece)
            keep -= len(piece)
            continue
        if keep:
            head.append(piece[:keep])
        return head, [piece[keep:], *pieces[i + 1:]]
    return head, []


class _Same:
    """Compares pieces read back, in order, with the pieces that were written."""

    def __init__(self, written: list[bytes]) -> None:
        self.written = written
        self.index = 0  # the written piece being compared
        self.offset = 0  # how far into it
        self.so_far = True

    def __call__(self, piece: memoryview) -> None:
        if not self.so_far:
            return
        data = bytes(piece)  # one copy: comparing memoryviews goes byte by byte
        pos = 0
        while pos < len(data):
            if self.index >= len(self.written):  # more on the disk than was written
                self.so_far = False
                return
            chunk = self.written[self.index]
            take = min(len(data) - pos, len(chunk) - self.offset)
            if data[pos:pos + take] != chunk[self.offset:self.offset + take]:
                self.so_far = False
                return
            pos += take
            self.offset += take
            if self.offset == len(chunk):
                self.index, self.offset = self.index + 1, 0


def _forget_pool() -> None:
    """A forked child has none of its parent's threads, so the parent's pool would
    take work and never do it: the child makes its own at its first big file."""
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _io_pool() -> ThreadPoolExecutor:
    """Threads for digests, copies and read-backs of big files (one pool per process)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="intake-io")
    return _POOL


def put_stream(source: BinaryIO, replicas: list[Replica]) -> PutResult:
    """Read `source` once: digests, plus a verified copy in each replica.

    Folder replicas get their temporary copy in the same read pass; any other
    kind (``Replica.put_object``) is fed at `commit` from one spooled local copy.
    A replica that fails mid-way is dropped with its reason; the others go on.
    """
    result = PutResult()
    sha256, sha512, md5 = hashlib.sha256(), hashlib.sha512(), hashlib.md5(usedforsecurity=False)
    size = 0
    temps: dict[str, tuple[FolderReplica, Path, BinaryIO]] = {}
    result.later = [rep for rep in replicas if not isinstance(rep, FolderReplica)]
    if result.later:
        result.spool = tempfile.TemporaryFile()

    def spool(chunk: bytes) -> None:
        if result.spool is None:
            return
        try:
            result.spool.write(chunk)
        except OSError as exc:
            for rep in result.later:
                result.failed[rep.name] = plain_reason(exc)
            result.later = []
            result.spool.close()
            result.spool = None

    for rep in replicas:
        if not isinstance(rep, FolderReplica):
            continue
        try:
            path, f = rep.temp_file()
            temps[rep.name] = (rep, path, f)
        except OSError as exc:
            result.failed[rep.name] = plain_reason(exc)

    rereads: dict[str, _ReadBack] = {}  # copies re-read while written (big files)
    segment_start = 0  # where the segment being written began

    def drop(name: str, exc: OSError) -> None:
        rep, path, f = temps.pop(name)
        result.failed[name] = plain_reason(exc)
        back = rereads.pop(name, None)
        if back is not None:
            back.close()
        try:
            f.close()
        except OSError:
            pass
        path.unlink(missing_ok=True)

    # the bytes of the segment being written, kept until its copies are re-read
    # (only where that can happen while writing: `_ReadBack`)
    segment: list[bytes] | None = [] if temps and _ReadBack.possible() else None

    def hand_over(end: int) -> None:
        """The segment ending at `end` is written: push and re-read it (big files)."""
        if not rereads and segment_start == 0 and segment is not None:  # the first segment
            for name, (_rep, path, f) in temps.items():
                try:
                    rereads[name] = _ReadBack(path, f)
                except OSError:  # no O_DIRECT here: re-read whole at commit
                    pass
        for name in list(rereads):
            try:
                rereads[name].hand_over(end, segment or [])
            except OSError as exc:
                drop(name, exc)

    try:
        while chunk := source.read(CHUNK):
            if not size:
                result.head = chunk[:HEAD]
            size += len(chunk)
            if segment is not None:
                segment.append(chunk)
            if len(chunk) < CHUNK and size == len(chunk):  # a small file: no threads needed
                sha256.update(chunk)
                sha512.update(chunk)
                md5.update(chunk)
                spool(chunk)
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
            spool(chunk)
            sha256.update(chunk)
            for job in extra:
                job.result()
            for name, job in writes.items():
                try:
                    job.result()
                except OSError as exc:
                    drop(name, exc)
            if segment is not None and size - segment_start >= SEGMENT:
                end = size - size % mmap.PAGESIZE  # O_DIRECT reads whole pages
                if end > segment_start:
                    segment, rest = _split(segment, end - segment_start)
                    hand_over(end)
                    segment_start, segment = end, (rest if rereads else None)
        if rereads:  # the last segment, then every re-read is through
            hand_over(size)
            for name in list(rereads):
                try:
                    rereads[name].wait()
                except OSError as exc:
                    drop(name, exc)
        # one fsync per copy; for a big file the copies' fsyncs run side by side
        # (each waits for its own disk), as the copies were written. Inside a group
        # commit none here: the batch's barrier makes them durable.
        if size >= CHUNK and len(temps) > 1:
            synced = {name: _io_pool().submit(_finisher(temps[name][0]), temps[name][2])
                      for name in temps}
            outcomes = {name: job.exception() for name, job in synced.items()}
        else:
            outcomes = {name: _error_of(_finisher(temps[name][0]), temps[name][2])
                        for name in temps}
        for name, error in outcomes.items():
            if isinstance(error, OSError):
                drop(name, error)
            elif error is not None:
                raise error
    except BaseException:
        if result.spool is not None:
            result.spool.close()
        for back in rereads.values():
            back.close()
        rereads.clear()
        for name in list(temps):
            rep, path, f = temps.pop(name)
            f.close()
            path.unlink(missing_ok=True)
        raise
    result.digests = Digests(sha256.hexdigest(), sha512.hexdigest(), md5.hexdigest(), size)
    for name, back in rereads.items():
        back.close()
        if name in temps:  # every byte re-read was the byte written: it has the source's SHA-256
            result.reread[name] = "the copy read back differs" if back.differs \
                else result.digests.sha256
    result.temps = {name: (rep, path) for name, (rep, path, _f) in temps.items()}
    return result


def _sync_close(f: BinaryIO) -> None:
    f.flush()
    os.fsync(f.fileno())
    f.close()


def _close(f: BinaryIO) -> None:
    f.flush()
    f.close()


def _finisher(rep: object) -> Callable[[BinaryIO], None]:
    """fsync and close; only close inside a group commit (its barrier fsyncs)."""
    return _close if getattr(rep, "batching", False) else _sync_close


def _error_of(fn: Callable[[BinaryIO], None], f: BinaryIO) -> BaseException | None:
    try:
        fn(f)
    except OSError as exc:
        return exc
    return None


def commit(result: PutResult) -> PutResult:
    """Second half of a put: verify and rename each replica's temporary copy.

    Each copy is read back from the disk (its cached pages dropped after the
    fsync: ``files.sha256_from_disk``), side by side for a big file, unless it
    was re-read segment by segment while it was written (`PutResult.reread`).
    """
    assert result.digests is not None
    sha = result.digests.sha256
    reread = result.reread
    if result.digests.size >= CHUNK and len(result.temps) > 1 and not reread:
        # read back and verify the copies side by side
        jobs = {name: _io_pool().submit(_commit_one, rep, path, sha)
                for name, (rep, path) in result.temps.items()}
        outcomes = {name: job.result() for name, job in jobs.items()}
    else:
        outcomes = {name: _commit_one(rep, path, sha, reread.get(name))
                    for name, (rep, path) in result.temps.items()}
    for name, (_rep, path) in result.temps.items():
        if isinstance(outcomes[name], OSError):
            path.unlink(missing_ok=True)
    if result.spool is not None:  # the other kinds, from the spooled copy
        with result.spool:
            for rep in result.later:
                result.spool.seek(0)
                try:
                    outcomes[rep.name] = rep.put_object(sha, result.spool)
                except OSError as exc:
                    outcomes[rep.name] = exc
        result.spool = None
    for name, outcome in outcomes.items():
        if isinstance(outcome, OSError):
            result.failed[name] = (plain_reason(outcome) if outcome.errno != errno.EIO
                                   else str(outcome.strerror))
            continue
        result.stored.append(name)
        if outcome == "written":
            result.written.append(name)
        elif outcome == "repaired":
            result.repaired.append(name)
    result.temps = {}
    return result


def _commit_one(rep: FolderReplica, path: Path, sha256: str,
                reread: str | None = None) -> str | OSError:
    try:
        if reread is not None:  # re-read from the disk while it was written
            return rep.commit_object(path, sha256, reread=reread)
        return rep.commit_object(path, sha256)
    except OSError as exc:
        return exc


def discard(result: PutResult) -> None:
    """Throw away the temporary copies of a put that must not be kept."""
    for _name, (_rep, path) in result.temps.items():
        path.unlink(missing_ok=True)
    result.temps = {}
    if result.spool is not None:
        result.spool.close()
        result.spool = None

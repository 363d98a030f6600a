"""Recording one step as a unit of work, and group commit of many steps.

Every step that changes the evidence record (a file stored, received,
extracted, settled; a repair, a curation decision, a timestamp) is recorded
the same way, in this order:

1. its metadata files, written to every available replica;
2. its custody line(s), carrying the SHA-256 of those files;
3. the index change, in one transaction that also stores the custody
   sequence (``custody_seq``) the index now knows.

A crash between any two leaves nothing the next run cannot finish: a
metadata file no custody line vouches for is written again by the retry (or
ignored: only files the log vouches for count); custody lines the index does
not know make `Case.open` rebuild the index (its ``custody_seq`` differs from
the log's). `Step` is that order, written once.

Group commit (issue 19): inside `GroupCommit`, replicas skip their fsyncs
(``Replica.begin_batch``) and the custody log holds its lines in memory. The
barrier (`GroupCommit.barrier`, also run by any ``CustodyLog.sync``) first
makes every replica's objects and metadata files durable
(``Replica.barrier``), then writes the held lines and fsyncs the log: so the
order "metadata, then custody" holds on disk after a power cut too, and no
original leaves the inbox before the barrier. The batch's index changes are one
SQLite transaction (each step a savepoint in it), committed after the lines:
metadata, custody, index, as in a `Step`, with one commit per batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .event_stream import RecordBytes

if TYPE_CHECKING:
    from .index import Index

IndexChange = Callable[["Index"], object]


class Step:
    """One recorded step: ``with Step(case) as step:`` then `meta`, `line`, `index`.

    Metadata files are written at once (`meta`); lines and index changes are
    kept until the block ends without an exception, then appended and applied
    in that order. An exception inside the block records nothing more (files
    already written are harmless: no line vouches for them).
    """

    def __init__(self, case: Any) -> None:
        self.case = case
        self.meta_hashes: dict[str, str] = {}
        self.written: dict[str, int] = {}  # metadata file -> how many replicas took it
        self._lines: list[tuple[str, dict[str, Any]]] = []
        self._changes: list[IndexChange] = []
        self.seq = 0  # the custody sequence once recorded

    def meta(self, rel: str, data: bytes | RecordBytes, replicas: Iterable[str] | None = None,
             what: str = "metadata") -> str:
        """Write one metadata file to the (named) available replicas; returns its SHA-256.

        `data` may be `RecordBytes` (a phone backup's extraction record, its events
        in a temporary file): folder replicas then get it a megabyte at a time,
        never whole in memory. A replica that cannot take it gets a "warned" line
        (the other replicas go on).
        """
        pieces = isinstance(data, RecordBytes)
        digest = data.sha256() if pieces else hashlib.sha256(data).hexdigest()
        names = set(replicas) if replicas is not None else None
        self.written.setdefault(rel, 0)
        for rep in self.case.available:
            if names is not None and rep.name not in names:
                continue
            try:
                if not pieces:
                    rep.write_meta(rel, data)
                elif getattr(rep, "takes_pieces", False):  # folder replicas (files.atomic_write)
                    rep.write_meta(rel, data)
                else:  # any other kind of replica takes whole bytes
                    rep.write_meta(rel, bytes(data))
                self.written[rel] += 1
            except OSError as exc:
                self.line("warned", replica=rep.name, meta=rel,
                          reason=f"{what} could not be written ({exc.strerror})")
        self.meta_hashes[rel] = digest
        return digest

    def line(self, event: str, /, **fields: Any) -> None:
        """A custody line, appended when the step is recorded."""
        self._lines.append((event, fields))

    def index(self, change: IndexChange) -> None:
        """An index change, applied after the lines, in one transaction."""
        self._changes.append(change)

    def record(self) -> int:
        """Append the lines, then apply the index changes with the custody sequence."""
        case = self.case
        lines, self._lines = self._lines, []
        for event, fields in lines:
            case.log.event(event, **fields)
        changes, self._changes = self._changes, []
        with case.index.tx():
            for change in changes:
                change(case.index)
            for rel, digest in self.meta_hashes.items():
                case.index.set_meta_hash(rel, digest)
            case.index.set_state("custody_seq", str(case.log.seq))
        self.meta_hashes = {}
        self.seq = case.log.seq
        return self.seq

    def __enter__(self) -> Step:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.record()


def record_line(case: Any, event: str, /, **fields: Any) -> int:
    """A step that is only a custody line (and the index's custody sequence)."""
    with Step(case) as step:
        step.line(event, **fields)
    return step.seq


class GroupCommit:
    """Many steps made durable by one barrier per replica (issue 19, point 2).

    ``begin`` asks every available replica to skip its per-write fsyncs and
    the custody log to hold its lines; `barrier` makes the objects and
    metadata files durable, then the lines (written only then), and ends the
    batch. Until the barrier no original may leave the inbox: the pipeline
    settles a batch's files after it. The batch is bounded (`max_files`,
    `max_bytes`) so a crash never has much to redo.
    """

    def __init__(self, case: Any, max_files: int = 256, max_bytes: int = 64 << 20) -> None:
        self.case = case
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.files = 0
        self.bytes = 0
        self.open = False
        self._replicas: list[Any] = []
        self._tx: Any = None  # the index's transaction of the batch (`Index.begin_batch`)
        #: replica name -> objects newly written there in this batch
        self.written: dict[str, set[str]] = {}
        #: replica name -> why its barrier failed (its copies of the batch do not count)
        self.failed: dict[str, str] = {}

    def begin(self) -> None:
        if self.open:
            return
        self._replicas = list(self.case.available)
        for rep in self._replicas:
            begin = getattr(rep, "begin_batch", None)  # a kind from before the protocol had it
            if begin is not None:
                begin()
        self.case.log.hold(self._make_data_durable)
        # the batch's index changes in one transaction, committed after its lines
        self._tx = self.case.index.begin_batch()
        self.open = True
        self.files = self.bytes = 0
        self.written, self.failed = {}, {}

    def wrote(self, sha256: str, replicas: Iterable[str]) -> None:
        """Objects written in this batch: a replica whose barrier fails loses them."""
        if self.open:
            for name in replicas:
                self.written.setdefault(name, set()).add(sha256)

    def add(self, size: int) -> None:
        """Count one file taken into the batch."""
        self.files += 1
        self.bytes += size

    @property
    def full(self) -> bool:
        return self.open and (self.files >= self.max_files or self.bytes >= self.max_bytes)

    def _make_data_durable(self) -> None:
        """Objects and metadata files of the batch, in every replica that took them."""
        replicas, self._replicas = self._replicas, []
        for rep in replicas:
            barrier = getattr(rep, "barrier", None)
            if barrier is None:
                continue
            try:
                barrier()
            except OSError as exc:  # unplugged, or the disk failed: its copies do not count
                from .store import plain_reason

                self.failed[rep.name] = plain_reason(exc)

    def barrier(self) -> None:
        """Make the batch durable: replicas' data first, then the custody lines."""
        if not self.open:
            return
        self.open = False
        tx, self._tx = self._tx, None
        try:
            try:
                self.case.log.sync()  # runs _make_data_durable first while lines are held
            finally:
                self._make_data_durable()  # nothing held (a replica added meanwhile): still end
        except BaseException as exc:
            if tx is not None:  # the index stays behind the log: rebuilt at the next open
                tx.__exit__(type(exc), exc, None)
            raise
        if tx is not None:  # metadata, custody lines, then the index: the order of `Step`
            tx.__exit__(None, None, None)
        if self.failed:
            # the index must not count copies that may not be on the disk: the
            # originals wait in the inbox, the replica catches up when it is back
            with Step(self.case) as step:
                for name, reason in sorted(self.failed.items()):
                    lost = sorted(self.written.get(name, ()))
                    step.line("warned", replica=name, items=lost,
                              reason=f"the copies just written could not be made durable "
                                     f"({reason}); they do not count until made again")
                    for sha in lost:
                        step.index(lambda idx, s=sha, n=name: idx.set_copy(s, n, present=False))
            self.case.log.sync()

"""The pipeline: the stages one dropped file goes through, listed in one place.

    receive  -> look at the file without changing it (fs times, kind of file)
    store    -> one read pass: digests + a verified copy in every replica,
                item metadata and receipt in every replica, custody lines
    extract  -> the plugins read it (in a worker); derived items are stored
                and read in turn
    settle   -> once min_copies replicas hold it, the original moves to
                inbox/ingested/ (files from elsewhere are left where they are)

Each stage writes its metadata files, then its custody line, then the index,
in that order, so a crash at any point leaves nothing the next run cannot
finish. The watcher and ``intake ingest`` both call `Pipeline.process`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from .. import gc_tuning
from ..case import Case
from ..extract import WorkerPool
from ..names import raw_hex, readable
from .extraction import Extraction
from .recovery import Recovery
from .stages import Stages
from .task import Refused, Task, now_utc


class Pipeline(Stages, Extraction, Recovery):
    """Runs files through the stages for one open case."""

    def __init__(self, case: Case, *, sandbox: bool = True,
                 on_item: Callable[[Task], None] | None = None) -> None:
        gc_tuning.tune()  # results of 100,000 events are held while recorded (issue 19)
        self.case = case
        self.sandbox = sandbox
        self.on_item = on_item
        self._pool: WorkerPool | None = None
        # extractions under way: sha256 -> (future, name, depth, parent, relation)
        self._pending: dict[str, tuple[Future, str, int, str, str]] = {}
        # stored items waiting for a free worker: sha256 -> (name, depth, parent, relation)
        self._waiting: dict[str, tuple[str, int, str, str]] = {}
        # items read again for new or changed plugins (issue 17), and their progress
        self._again: dict[str, str] = {}
        self._plugins = None
        self.reread_total = self.reread_done = 0
        self.on_reread: Callable[[int, int], None] | None = None
        self.stages: tuple[tuple[str, Callable[[Task], None]], ...] = (
            ("receive", self.receive),
            ("store", self.store),
            ("extract", self.extract),
            ("settle", self.settle),
        )

    def close(self) -> None:
        try:
            self.record_finished_extractions(block=True)
        finally:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, path: Path, *, from_inbox: bool) -> Task:
        cfg = self.case.config
        raw = cfg.rel(path) if from_inbox else str(path.absolute())
        task = Task(path=path, source=readable(raw), from_inbox=from_inbox,
                    name=readable(path.name), source_bytes=raw_hex(raw))
        self.case.check_lock()  # the case folder is still the one this process locked
        for _name, stage in self.stages:
            try:
                stage(task)
            except Refused as exc:
                task.outcome = task.outcome or "refused"
                task.reason = str(exc)
                self._record_problem(task)
            if task.done:
                break
        if self.on_item:
            self.on_item(task)
        return task

    def _record_problem(self, task: Task) -> None:
        st = task.st
        size = st.st_size if st else None
        mtime = st.st_mtime_ns if st else None
        idx = self.case.index
        if idx.set_problem(task.source, task.reason, size, mtime, now_utc()):
            self.case.log.event("refused", source=task.source, reason=task.reason)

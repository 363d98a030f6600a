"""The pipeline: the stages one dropped file goes through, listed in one place.

    receive  -> look at the file without changing it (fs times, kind of file)
    store    -> one read pass: digests + a verified copy in every replica,
                item metadata and receipt in every replica, custody lines
    extract  -> the plugins read it (in a worker); derived items are stored
                and read in turn
    settle   -> once min_copies replicas hold it, the original moves to
                inbox/ingested/ (files from elsewhere are left where they are)

Each stage records its step as one unit of work (``intake.recording.Step``:
metadata files, then custody lines, then the index), so a crash at any point
leaves nothing the next run cannot finish. The watcher and ``intake ingest``
both call `Pipeline.process`, inside a group commit (`begin_batch`,
`commit_batch`): a batch of files is made durable by one barrier per replica,
and only then do its originals leave the inbox.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from .. import gc_tuning
from ..case import Case
from ..names import raw_hex, readable
from ..plugin_worker import WorkerPool
from ..recording import GroupCommit
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
        #: group commit (issue 19): files stored in a batch settle after its barrier
        self.group = GroupCommit(case)
        self._to_settle: list[Task] = []
        self._after_barrier = False  # settling a batch: its lines are durable already

    def close(self) -> None:
        try:
            self.record_finished_extractions(block=True)
            self.commit_batch()
        finally:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def begin_batch(self) -> None:
        """Take the next files as one group commit: no fsync per file; `commit_batch`
        makes them durable with one barrier per replica, then settles them."""
        self.group.begin()

    def commit_batch(self) -> list[Task]:
        """The batch's barrier (objects and metadata files, then custody lines, durable
        in every replica), then its originals leave the inbox. Returns those tasks."""
        if not self.group.open and not self._to_settle:
            return []
        self.case.check_lock()  # never move originals of a case folder moved meanwhile
        self.group.barrier()
        tasks, self._to_settle = self._to_settle, []
        self._after_barrier = True
        try:
            with self.case.index.tx():  # the moves' index changes in one transaction
                for task in tasks:
                    self._run_stage(task, self.settle)
                    if self.on_item:
                        self.on_item(task)
        finally:
            self._after_barrier = False
        return tasks

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, path: Path, *, from_inbox: bool) -> Task:
        cfg = self.case.config
        raw = _rel(cfg, path) if from_inbox else str(path.absolute())
        task = Task(path=path, source=readable(raw), from_inbox=from_inbox,
                    name=readable(path.name), source_bytes=raw_hex(raw))
        self.case.check_lock()  # the case folder is still the one this process locked
        if self._pool is None:  # the first file: one worker loads the plugins meanwhile
            self.warm_up(1)
        for name, stage in self.stages:
            if name == "settle" and self.group.open:
                # no original leaves the inbox before the batch's barrier
                self._to_settle.append(task)
                self.group.add(task.st.st_size if task.st else 0)
                if self.group.full:
                    self.commit_batch()
                    self.begin_batch()
                return task
            self._run_stage(task, stage)
            if task.done:
                break
        if self.on_item:
            self.on_item(task)
        return task

    def _run_stage(self, task: Task, stage: Callable[[Task], None]) -> None:
        try:
            stage(task)
        except Refused as exc:
            task.outcome = task.outcome or "refused"
            task.reason = str(exc)
            self._record_problem(task)

    def _record_problem(self, task: Task) -> None:
        st = task.st
        size = st.st_size if st else None
        mtime = st.st_mtime_ns if st else None
        idx = self.case.index
        if idx.set_problem(task.source, task.reason, size, mtime, now_utc()):
            self.case.log.event("refused", source=task.source, reason=task.reason)


def _rel(cfg: Any, path: Path) -> str:
    """`Config.rel` of a path under the case folder, by its text (the inbox's files:
    the same answer without building every parent folder as a Path); else `rel`."""
    text, base = os.fspath(path), os.fspath(cfg.case_dir)
    if base != os.sep and text.startswith(base + os.sep):
        return text[len(base) + 1:].replace(os.sep, "/")
    return cfg.rel(path)

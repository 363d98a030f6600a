"""The watcher: takes what is dropped into the inbox, as soon as it is stable.

watchdog tells us which paths changed; we never act on an event directly.
Changed paths go into a pending set, and a loop takes each one once it has
been stable for ``settle_seconds``, or sooner where the platform reports that
the file was closed after writing and nothing touched it since
(``intake/closes.py``: Linux inotify). At start, and every ``rescan_seconds``,
the whole inbox is scanned, so files dropped while the watcher was not
running (or events the OS dropped) are found too. Files that were stored but
not yet moved (a crash in between) are recognised and not received twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from watchdog.events import (
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from .case import Case
from .closes import Closes
from .errors import IntakeError
from .inbox import is_settled, is_temporary, scan, settle_time
from .ingest import Pipeline, Task, catch_up, first_ingested

#: seconds of quiet (nothing pending, nothing taken) before the chronology is rebuilt
REBUILD_QUIET = 1.0


class _Job:
    def __init__(self, fn: Callable[[Case], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: Exception | None = None


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [Path(raw if isinstance(raw, str) else raw.decode())
                 for raw in (event.src_path, getattr(event, "dest_path", "")) if raw]
        if not event.is_directory:
            self._track(event, paths)
        if isinstance(event, (FileOpenedEvent, FileClosedNoWriteEvent)):
            return  # a read (ours too) changes nothing: no need to look at the file again
        for path in paths:
            self.watcher.touch(path)

    def _track(self, event: FileSystemEvent, paths: list[Path]) -> None:
        """Feed the open/close bookkeeping that lets a closed file be taken at once."""
        closes = self.watcher.closes
        src = paths[0]
        if not any(self.watcher.watched(p) for p in paths):
            return
        if isinstance(event, FileCreatedEvent):
            closes.created(src)
        elif isinstance(event, FileOpenedEvent):
            closes.opened(src)
        elif isinstance(event, (FileClosedEvent, FileClosedNoWriteEvent)):
            closes.closed(src, wrote=isinstance(event, FileClosedEvent))
            if isinstance(event, FileClosedEvent):
                self.watcher.wake.set()
        elif isinstance(event, (FileDeletedEvent, FileMovedEvent)):
            for path in paths:  # a file renamed in or over: the settle rule decides
                closes.forget(path)
        else:  # modified, attributes changed
            closes.changed(src)


class Watcher:
    """Watches one case's inbox until `stop()` is called."""

    def __init__(self, case: Case, pipeline: Pipeline, *, rescan_seconds: float = 30.0,
                 poll_seconds: float = 0.2,
                 on_task: Callable[[Task], None] | None = None,
                 on_settled: Callable[[], None] | None = None,
                 on_tick: Callable[[bool], None] | None = None) -> None:
        self.case = case
        self.pipeline = pipeline
        self.rescan_seconds = rescan_seconds
        self.poll = poll_seconds
        self.on_task = on_task
        self.on_settled = on_settled  # called once new items have settled (chronology rebuild)
        self.on_tick = on_tick  # every turn, with "idle" ([seal]: timestamps, intake/seal)
        self.pending: set[Path] = set()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.wake = threading.Event()  # a file was closed after writing: look soon
        self.closes = Closes()
        self.observing = threading.Event()  # set once file events are being received
        self._observer: Observer | None = None
        self._jobs: list[_Job] = []

    def call(self, fn: Callable[[Case], Any], timeout: float = 600.0) -> Any:
        """Run `fn(case)` on the watcher's own thread, the case's one writer (intake
        serve --watch: a curation decision, a report) and return its result."""
        job = _Job(fn)
        with self.lock:
            self._jobs.append(job)
        if not job.done.wait(timeout):
            raise IntakeError("the watcher did not answer in time; try again")
        if job.error is not None:
            raise job.error
        return job.result

    def _run_jobs(self) -> None:
        with self.lock:
            jobs, self._jobs = self._jobs, []
        for job in jobs:
            try:
                job.result = job.fn(self.case)
            except Exception as exc:  # handed back to the caller, never stops the watcher
                job.error = exc
            job.done.set()

    def watched(self, path: Path) -> bool:
        """In the inbox, outside ingested/, not a temporary-looking name."""
        inbox = self.case.config.inbox
        ingested = self.case.config.ingested_dir
        if path == ingested or ingested in path.parents or is_temporary(path.name):
            return False
        return inbox in path.parents

    def touch(self, path: Path) -> None:
        if not self.watched(path):
            return
        with self.lock:
            self.pending.add(path)

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()

    def _rescan(self) -> None:
        cfg = self.case.config
        self.pipeline.prepare_inbox()
        found = self._candidates(scan(cfg.inbox, cfg.ignore))
        with self.lock:
            self.pending.update(found)

    def _candidates(self, paths: Iterable[Path]) -> list[Path]:
        """Paths to wait for; a temporary-looking name only once it stopped changing.

        Such files are looked at again at each rescan, so that a download in
        progress never keeps the watcher from being idle.
        """
        cfg = self.case.config
        return [p for p in paths if not is_temporary(p.name)
                or is_settled(p, settle_time(p, cfg.settle_seconds, cfg.temporary_seconds))]

    def run(self) -> None:
        cfg = self.case.config
        cfg.inbox.mkdir(parents=True, exist_ok=True)
        self._observer = Observer()
        self._observer.schedule(_Handler(self), str(cfg.inbox), recursive=True)
        self._observer.start()
        self.observing.set()
        try:
            self.pipeline.reconcile()
            self.pipeline.warm_up()
            self.pipeline.extract_missing()
            self.pipeline.reread_changed()  # new or changed plugins (issue 17)
            self._rescan()
            last_scan = last_busy = time.monotonic()
            new_items = False
            while not self._stop.is_set():
                if time.monotonic() - last_scan >= self.rescan_seconds:
                    self.case.check_lock()  # never make a moved case's folders again
                    if self.case.refresh_replicas():
                        catch_up(self.case)
                    self._rescan()
                    last_scan = time.monotonic()
                self._run_jobs()
                took = self._take_ready()
                read = self.pipeline.record_finished_extractions(block=False)  # items read (again, too)
                new_items = new_items or bool(read) or any(t.outcome in ("settled", "stored") for t in took)
                with self.lock:
                    idle = not self.pending and not self.pipeline.busy
                if not idle or took:
                    last_busy = time.monotonic()
                # a burst of drops is stored before the chronology is rebuilt (the
                # rebuild runs on this thread: a file dropped meanwhile waits for it)
                quiet = time.monotonic() - last_busy >= REBUILD_QUIET
                if idle and quiet and new_items and self.on_settled:
                    new_items = False
                    self.on_settled()
                if self.on_tick:
                    self.on_tick(idle)
                self._wait()
        finally:
            with self.lock:
                jobs, self._jobs = self._jobs, []
            for job in jobs:
                job.error = IntakeError("the watcher stopped before it could do this")
                job.done.set()
            self.pipeline.let_waiting_go()  # a stop is prompt: the backlog waits for the next start
            self._observer.stop()
            self._observer.join(5)

    def _wait(self) -> None:
        """Sleep one poll, less when a closed file's quiet time ends sooner."""
        due = self.closes.next_due()
        timeout = self.poll if due is None else min(self.poll, due)
        if timeout > 0 and self.wake.wait(timeout):
            self.wake.clear()
            due = self.closes.next_due()  # woken by a close: sleep out its quiet time
            if due is not None and due > 0 and not self._stop.is_set():
                self._stop.wait(min(due, self.poll))

    def _settled(self, path: Path) -> bool:
        cfg = self.case.config
        return self.closes.ready(path) or is_settled(
            path, settle_time(path, cfg.settle_seconds, cfg.temporary_seconds))

    def _take_ready(self) -> list[Task]:
        cfg = self.case.config
        with self.lock:
            candidates = first_ingested(sorted(self.pending), cfg.ingested_dir)
        tasks: list[Task] = []
        if not candidates:
            return tasks
        self.pipeline.begin_batch()  # one barrier for the files ready now (issue 19)
        try:
            self._take_each(candidates, tasks)
        finally:
            self.pipeline.commit_batch()  # then their originals leave the inbox
        for task in tasks:
            if self.on_task:
                self.on_task(task)
            if task.outcome != "changed":
                with self.lock:
                    self.pending.discard(task.path)
                self.closes.forget(task.path)
        return tasks

    def _take_each(self, candidates: list[Path], tasks: list[Task]) -> None:
        cfg = self.case.config
        for path in candidates:
            if self._stop.is_set():
                break
            if path.is_dir() and not path.is_symlink():
                # a folder was dropped or moved in: look inside it
                with self.lock:
                    self.pending.discard(path)
                    self.pending.update(self._candidates(scan(path, cfg.ignore)))
                continue
            if not path.exists() and not path.is_symlink():
                with self.lock:
                    self.pending.discard(path)
                self.closes.forget(path)
                continue
            if not self._settled(path):
                continue
            tasks.append(self.pipeline.process(path, from_inbox=True))


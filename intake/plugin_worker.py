"""The plugin worker processes: untrusted bytes are decoded here, never in the pipeline.

``intake_extract``, ``intake_sniff`` and ``intake_thumbnail`` run in a worker
process (`PluginWorker`; `WorkerPool` holds several), so a hang is ended by
killing the worker, a decoder that allocates without end meets a memory limit,
and a crash of a C library (an image or PDF decoder on hostile input) cannot
take the pipeline down. Events come back in batches as the plugin yields them
(``intake.event_stream``), checked and encoded here as they come.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import gc_tuning
from .event_stream import EncodedEvents
from .extract import (
    CORE_SNIFFER,
    MEMORY_LIMIT,
    ExtractionResult,
    PluginRun,
    call_one,
    conclude,
    drain,
    first_answer,
)
from .plugins import extract_impls, get_plugin_manager, hook_impls, plugin_version
from .types import CaseInfo, Extraction, ItemView


def _limit_memory(limit: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this system: time limit only
        pass


def _worker_main(conn, plugin_dirs: list[str], load_entry_points: bool,
                 memory_limit: int = MEMORY_LIMIT) -> None:
    if memory_limit:
        _limit_memory(memory_limit)
    pm = get_plugin_manager([Path(p) for p in plugin_dirs], load_entry_points=load_entry_points)
    sniffers = hook_impls(pm, "intake_sniff", skip=CORE_SNIFFER)
    gc_tuning.tune(freeze=True)  # a phone backup is 100,000 events alive at once (issue 19)
    conn.send(("ready", None, None, None))  # the plugins are loaded: time limits start now
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        kind, *args = request
        if kind == "sniff":
            head, name = args
            conn.send(("answer", *first_answer(sniffers, head=head, name=name)))
            continue
        if kind == "thumbnail":
            item, size = args
            impls = hook_impls(pm, "intake_thumbnail", item.mime)
            value, warnings = first_answer(impls, item=item, size=size)
            conn.send(("answer", value if isinstance(value, bytes) else None, warnings))
            continue
        item, case, start = args
        impls = extract_impls(pm, item.mime)
        for index in range(start, len(impls)):
            name, function = impls[index]
            conn.send(("start", index, name, plugin_version(pm.get_plugin(name))))
            outcome, value = call_one(function, item, case)
            try:
                if outcome == "result":  # the events go in batches as the plugin yields them
                    outcome, value = drain(
                        value, lambda batch, i=index: conn.send(("events", i, batch, None)))
                conn.send(("done", index, outcome, value))
            except Exception as exc:  # the result could not be pickled: garbage
                conn.send(("done", index, "error", (f"result could not be passed on: {exc}", "")))
                continue
            if outcome == "result" and isinstance(value, Extraction):
                break  # a winner; garbage (not an Extraction) lets the next plugin run
        conn.send(("end", None, None, None))


class PluginWorker:
    """One worker process that runs the plugins on untrusted bytes, replaced when a
    plugin hangs or crashes it: ``intake_extract``, ``intake_sniff`` and
    ``intake_thumbnail`` alike, with the same time and memory limits."""

    def __init__(self, plugin_dirs: Iterable[Path] = (), *, timeout: float = 60.0,
                 load_entry_points: bool = True, memory_limit: int = MEMORY_LIMIT,
                 spool_dir: Path | None = None) -> None:
        self.plugin_dirs = [str(p) for p in plugin_dirs]
        #: where a big extraction's indented events wait for extraction.json (the case's)
        self.spool_dir = None if spool_dir is None else str(spool_dir)
        self.timeout = timeout
        self.load_entry_points = load_entry_points
        self.memory_limit = memory_limit
        self._ctx = multiprocessing.get_context("spawn")
        self._proc = None
        self._conn = None
        self._fresh = False
        self.why_not = ""  # why the last start failed, in words
        self._lock = threading.Lock()  # one question at a time (intake serve has threads)

    def start(self) -> None:
        """Start the worker process (it then loads the plugins); a worker `prestart`
        started with the same arguments is taken instead, already on its way."""
        early = _take_early(self._key)
        if early is not None:
            self._proc, self._conn, self._fresh = early._proc, early._conn, True
            return
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_worker_main,
                                       args=(child, self.plugin_dirs, self.load_entry_points,
                                             self.memory_limit),
                                       daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent
        self._fresh = True

    @property
    def started(self) -> bool:
        return self._proc is not None

    @property
    def _key(self) -> tuple:
        """What the worker process is started with: workers alike can stand in for each other."""
        return (tuple(self.plugin_dirs), self.load_entry_points, self.memory_limit)

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._fresh:  # started early and never asked: no plugin ran, nothing to wait for
            self._kill()
            return
        if self._conn is not None:
            try:
                self._conn.send(None)
            except OSError:
                pass
            if self._proc is not None:
                self._proc.join(2)
        self._kill()

    def __enter__(self) -> PluginWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ready(self) -> Any:
        """The connection to a worker whose plugins are loaded; None if it could not start.

        Loading the plugins may take a while (imports): it is given at least a
        minute, apart from the plugins' own time limit.
        """
        if self._proc is None or not self._proc.is_alive():
            self._kill()
            self.start()
        assert self._conn is not None
        if self._fresh:
            self.why_not = "the plugin worker did not start in time"
            try:
                if self._conn.poll(max(self.timeout, 60.0)):
                    self.why_not = "the plugin worker stopped before any plugin ran"
                    if self._conn.recv()[0] == "ready":
                        self.why_not = ""
            except (EOFError, OSError):
                pass
            if self.why_not:
                self._kill()
                return None
            self._fresh = False
        return self._conn

    def ask(self, kind: str, *args: Any) -> tuple[Any, list[str]]:
        """Ask the plugins ``sniff`` (head, name) or ``thumbnail`` (item, size).

        Returns (the first answer or None, warnings). A hang past the time limit
        or a crash kills the worker (the next question starts a fresh one) and
        is a warning: the caller goes on without the plugins' answer.
        """
        with self._lock:
            conn = self._ready()
            if conn is None:
                return None, [f"a plugin's intake_{kind} was not asked: {self.why_not}"]
            conn.send((kind, *args))
            if not conn.poll(self.timeout):
                self._kill()
                return None, [f"a plugin's intake_{kind} took longer than {self.timeout:g} s "
                              "and was stopped"]
            try:
                _, value, warnings = conn.recv()
            except (EOFError, OSError):
                self._kill()
                return None, [f"a plugin's intake_{kind} crashed its worker process"]
            return value, list(warnings)

    def extract(self, item: ItemView, case: CaseInfo) -> ExtractionResult:
        out = ExtractionResult()
        start = 0
        while True:
            conn = self._ready()
            if conn is None:
                out.not_started = self.why_not
                return out
            conn.send(("extract", item, case, start))
            current: tuple[int, str, str] | None = None
            sink: EncodedEvents | None = None
            began = time.monotonic()
            while True:
                # the time limit is the plugin's: the time spent here checking and
                # encoding its batches of events is given back (`began` moves)
                left = self.timeout if current is None else \
                    self.timeout - (time.monotonic() - began)
                if not conn.poll(max(left, 0.0)):
                    if current is None:  # no plugin is even offered the item yet
                        self._kill()
                        out.not_started = "the plugin worker did not start in time"
                        return out
                    index, name, version = current
                    out.runs.append(PluginRun(name, version, "timeout",
                                              f"no answer after {self.timeout:g} s", self.timeout))
                    out.warnings.append(f"plugin {name} took longer than {self.timeout:g} s "
                                        "and was stopped")
                    self._kill()
                    start = index + 1
                    break
                try:
                    tag, index, a, b = conn.recv()
                except (EOFError, OSError):
                    if current is None:
                        self._kill()
                        out.not_started = "the plugin worker stopped before any plugin ran"
                        return out
                    _, name, version = current
                    out.runs.append(PluginRun(name, version, "error",
                                              "the plugin crashed the worker process", 0.0))
                    out.warnings.append(f"plugin {name} crashed its worker process")
                    self._kill()
                    start = current[0] + 1
                    break
                if tag == "start":
                    current = (index, a, b)
                    sink = EncodedEvents(case, spool_dir=self.spool_dir)
                    began = time.monotonic()
                elif tag == "events":  # a batch of the running plugin's events
                    assert sink is not None
                    took = time.monotonic()
                    sink.add(a)
                    began += time.monotonic() - took
                elif tag == "done":
                    assert current is not None
                    _, name, version = current
                    if conclude(out, name, version, a, b, time.monotonic() - began, case,
                                 sink if a == "result" else None):
                        conn.recv()  # drain the "end" marker
                        return out
                    current = sink = None
                elif tag == "end":
                    return out


_SHARED: dict[tuple, PluginWorker] = {}
_SHARED_LOCK = threading.Lock()


def shared_worker(plugin_dirs: Iterable[Path], timeout: float) -> PluginWorker:
    """The worker that answers ``intake_sniff`` and ``intake_thumbnail`` for this process.

    One for each set of plugin folders, started at the first question and
    ended when the process exits; apart from the extraction workers, so that a
    slow extraction (OCR) never holds up storing or a report's pictures.
    """
    key = (tuple(str(p) for p in plugin_dirs), timeout)
    with _SHARED_LOCK:
        worker = _SHARED.get(key)
        if worker is None:
            if not _SHARED:
                atexit.register(close_shared_workers)
            worker = _SHARED[key] = PluginWorker(plugin_dirs, timeout=timeout)
        return worker


def close_shared_workers() -> None:
    with _SHARED_LOCK:
        workers = list(_SHARED.values())
        _SHARED.clear()
    for worker in workers:
        worker.close()


#: workers started ahead of need (`prestart`), each taken by the first `PluginWorker.start`
#: with the same arguments
_EARLY: list[PluginWorker] = []
_EARLY_LOCK = threading.Lock()


def prestart(plugin_dirs: Iterable[Path] = ()) -> None:
    """Start one plugin worker now, for the pipeline's first file to take later.

    ``intake ingest`` calls it before it opens the case: the worker's ~0.3 s of
    CPU (a new Python loading the plugins) then runs on the core the command's
    own start-up leaves idle, not on the cores the first file's digests and
    copies need (issue 19, figure 1). A worker nobody took is stopped at exit.
    """
    worker = PluginWorker(plugin_dirs)
    worker.start()
    with _EARLY_LOCK:
        if not _EARLY:
            atexit.register(_stop_early)
        _EARLY.append(worker)


def _take_early(key: tuple) -> PluginWorker | None:
    with _EARLY_LOCK:
        for worker in _EARLY:
            if worker._key == key:
                _EARLY.remove(worker)
                return worker
    return None


def _stop_early() -> None:
    with _EARLY_LOCK:
        workers = list(_EARLY)
        _EARLY.clear()
    for worker in workers:
        worker.close()


def default_workers() -> int:
    """One plugin worker per core (at most 4): extraction is the CPU-bound stage."""
    return max(1, min(4, os.cpu_count() or 1))


class WorkerPool:
    """Several plugin workers; extractions run while the caller stores more files.

    `submit` returns at once; the caller takes finished results (in its own
    thread, so the store, the log and the index are only ever written by
    one thread). Each worker process is driven by one thread here.
    """

    def __init__(self, plugin_dirs: Iterable[Path] = (), *, timeout: float = 60.0,
                 workers: int | None = None, load_entry_points: bool = True,
                 spool_dir: Path | None = None) -> None:
        n = workers or default_workers()
        self._idle: queue.Queue[PluginWorker] = queue.Queue()
        self._workers = [PluginWorker(plugin_dirs, timeout=timeout,
                                      load_entry_points=load_entry_points, spool_dir=spool_dir)
                         for _ in range(n)]
        for worker in self._workers:
            self._idle.put(worker)
        self._executor = ThreadPoolExecutor(max_workers=n, thread_name_prefix="intake-extract")
        self.workers = n

    def warm_up(self, count: int | None = None) -> None:
        """Start the worker processes now (`count` of them; all by default), so the
        first file does not wait for them."""
        for worker in self._workers[:count]:
            if not worker.started:
                worker.start()

    def submit(self, item: ItemView, case: CaseInfo) -> Future:
        def run() -> ExtractionResult:
            worker = self._idle.get()
            try:
                return worker.extract(item, case)
            finally:
                self._idle.put(worker)
        return self._executor.submit(run)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for worker in self._workers:
            worker.close()

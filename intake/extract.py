"""Run the source plugins on one item so that no plugin can break the pipeline.

Each ``intake_extract`` implementation is called on its own, in pluggy's
order; the first that returns an Extraction wins. An exception, a hang past
the time limit, or a result that is not an Extraction is recorded on the item
as a plugin run with its reason, and the next plugin is tried.

Plugins run in a worker process (`PluginWorker`; `WorkerPool` holds several),
so a hang can be ended by killing the worker, a decoder that allocates without
end meets a memory limit, and a crash of a C library (an image or PDF decoder
on hostile input) cannot take the pipeline down. The same workers answer
``intake_sniff`` and ``intake_thumbnail``, which decode the same untrusted
bytes. An item is offered only to the plugins whose ``MIME_TYPES`` (if they
declare any) include its type. `extract_in_process` does the same without a
worker, for tests and for ``intake.testing``.
"""

from __future__ import annotations

import atexit
import dataclasses
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import gc_tuning
from .event_stream import EncodedEvents, batches
from .plugins import extract_impls, get_plugin_manager, hook_impls, plugin_version
from .timeclaims import BadTimeClaim, resolve, resolved_fields
from .types import CaseInfo, DerivedItem, Event, Extraction, ItemView, TimeClaim

#: The core's own sniffer (magic numbers, trusted code): run here, not in a worker
CORE_SNIFFER = ("sniff",)


@dataclass(frozen=True)
class PluginRun:
    """One plugin's attempt on one item."""

    plugin: str
    version: str
    status: str  # ok, not-mine, error, timeout, garbage
    reason: str = ""
    seconds: float = 0.0


@dataclass
class ExtractionResult:
    """The winning extraction (if any), with every attempt and the core's warnings."""

    plugin: str = ""
    version: str = ""
    extraction: Extraction | None = None
    runs: list[PluginRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: why no plugin could even start (the worker did not start): not an extraction
    not_started: str = ""
    #: the winner's events, checked and encoded as they came (`extraction.events` is
    #: then empty); None when they were kept as objects (`extract_in_process`)
    events: EncodedEvents | None = None


_FLAT = frozenset({str, int, bool, type(None)})


def _json_safe(value: Any, depth: int = 0) -> bool:
    if type(value) is dict and _FLAT.issuperset(map(type, value.values())) and \
            {str}.issuperset(map(type, value)):
        return True  # most facts: one level of plain values, checked in C (issue 19)
    if depth > 20:
        return False
    if value is None or isinstance(value, str | int | bool):
        return not isinstance(value, float)
    if isinstance(value, list | tuple):
        return all(_json_safe(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v, depth + 1) for k, v in value.items())
    return False


_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event))
_CLAIM_FIELDS = tuple(f.name for f in dataclasses.fields(TimeClaim))


def check_events(batch: Iterable[Any], case: CaseInfo, start: int = 0, *, plain: bool = False,
                 ) -> tuple[list[Any], list[str]]:
    """Check a plugin's events (numbered from `start` in the warnings) and resolve
    their time claims in the case's zone; what cannot be kept is said, not kept.

    With `plain`, the events come back as plain dicts (their fields; claims as
    dicts of theirs), as `serialize.to_plain` would make them: a phone backup's
    100,000 events are not copied as dataclasses first (issue 19).
    """
    warnings: list[str] = []
    events: list[Any] = []
    zone = case.timezone
    for n, event in enumerate(batch, start):
        if not isinstance(event, Event):
            warnings.append(f"event {n} is a {type(event).__name__}, not an Event; left out")
            continue
        claims: list[Any] = []
        for claim in event.claims:
            if not isinstance(claim, TimeClaim):
                warnings.append(f"event {n}: a time claim of type {type(claim).__name__} was left out")
                continue
            try:
                if plain:
                    values = {name: getattr(claim, name) for name in _CLAIM_FIELDS}
                    values.update(resolved_fields(claim, zone))
                    claims.append(values)
                else:
                    claims.append(resolve(claim, zone))
            except (BadTimeClaim, ValueError, OverflowError) as exc:
                warnings.append(f"event {n}: time {claim.local!r} from {claim.source} "
                                f"could not be read ({exc})")
        facts = dict(event.facts)
        if not _json_safe(facts):
            warnings.append(f"event {n}: facts were not plain JSON values and were left out")
            facts = {}
        if plain:
            values = {name: getattr(event, name) for name in _EVENT_FIELDS}
            values.update(claims=claims, facts=facts, to=tuple(event.to),
                          witnesses=tuple(event.witnesses), flags=tuple(event.flags))
            events.append(values)
        else:
            events.append(dataclasses.replace(event, claims=tuple(claims), facts=facts,
                                              to=tuple(event.to),
                                              witnesses=tuple(event.witnesses),
                                              flags=tuple(event.flags)))
    return events, warnings


def check_extraction(result: Any, case: CaseInfo) -> tuple[Extraction, list[str]]:
    """Validate a plugin's result and resolve its time claims in the case's zone.

    Raises TypeError when the result is not an Extraction at all (garbage).
    Unreadable claims and non-JSON facts are dropped with a warning naming
    them; everything else is kept.
    """
    if not isinstance(result, Extraction):
        raise TypeError(f"returned {type(result).__name__}, not an Extraction")
    events, warnings = check_events(result.events, case)
    derived = []
    for d in result.derived:
        if isinstance(d, DerivedItem) and isinstance(d.data, bytes | bytearray):
            derived.append(d)
        else:
            warnings.append("a derived item without bytes was left out")
    facts = dict(result.facts)
    if not _json_safe(facts):
        warnings.append("item facts were not plain JSON values and were left out")
        facts = {}
    clean = dataclasses.replace(result, events=tuple(events), derived=tuple(derived),
                                facts=facts, warnings=tuple(str(w) for w in result.warnings))
    return clean, warnings


def drain(value: Any, on_batch: Callable[[list[Any]], None]) -> tuple[str, Any]:
    """Read a winning plugin's events (a list, or a generator that parses as it
    goes) in batches of `event_stream.BATCH`, handing each to `on_batch`.

    Returns ("result", the Extraction without its events) or ("error", (reason,
    traceback)) when the plugin's generator raised on the way. Anything that is
    not an Extraction with iterable events is returned as it is (garbage, or a
    result `check_extraction` words).
    """
    if not isinstance(value, Extraction):
        return "result", value
    try:
        events = iter(value.events)
    except TypeError:
        return "result", value
    try:
        for batch in batches(events):
            on_batch(batch)
        # read after the last event: a generator may fill them as it goes
        return "result", dataclasses.replace(value, events=())
    except MemoryError:
        return "error", (f"the plugin ran out of memory (limit {MEMORY_LIMIT >> 30} GiB)", "")
    except Exception as exc:  # contained, as a plugin's exception always is
        return "error", (_reason(exc), traceback.format_exc(limit=5))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


def _call_one(function: Callable[..., Any], item: ItemView, case: CaseInfo,
              ) -> tuple[str, Any]:
    try:
        return "result", function(item=item, case=case)
    except MemoryError:  # the worker's memory limit (MEMORY_LIMIT)
        return "error", (f"the plugin ran out of memory (limit {MEMORY_LIMIT >> 30} GiB)", "")
    except Exception as exc:  # contained: recorded on the item, next plugin runs
        return "error", (_reason(exc), traceback.format_exc(limit=5))


def _conclude(out: ExtractionResult, name: str, version: str, kind: str, value: Any,
              seconds: float, case: CaseInfo, events: EncodedEvents | None = None) -> bool:
    """Record one plugin's outcome; True when it won. `events`: its events, already
    checked and encoded batch by batch (the result then holds none)."""
    if kind == "error":
        out.runs.append(PluginRun(name, version, "error", value[0], seconds))
        out.warnings.append(f"plugin {name} failed: {value[0]}")
        return False
    if value is None:
        out.runs.append(PluginRun(name, version, "not-mine", "", seconds))
        return False
    try:
        clean, problems = check_extraction(value, case)
    except TypeError as exc:
        out.runs.append(PluginRun(name, version, "garbage", str(exc), seconds))
        out.warnings.append(f"plugin {name} {exc}; ignored")
        return False
    out.runs.append(PluginRun(name, version, "ok", "", seconds))
    out.plugin, out.version, out.extraction = name, version, clean
    if events is not None:
        out.events = events
        problems = events.warnings + problems
    out.warnings.extend(f"plugin {name}: {p}" for p in problems)
    return True


def extract_in_process(pm, item: ItemView, case: CaseInfo, *, encode: bool = False,
                       ) -> ExtractionResult:
    """Run the plugins here, containing exceptions but not hangs.

    With `encode`, the winner's events are checked and encoded batch by batch
    (`ExtractionResult.events`), as the plugin worker hands them over; without,
    they stay Event objects in the result (``intake.testing``).
    """
    out = ExtractionResult()
    for name, function in extract_impls(pm, item.mime):
        version = plugin_version(pm.get_plugin(name))
        start = time.monotonic()
        kind, value = _call_one(function, item, case)
        sink = EncodedEvents(case) if encode else None
        if kind == "result":
            kept: list[Any] = []
            kind, value = drain(value, sink.add if sink else kept.extend)
            if sink is None and kind == "result" and isinstance(value, Extraction):
                value = dataclasses.replace(value, events=tuple(kept))
        if _conclude(out, name, version, kind, value, time.monotonic() - start, case, sink):
            break
    return out


# --- the worker process ------------------------------------------------------

#: The most memory a plugin worker may take (address space): a crafted file that
#: makes a decoder allocate without end stops with a plain reason, not the machine.
MEMORY_LIMIT = 4 << 30


def _limit_memory(limit: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this system: time limit only
        pass


def first_answer(impls: list[tuple[str, Callable[..., Any]]], **kwargs: Any,
                  ) -> tuple[Any, list[str]]:
    """Call a firstresult hook's implementations one by one, each contained."""
    warnings = []
    for name, function in impls:
        try:
            value = function(**kwargs)
        except Exception as exc:  # contained: said, and the next plugin answers
            warnings.append(f"plugin {name} failed: {_reason(exc)}")
            continue
        if value is not None:
            return value, warnings
    return None, warnings


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
            outcome, value = _call_one(function, item, case)
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
                 load_entry_points: bool = True, memory_limit: int = MEMORY_LIMIT) -> None:
        self.plugin_dirs = [str(p) for p in plugin_dirs]
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
        """Start the worker process (it then loads the plugins)."""
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

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
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
                    sink = EncodedEvents(case)
                    began = time.monotonic()
                elif tag == "events":  # a batch of the running plugin's events
                    assert sink is not None
                    took = time.monotonic()
                    sink.add(a)
                    began += time.monotonic() - took
                elif tag == "done":
                    assert current is not None
                    _, name, version = current
                    if _conclude(out, name, version, a, b, time.monotonic() - began, case,
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


def has_plugin_sniffers(pm) -> bool:
    """Does any plugin besides the core's own sniffer implement ``intake_sniff``?"""
    return bool(hook_impls(pm, "intake_sniff", skip=CORE_SNIFFER))


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
                 workers: int | None = None, load_entry_points: bool = True) -> None:
        n = workers or default_workers()
        self._idle: queue.Queue[PluginWorker] = queue.Queue()
        self._workers = [PluginWorker(plugin_dirs, timeout=timeout,
                                      load_entry_points=load_entry_points) for _ in range(n)]
        for worker in self._workers:
            self._idle.put(worker)
        self._executor = ThreadPoolExecutor(max_workers=n, thread_name_prefix="intake-extract")
        self.workers = n

    def warm_up(self) -> None:
        """Start the worker processes now, so the first file does not wait for them."""
        for worker in self._workers:
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

"""Run the source plugins on one item so that no plugin can break the pipeline.

Each ``intake_extract`` implementation is called on its own, in pluggy's
order; the first that returns an Extraction wins. An exception, a hang past
the time limit, or a result that is not an Extraction is recorded on the item
as a plugin run with its reason, and the next plugin is tried.

Plugins run in a worker process (``intake.plugin_worker``), so a hang can be
ended by killing the worker, a decoder that allocates without end meets a
memory limit, and a crash of a C library cannot take the pipeline down. This
module holds what both sides share: checking a plugin's answer, calling one
implementation contained, and `extract_in_process`, which does the same
without a worker, for tests and for ``intake.testing``. An item is offered only
to the plugins whose ``MIME_TYPES`` (if they declare any) include its type.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .event_stream import EncodedEvents, batches
from .plugins import extract_impls, hook_impls, plugin_version
from .timeclaims import BadTimeClaim, resolve, resolved_fields
from .types import CaseInfo, DerivedItem, Event, Extraction, ItemView, TimeClaim

#: The core's own sniffer (magic numbers, trusted code): run here, not in a worker
CORE_SNIFFER = ("sniff",)
#: The most memory a plugin worker may take (address space): a crafted file that
#: makes a decoder allocate without end stops with a plain reason, not the machine.
MEMORY_LIMIT = 4 << 30


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
_EVENT_KEYS = frozenset(_EVENT_FIELDS)
_CLAIM_KEYS = frozenset(_CLAIM_FIELDS)


def _fields(value: Any, cls: type, names: tuple[str, ...], keys: frozenset[str],
            ) -> dict[str, Any]:
    """A dataclass's fields as a dict: a copy of its `__dict__` when that holds
    exactly the fields (the plain class, as a plugin makes it: one C copy instead
    of a getattr per field, issue 19), else field by field."""
    if type(value) is cls:
        own = value.__dict__
        if own.keys() == keys:
            return own.copy()
    return {name: getattr(value, name) for name in names}


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
                    values = _fields(claim, TimeClaim, _CLAIM_FIELDS, _CLAIM_KEYS)
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
            values = _fields(event, Event, _EVENT_FIELDS, _EVENT_KEYS)
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


def call_one(function: Callable[..., Any], item: ItemView, case: CaseInfo,
              ) -> tuple[str, Any]:
    try:
        return "result", function(item=item, case=case)
    except MemoryError:  # the worker's memory limit (MEMORY_LIMIT)
        return "error", (f"the plugin ran out of memory (limit {MEMORY_LIMIT >> 30} GiB)", "")
    except Exception as exc:  # contained: recorded on the item, next plugin runs
        return "error", (_reason(exc), traceback.format_exc(limit=5))


def conclude(out: ExtractionResult, name: str, version: str, kind: str, value: Any,
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
                       spool_dir: str | None = None) -> ExtractionResult:
    """Run the plugins here, containing exceptions but not hangs.

    With `encode`, the winner's events are checked and encoded batch by batch
    (`ExtractionResult.events`), as the plugin worker hands them over; without,
    they stay Event objects in the result (``intake.testing``).
    """
    out = ExtractionResult()
    for name, function in extract_impls(pm, item.mime):
        version = plugin_version(pm.get_plugin(name))
        start = time.monotonic()
        kind, value = call_one(function, item, case)
        sink = EncodedEvents(case, spool_dir=spool_dir) if encode else None
        if kind == "result":
            kept: list[Any] = []
            kind, value = drain(value, sink.add if sink else kept.extend)
            if sink is None and kind == "result" and isinstance(value, Extraction):
                value = dataclasses.replace(value, events=tuple(kept))
        if conclude(out, name, version, kind, value, time.monotonic() - start, case, sink):
            break
    return out


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


def has_plugin_sniffers(pm) -> bool:
    """Does any plugin besides the core's own sniffer implement ``intake_sniff``?"""
    return bool(hook_impls(pm, "intake_sniff", skip=CORE_SNIFFER))

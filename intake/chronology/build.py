"""Build the chronology from item records: order, merge, choose, number, hash.

The input is what ``Index.item_records()`` yields (docs/chronology-format.md);
the output is the ``chronology.json`` document as a plain dict, ready for
``canonical_bytes``. Everything here is a pure function of the records'
contents: not of their order, the machine's clock, zone or locale, or dict
ordering. The rules (orders, tie-breaks, merging, hashes) are documented in
docs/chronology.md; keep the two in step.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from .. import gc_tuning
from ..curation import (
    empty_state,
    entry_states,
    fold_entry,
    fold_persons,
    match_persons,
    source_id,
)
from ..custody_chain import parse_line
from ..lazy_events import LazyEvents, read_item_record
from ..phones import same_number_key
from ..timeclaims import (
    format_offset,
    local_with_offset,
)
from ..types import DEFAULT_ZONE
from .canonical import canonical_bytes
from .claims import (
    MAX_SAFE_INTEGER,
    because,
    claim_preference,
    claims_disagree,
    micros,
    one_period,
    parse_instant,
)
from .fast import FastEvent, read_event, read_event_text, simple_item
from .fast import forget as forget_fast_caches
from .fast import layout as fast_layout
from .hashing import Layout, seal_encoded
from .links import logbook_links, message_times, near_pictures
from .readings import ItemContext, ItemEvent, event_of, forget_shared_texts, item_context
from .split import Reader
from .textlinks import text_links
from .values import as_plain, as_strings, as_text, unique

FORMAT = "intake-chronology/1"
#: Entry fields `_entry` and the link passes make of text, integers and booleans
#: only (as_text, as_strings, format_utc, source_id...): sealing encodes them
#: without walking them first. facts, curation, persons and category are walked.
BUILT_OF_TEXT = frozenset({
    "kind", "instant", "local", "granularity", "id", "what", "message", "who", "to",
    "witnesses", "flags", "claims", "chosen_because", "exhibits", "sources", "links",
    "number", "prev_hash"})




# --------------------------------------------------------------------------- merging

def _norm_number(number: Any) -> str:
    """E.164 where the number is one (0468…, 0032 468…, +32 468… alike), else its digits."""
    text = as_text(number)
    key = _NUMBER_KEYS.get(text)
    if key is None:
        key = _NUMBER_KEYS[text] = same_number_key(text)
    return key


#: A phone backup names the same few thousand numbers again and again (emptied
#: at each build).
_NUMBER_KEYS: dict[str, str] = {}


def _merge_key(ev: ItemEvent | FastEvent) -> tuple | None:
    """Events with the same merge key (from different items) are one fact."""
    if type(ev) is FastEvent:
        return ev.mkey
    if ev.kind in ("sms", "mms", "call") and ev.best is None:
        return None
    return merge_key_of(ev.kind, ev.facts,
                         micros(parse_instant(ev.best["utc"])) if ev.best is not None else 0)


def merge_key_of(kind: str, f: Mapping[str, Any], instant: int) -> tuple | None:
    """The merge key of an event of `kind` with facts `f` and its chosen claim's
    instant (µs; only read for SMS, MMS and calls, which have a claim)."""
    if kind == "email":
        mid = as_text(f.get("message_id")).strip().strip("<>").strip()
        return ("email", mid) if mid else None
    if kind in ("sms", "mms", "call"):
        extra = f.get("duration_seconds") if kind == "call" else f.get("body")
        return (kind, _norm_number(f.get("number")), as_text(f.get("direction")), instant,
                _same_value(extra))
    return None


def _same_value(value: Any) -> tuple:
    """A hashable stand-in for a value: equal exactly when the JSON of the plain
    values is equal (text and integers without serialising them)."""
    if type(value) is str:
        return ("s", value)
    if type(value) is int and abs(value) <= MAX_SAFE_INTEGER:
        return ("i", value)
    plain = as_plain(value)
    if type(plain) is str:
        return ("s", plain)
    return ("j", json.dumps(plain, sort_keys=True))


def _group(events: list[ItemEvent]) -> list[list[ItemEvent]]:
    """Merge events that are the same fact. Two events of the same item are never
    merged: the n-th duplicate in one item joins the n-th duplicate in another."""
    buckets: dict[tuple, list[ItemEvent]] = defaultdict(list)
    groups: list[list[ItemEvent]] = []
    for ev in sorted(events, key=attrgetter("exhibit", "idx")):  # (their `order`)
        key = _merge_key(ev)
        if key is None:
            groups.append([ev])
        else:
            buckets[key].append(ev)
    # Bucket order does not reach the output: entries are sorted later by a key no
    # two groups share (their first event). Insertion order is deterministic anyway.
    for key in buckets:
        if len(buckets[key]) == 1:  # nearly every key: a fact in one item only
            groups.append(buckets[key])
            continue
        seen: dict[str, int] = defaultdict(int)
        subs: list[list[ItemEvent]] = []
        for ev in buckets[key]:  # already in (exhibit, idx) order
            n = seen[ev.exhibit]
            seen[ev.exhibit] += 1
            if n == len(subs):
                subs.append([])
            subs[n].append(ev)
        groups.extend(subs)
    return groups


# --------------------------------------------------------------------------- entries

def _entry(group: list[ItemEvent], children: Mapping[str, list[tuple[str, str]]],
           event_count: Mapping[str, int], zone: str,
           curated: Mapping[tuple[str, str], list[dict]]) -> dict:
    if len(group) > 1:
        group = sorted(group, key=lambda e: (e.exhibit, e.plugin, e.key, e.idx))
    first = group[0]
    claims = [c for ev in group for c in ev.claims]
    if len(claims) > 1:
        claims.sort(key=lambda c: claim_preference(first.kind, c))
    for i, c in enumerate(claims):  # each claim dict belongs to this entry alone
        c["chosen"] = i == 0
    flags = [f for ev in group for f in ev.flags]
    disagree = False
    entry: dict[str, Any] = {"kind": first.kind}
    if claims:
        best = claims[0]
        disagree = any(c["meaning"] == best["meaning"] and not one_period(best, c)
                       and claims_disagree(best, c) for c in claims[1:])
        offset = best["offset"]
        if best["zone"] == "utc" or not offset:
            moment = parse_instant(best["utc"])
            offset = format_offset(moment.astimezone(ZoneInfo(zone)).utcoffset())
        entry["instant"] = best["utc"]  # in format_utc's form since _claim
        entry["local"] = local_with_offset(entry["instant"], offset)
        entry["granularity"] = best["granularity"]
        flags += best["flags"]
        if best["meaning"] == "filed" or best["confidence"] == "low":
            flags.append("low-confidence-time")
        if disagree:
            flags.append("claims-disagree")
    else:
        entry.update(instant=None, local=None, granularity=None)
    category = ""
    for ev in group:
        if "category" in ev.override:
            category = as_text(ev.override["category"])
            break
    else:
        category = next((ev.category for ev in group if ev.category), "")
    entry_id = source_id(first.exhibit, first.ref)
    said = [r for ev in group for r in curated.get((ev.exhibit, ev.ref), ())] + \
        list(curated.get(("id", entry_id), ())) if curated else ()
    curation = fold_entry(said) if said else empty_state()
    if "category" in curation:  # the adviser's latest word on the kind of behaviour
        category = curation.pop("category")
    if len(group) == 1:
        facts = dict(first.facts)
    else:
        facts = {}
        for ev in group:
            for k, v in ev.facts.items():
                facts.setdefault(k, v)
    entry.update(
        id=entry_id, curation=curation,
        what=first.what, message=first.message, who=first.who, to=first.to,
        category=category,
        witnesses=unique(w for ev in group for w in ev.witnesses),
        flags=sorted(set(flags)), facts=facts,
        claims=claims,
        chosen_because=because(first.kind, claims, disagree),
        exhibits=_exhibits(group, children, event_count),
        sources=[{"exhibit": ev.exhibit, "plugin": ev.plugin, "plugin_version": ev.plugin_version,
                  "event_key": ev.key, **ev.reading} for ev in group],
        links=(),  # a list once a link is added (`_Draft`)
    )
    entry["_order"] = (first.kind, first.exhibit, first.key, first.idx)
    entry["_micros"] = micros(parse_instant(entry["instant"])) if claims else 0
    entry["_phashes"] = unique(p for ev in group for p in ev.phashes) or ()
    return entry


def _curated(ev: FastEvent, curated: Mapping[tuple[str, str], list[dict]]) -> bool:
    """Whether the adviser said something about the entry of this one event."""
    return bool(curated.get((ev.exhibit, ev.ref))
                or curated.get(("id", source_id(ev.exhibit, ev.ref))))


def _exhibits(group: list[ItemEvent] | list[FastEvent], children: Mapping[str, list[tuple[str, str]]],
              event_count: Mapping[str, int]) -> list[str]:
    """The entry's exhibits: its events' items, and the items inside them that
    belong to the event (attachments named by its key, or all of a one-event item)."""
    exhibits = [ev.exhibit for ev in group]
    for ev in group:
        for child, ekey in children.get(ev.exhibit, ()):
            if ekey == ev.key if ekey else event_count.get(ev.exhibit, 0) == 1:
                exhibits.append(child)
    return unique(exhibits)


def _local_date(instant: str, zone: str) -> date:
    return parse_instant(instant).astimezone(ZoneInfo(zone)).date()


def exhibit_ranks(shas: Iterable[str], parents: Mapping[str, list[str]],
                  entries: Iterable[Mapping[str, Any]]) -> dict[str, int | None]:
    """For each exhibit, the first entry number that cites it or, failing that,
    any item inside it (attachments, zip members); None if there is none."""
    shas = list(shas)
    cited: dict[str, int] = {}
    for e in entries:
        if type(e) is _Draft:  # the builder's own: its fields as they are
            exhibits, number = e.exhibits, e.number
        else:
            exhibits = e.get("exhibits", ())
            number = e["number"] if exhibits else None
        for sha in exhibits:
            if sha not in cited or number < cited[sha]:
                cited[sha] = number
    kids: dict[str, set[str]] = defaultdict(set)
    for sha in shas:
        for p in parents.get(sha, ()):
            kids[p].add(sha)
    ranks: dict[str, int | None] = {}
    for sha in shas:
        best = cited.get(sha)
        if best is None:
            todo, seen = list(kids.get(sha, ())), {sha}
            while todo:
                k = todo.pop()
                if k in seen:
                    continue
                seen.add(k)
                r = cited.get(k)
                if r is not None and (best is None or r < best):
                    best = r
                todo.extend(kids.get(k, ()))
        ranks[sha] = best
    return ranks


@dataclass
class _Item:
    """What the chronology keeps of one item record: its events, its exhibit
    fields (without number and label) and its links to parents. `get` answers
    for the record's "parents" and "names", as the record did."""

    events: list[ItemEvent]
    exhibit: dict
    parents: list[dict]  # {"sha256", "event_key", "relation"}, texts

    def get(self, key: str, default: Any = None) -> Any:
        if key == "parents":
            return self.parents
        if key == "names":
            return self.exhibit["names"]
        return default


def _item(record: Mapping[str, Any], zone: str, reader: Reader | None = None) -> _Item:
    links = [{"sha256": as_text(p["sha256"]), "event_key": as_text(p.get("event_key")),
              "relation": as_text(p.get("relation"))}
             for p in record.get("parents") or ()
             if isinstance(p, Mapping) and p.get("sha256")]
    exhibit = _exhibit(record, 0)
    del exhibit["number"], exhibit["label"]
    return _Item(_events(record, zone, reader), exhibit, links)


def _read_text(ctx: ItemContext, idx: int, text: Any, zone: str) -> ItemEvent | FastEvent:
    """One event from its JSON text: straight to a `FastEvent` if it is simple."""
    ev = read_event_text(ctx, idx, text, zone, merge_key_of)
    if ev is None:
        raw = parse_line(bytes(text))
        ev = read_event(ctx, idx, raw, zone, merge_key_of) or event_of(ctx, idx, raw, zone)
    return ev


def _events(record: Mapping[str, Any], zone: str,
            reader: Reader | None = None) -> list[ItemEvent | FastEvent]:
    """The item's events: simple ones already encoded (fast.py), the others read
    by readings.py."""
    ctx = item_context(record)
    raws = (record.get("extraction") or {}).get("events") or ()
    if not simple_item(record, ctx):
        return [event_of(ctx, idx, raw, zone) for idx, raw in enumerate(raws)]
    out: list[ItemEvent | FastEvent] = []
    if type(raws) is LazyEvents:  # the events' texts: a simple one is read from its text
        if reader is not None:  # some chunks perhaps in the helper process (split.py)
            return reader.events(ctx, raws.texts)
        return [_read_text(ctx, idx, text, zone) for idx, text in enumerate(raws.texts)]
    for idx, raw in enumerate(raws):
        out.append(read_event(ctx, idx, raw, zone, merge_key_of)
                   or event_of(ctx, idx, raw, zone))
    return out


def _general(ev: ItemEvent | FastEvent) -> ItemEvent:
    return ev.item_event() if type(ev) is FastEvent else ev


def _item_key(item: _Item) -> str:
    """Which of several differing records of one item wins: the least by this key,
    so the result never depends on the order of the input."""
    item = dataclasses.replace(item, events=[_general(ev) for ev in item.events])
    return json.dumps(dataclasses.asdict(item), sort_keys=True, default=str)


def _exhibit(record: Mapping[str, Any], number: int) -> dict:
    parents = record.get("parents") or ()
    return {
        "number": number,
        "label": f"A{number}",
        "sha256": record["sha256"],
        "sha512": as_text(record.get("sha512")),
        "md5": as_text(record.get("md5")),
        "size": int(record.get("size") or 0),
        "mime": as_text(record.get("mime")),
        "names": sorted(set(as_strings(record.get("names")))),
        "parents": sorted({as_text(p.get("sha256")) for p in parents
                           if isinstance(p, Mapping) and p.get("sha256")}),
        "warnings": sorted(set(as_strings(record.get("warnings")))),
    }


def build_chronology(records: Iterable[Mapping[str, Any]], *, case: Mapping[str, Any],
                     tool_version: str, date_from: str | None = None,
                     date_to: str | None = None,
                     curation: Iterable[Mapping[str, Any]] = ()) -> dict:
    """The chronology document (docs/chronology-format.md) from item records and the
    adviser's curation records (``Index.curation_records()``, each with its ``seq``).

    A record may come as its JSON text (``Index.item_record_texts()``): its simple
    events are then read from their texts, never made dicts (issue 19)."""
    gc_tuning.tune()  # 100,000 entries are built at once (issue 19)
    forget_shared_texts()
    forget_fast_caches()
    _NUMBER_KEYS.clear()
    curation = list(curation)
    curated = entry_states(curation)
    persons = fold_persons(curation)
    zone = as_text(case.get("timezone")) or DEFAULT_ZONE
    ZoneInfo(zone)  # fail early on an unknown zone
    d_from = date.fromisoformat(date_from) if date_from else None
    d_to = date.fromisoformat(date_to) if date_to else None

    # One record per item, whatever the order or repetition of the input. Each
    # record is reduced as it streams in to what the chronology uses (`_Item`):
    # the records of a big case (plugin runs, derived lists) no longer sit in
    # memory all at once (issue 9, point 10).
    copies: dict[str, list[_Item]] = defaultdict(list)
    reader = Reader(zone, lambda ctx, idx, text: _read_text(ctx, idx, text, zone))
    try:
        for rec in records:
            if isinstance(rec, bytes | bytearray | memoryview):  # a record's JSON text
                rec = read_item_record(rec)
            copies[rec["sha256"]].append(_item(rec, zone, reader))
            rec = None  # a phone backup's record (its JSON inside) goes now, not at the end
    finally:
        reader.finish()  # the chunks read by the helper in their places; the helper ended
    by_sha: dict[str, _Item] = {
        sha: items[0] if len(items) == 1 else min(items, key=_item_key)
        for sha, items in copies.items()}
    del copies
    shas = sorted(by_sha)
    parents = {s: sorted({p["sha256"] for p in by_sha[s].parents}) for s in shas}
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s in shas:
        for p in by_sha[s].parents:
            children[p["sha256"]].append((s, p["event_key"]))
    for v in children.values():
        v.sort()

    events: list[ItemEvent] = []
    event_count: dict[str, int] = {}
    for s in shas:
        evs = by_sha[s].events
        by_sha[s].events = []
        event_count[s] = len(evs)
        events += evs
    if any(item.parents for item in by_sha.values()):  # else it has nothing to do
        message_times(events, by_sha)

    groups = _group(events)
    del events
    forget_fast_caches()  # read and merged: what they held is in the events now
    _NUMBER_KEYS.clear()
    groups.reverse()

    def inside(instant: str) -> bool:
        d = _local_date(instant, zone)
        return (d_from is None or d >= d_from) and (d_to is None or d <= d_to)

    built: list[_Draft] = []
    layouts: dict[tuple, Layout] = {}
    when = inside if (d_from or d_to) else None
    while groups:  # each group's events are freed once its entry is made (issue 19)
        group = groups.pop()
        if len(group) == 1 and type(group[0]) is FastEvent and not persons and not (
                curated and _curated(group[0], curated)):
            built.append(_Draft.fast(group[0], children, event_count, when))
            continue
        e = _entry([_general(ev) for ev in group], children, event_count, zone, curated)
        e["persons"] = match_persons(e, persons)
        built.append(_Draft(e, layouts, when))
    # Exhibits whose family has any entry at all, before the period filter.
    all_ranks = exhibit_ranks(shas, parents, built)  # numbers are all 0 here
    dated = [d for d in built if d.dated and d.inside]
    undated = [d for d in built if not d.dated]
    del built
    dated.sort(key=lambda d: (d.micros,) + d.order)
    undated.sort(key=lambda d: d.order)
    entries = dated + undated
    n_dated = len(dated)
    del dated, undated
    for n, d in enumerate(entries, 1):
        d.number = n

    # Links: the same picture in several items (re-saved, re-compressed copies).
    for i, j in near_pictures(entries):
        a, b = entries[i], entries[j]
        if set(a.exhibits) & set(b.exhibits):
            continue
        rel = "same-screenshot" if "screenshot" in (a.kind, b.kind) else "same-image"
        a.links_to_add().append({"relation": rel, "entry": b.number})
        b.links_to_add().append({"relation": rel, "entry": a.number})

    # Links by text: a message and the screenshot that shows it, a letter and its photo.
    # (Without a picture's text there is nothing to compare: the messages' texts
    # are not decoded then.)
    for i, j, rel in text_links(entries) if any(d.ocr for d in entries) else ():
        a, b = entries[i], entries[j]
        if set(a.exhibits) & set(b.exhibits):
            continue
        a.links_to_add().append({"relation": rel, "entry": b.number})
        b.links_to_add().append({"relation": rel, "entry": a.number})

    if any(d.kind == "logbook" for d in entries):  # links only logbook entries make
        logbook_links(entries, by_sha)

    # Exhibits: items related to a kept entry, plus items related to no entry at all.
    ranks = exhibit_ranks(shas, parents, entries)
    keep = [s for s in shas if ranks[s] is not None or all_ranks[s] is None]
    keep.sort(key=lambda s: (ranks[s] is None, ranks[s] or 0, s))
    numbers = {s: i for i, s in enumerate(keep, 1)}
    exhibits = [{"number": numbers[s], "label": f"A{numbers[s]}", **by_sha[s].exhibit}
                for s in keep]

    def sealed_one_by_one() -> Iterator[tuple[Layout, tuple[bytes, tuple[int, ...]], dict[str, bytes]]]:
        for i in range(len(entries)):
            d, entries[i] = entries[i], None  # let go of each draft as it is sealed
            yield d.layout, d.runs, d.late(numbers)

    doc = {
        "format": FORMAT,
        "case": {"name": as_text(case.get("name")) or "case", "timezone": zone,
                 "language": as_text(case.get("language")) or "nl"},
        "tool": {"name": "intake", "version": tool_version},
        "period": {"from": date_from, "to": date_to},
        "persons": persons,
        "exhibits": exhibits,
        "entries": [],
        "undated": [],
    }
    return seal_encoded(doc, sealed_one_by_one(), n_dated)


#: Entry fields that are known only once all entries are made (numbers, links,
#: the order of exhibits, flags a logbook entry sets) or at sealing (hashes).
LATE = frozenset({"number", "exhibits", "links", "flags", "prev_hash", "entry_hash"})


class _Draft:
    """An entry between `_entry` and sealing: its fixed fields already encoded
    (`runs`, issue 19: 100,000 entries as dicts took about 400 MB) and what
    numbering, linking and sealing still need as Python values.

    The link passes read a draft as they read an entry dict (``d["kind"]``,
    ``d["facts"]``, ``d["links"].append``...): fixed fields are decoded from
    the runs on each read.
    """

    __slots__ = ("layout", "runs", "kind", "micros", "order", "dated", "inside", "phashes",
                 "exhibits", "flags", "links", "number", "ocr")
    _NAMES = {"kind": "kind", "_phashes": "phashes", "exhibits": "exhibits", "flags": "flags",
              "links": "links", "number": "number"}

    def __init__(self, e: dict, layouts: dict[tuple, Layout],
                 inside: Callable[[str], bool] | None) -> None:
        self.kind = e["kind"]
        self.order = e.pop("_order")
        self.micros = e.pop("_micros")
        self.phashes = e.pop("_phashes")
        self.dated = e["instant"] is not None
        self.inside = inside is None or not self.dated or inside(e["instant"])
        self.exhibits = e["exhibits"]
        self.flags = e["flags"]
        self.links = e["links"]
        self.number = 0
        ocr = e["facts"].get("ocr_text")
        self.ocr = isinstance(ocr, str) and bool(ocr.strip())
        keys = tuple(e)
        layout = layouts.get(keys)
        if layout is None:
            layout = layouts[keys] = Layout(keys + ("number", "prev_hash", "entry_hash"), LATE,
                                            BUILT_OF_TEXT)
        self.layout = layout
        self.runs = layout.encode(e)

    @classmethod
    def fast(cls, ev: FastEvent, children: Mapping[str, list[tuple[str, str]]],
             event_count: Mapping[str, int], inside: Callable[[str], bool] | None) -> _Draft:
        """The draft of a one-event entry whose fixed fields fast.py encoded."""
        d = cls.__new__(cls)
        d.layout = fast_layout()
        d.runs = ev.runs
        d.kind = ev.kind
        d.order = (ev.kind, ev.exhibit, ev.key, ev.idx)
        d.micros = ev.micros
        d.phashes = ()
        d.dated = True
        d.inside = inside is None or inside(d.layout.field(ev.runs, "instant"))
        d.exhibits = _exhibits([ev], children, event_count) if ev.exhibit in children \
            else [ev.exhibit]
        d.flags = ev.flags
        d.links = ()
        d.number = 0
        d.ocr = ev.ocr
        return d

    def __getitem__(self, key: str) -> Any:
        if key == "links":
            return self.links_to_add()
        name = self._NAMES.get(key)
        if name is not None:
            return getattr(self, name)
        if key not in self.layout.run_of:
            raise KeyError(key)
        return self.layout.field(self.runs, key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in ("flags", "links"):
            raise KeyError(f"{key} of an entry is fixed once the entry is made")
        setattr(self, key, value)

    def links_to_add(self) -> list[dict]:
        """The links as a list to append to (an entry without links shares one ())."""
        if type(self.links) is not list:
            self.links = list(self.links)
        return self.links

    def late(self, numbers: Mapping[str, int]) -> dict[str, bytes]:
        """The late fields but the hashes, as canonical bytes."""
        if len(self.exhibits) == 1 and not self.links and not self.flags:  # most entries
            return {"number": b"%d" % self.number,
                    "exhibits": canonical_bytes(self.exhibits, checked=True),
                    "links": b"[]", "flags": b"[]"}
        return {
            "number": str(self.number).encode(),
            "exhibits": canonical_bytes(sorted(self.exhibits, key=lambda s: (numbers.get(s, 0), s)),
                                        checked=True),
            "links": canonical_bytes(sorted(self.links, key=lambda k: (k["entry"], k["relation"])),
                                     checked=True),
            "flags": canonical_bytes(self.flags, checked=True),
        }


# --------------------------------------------------------------------------- proofs


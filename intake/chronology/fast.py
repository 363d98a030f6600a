"""The common event read straight into its entry's bytes (issue 19, point 4).

Nearly every event of a phone backup or a mailbox is simple: one time claim
with its UTC instant, offset and zone, flat facts with ASCII keys, no
overrides, witnesses, flags or pictures. Such an event becomes a one-event
entry in 95 % of cases, and that entry's fixed fields are the same function of
the event's parts every time. `read_event` encodes them when the event is
read (`FastEvent`: those bytes plus what grouping, ordering and sealing need)
instead of making a claim dict of 19 keys, an `ItemEvent`, an entry dict and
then the bytes. Anything else (and any event whose encoding fails) takes the
general path of readings.py and build.py, which stays the reference: the
tests build every case both ways and compare the bytes.

An event that is merged with another (the same SMS in two backups) becomes an
`ItemEvent` again (`FastEvent.item_event`, decoded from its bytes) and goes
through the general path with its group.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import orjson

from ..curation import event_ref, source_id
from ..timeclaims import format_offset, parse_offset
from .claims import MAX_SAFE_INTEGER, NORMAL_UTC, only_claim, utc_text
from .hashing import Layout
from .readings import ItemContext, ItemEvent
from .values import as_text

#: Set to False to send every event down the general path (the tests compare both).
ENABLED = True

#: The keys of an entry as build._entry makes them (then persons), in that order.
ENTRY_KEYS = ("kind", "instant", "local", "granularity", "id", "curation", "what", "message",
              "who", "to", "category", "witnesses", "flags", "facts", "claims",
              "chosen_because", "exhibits", "sources", "links", "persons")
#: The kinds whose facts take the item's facts too (readings.event_of): not simple.
_WITH_ITEM_FACTS = ("photo", "screenshot", "letter")
_SCALARS = (str, bool, type(None))
_OPT = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_CURATION = b',"curation":{"note":"","ombudsman":"","police":"","records":[],"star":false,"tags":[]}'


class FastEvent(msgspec.Struct, array_like=True, gc=False):
    """A simple event with its one-event entry's fixed fields already encoded
    (`runs`, as `Layout.encode` gives them for `ENTRY_KEYS`). A msgspec Struct:
    the helper process (split.py) hands a chunk of them back as one msgpack
    bytes object, decoded in C (pickled objects cost more than reading them)."""

    exhibit: str
    idx: int
    key: str
    kind: str
    mkey: Any  # the merge key (build.merge_key_of): a tuple, or None
    micros: int
    runs: tuple[bytes, tuple[int, ...]]
    flags: list[str]
    ocr: bool

    @property
    def order(self) -> tuple[str, int]:
        return (self.exhibit, self.idx)

    @property
    def ref(self) -> str:
        return event_ref(self.key, self.idx)

    @property
    def best(self) -> dict:
        """The event's one claim, as readings.read_claim gives it."""
        claim = layout().field(self.runs, "claims")[0]
        del claim["chosen"]
        return claim

    def item_event(self) -> ItemEvent:
        """The event as readings.event_of makes it (for a group of several events)."""
        lay = layout()
        fields = orjson.loads(b"{" + b",".join(lay.run_bytes(self.runs)) + b"}")
        claim = fields["claims"][0]
        del claim["chosen"]
        source = fields["sources"][0]
        return ItemEvent(
            exhibit=self.exhibit, idx=self.idx, key=self.key, plugin=source["plugin"],
            plugin_version=source["plugin_version"], kind=self.kind, what=fields["what"],
            who=fields["who"], to=(), category=fields["category"], witnesses=(), flags=(),
            facts=fields["facts"], claims=[claim], override={}, message=fields["message"],
            phashes=(), best=claim, reading={})


_LAYOUT: list[Layout] = []


def layout() -> Layout:
    """The one layout of simple entries (made once)."""
    if not _LAYOUT:
        from .build import BUILT_OF_TEXT, LATE

        _LAYOUT.append(Layout(ENTRY_KEYS + ("number", "prev_hash", "entry_hash"), LATE,
                              BUILT_OF_TEXT))
    return _LAYOUT[0]


def simple_item(record: Mapping[str, Any], ctx: ItemContext) -> bool:
    """Whether the item's events may take the fast path at all: no parents (a
    message's media get its time), no reading history (sources carry it), no
    perceptual hash among the item's facts (every event would carry it)."""
    facts = ctx.item_facts
    return (ENABLED and not record.get("parents") and not ctx.reading
            and not (isinstance(facts, Mapping) and isinstance(facts.get("phash"), str)
                     and facts["phash"]))


def read_event(ctx: ItemContext, idx: int, raw: Any, zone: str,
               merge_key: Any) -> FastEvent | None:
    """The event as a `FastEvent`, or None if it is not simple (the general path
    then reads it, and says what is wrong with it if anything is)."""
    if type(raw) is not dict:
        return None
    get = raw.get
    claims = get("claims")
    if type(claims) is not list or len(claims) != 1 or get("flags") or get("to") \
            or get("witnesses"):
        return None
    c = claims[0]
    if type(c) is not dict or c.get("flags"):
        return None
    utc, offset, czone = c.get("utc"), c.get("offset"), c.get("zone")
    if type(utc) is not str or type(offset) is not str or type(czone) is not str \
            or not utc or not offset or not czone:
        return None
    kind = get("kind")
    if type(kind) is not str or not kind or kind in _WITH_ITEM_FACTS:
        return None
    facts = get("facts") or {}
    if type(facts) is not dict or "phash" in facts:
        return None
    for k, v in facts.items():
        if type(k) is not str or not k.isascii():
            return None
        if type(v) is int:
            if not -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
                return None
        elif type(v) not in _SCALARS:
            return None
    key = _text(get("key"))
    if key and isinstance(ctx.overrides.get(key), Mapping):
        return None
    try:
        return _encode(ctx, idx, kind, key, facts, utc, offset, czone, c.get("source"),
                       c.get("meaning"), c.get("granularity"), c.get("confidence"),
                       c.get("local"), c.get("note"), get("category"), get("message"),
                       get("summary"), get("who"), zone, merge_key)
    except Exception:  # noqa: BLE001 - the general path reads it and says what is wrong
        return None


class _Claim(msgspec.Struct, gc=False):
    """A time claim as the fast path reads it: text fields (or null) only."""

    utc: str | None = None
    offset: str | None = None
    zone: str | None = None
    source: str | None = None
    meaning: str | None = None
    granularity: str | None = None
    confidence: str | None = None
    local: str | None = None
    note: str | None = None
    flags: Any = None


class _Event(msgspec.Struct, gc=False):
    """An event as the fast path reads it: msgspec checks the types in C, in one
    call, instead of a dictionary lookup and a type test per field."""

    kind: str | None = None
    key: str | None = None
    summary: str | None = None
    who: str | None = None
    category: str | None = None
    message: str | None = None
    facts: dict[str, str | int | bool | None] | None = None
    claims: list[_Claim] | None = None
    flags: Any = None
    to: Any = None
    witnesses: Any = None


_decode_event = msgspec.json.Decoder(_Event).decode


def read_event_text(ctx: ItemContext, idx: int, raw: Any, zone: str,
                    merge_key: Any) -> FastEvent | None:
    """`read_event` of the event's JSON text (bytes or msgspec.Raw), without making
    it a dict first. None where it is not simple or has a type the `_Event`
    shape refuses (a number as a summary, a float fact...): the caller then
    parses it and asks `read_event`, so the answer is always that of the dict."""
    try:
        ev = _decode_event(raw)
    except msgspec.DecodeError:
        return None
    claims = ev.claims
    if not claims or len(claims) != 1 or ev.flags or ev.to or ev.witnesses:
        return None
    c = claims[0]
    utc, offset, czone = c.utc, c.offset, c.zone
    if c.flags or not utc or not offset or not czone:
        return None
    kind = ev.kind
    if not kind or kind in _WITH_ITEM_FACTS:
        return None
    facts = ev.facts or {}
    if "phash" in facts or not "".join(facts).isascii():
        return None  # (integers beyond 2**53 make orjson refuse in _encode)
    key = ev.key or ""
    if key and isinstance(ctx.overrides.get(key), Mapping):
        return None
    try:
        return _encode(ctx, idx, kind, key, facts, utc, offset, czone, c.source, c.meaning,
                       c.granularity, c.confidence, c.local, c.note, ev.category, ev.message,
                       ev.summary, ev.who, zone, merge_key)
    except Exception:  # noqa: BLE001 - the general path reads it and says what is wrong
        return None


#: The fixed runs of a simple entry, with its values (JSON texts) to fill in.
_RUN0 = (b'"category":%b,"chosen_because":%b,"claims":[{"chosen":true,"confidence":%b,'
         b'"exhibit":%b,"flags":[],"granularity":%b,"local":%b,"meaning":%b,"note":%b,'
         b'"offset":%b,"plugin":%b,"plugin_version":%b,"source":%b,"utc":%b,"zone":%b}]'
         + _CURATION)
_RUN2 = b'"granularity":%b,"id":%b,"instant":%b,"kind":%b'
_RUN3 = b'"local":%b,"message":%b'
_RUN4 = b'"persons":[]'
_RUN5 = (b'"sources":[{"event_key":%b,"exhibit":%b,"plugin":%b,"plugin_version":%b}],'
         b'"to":[],"what":%b,"who":%b,"witnesses":[]')
_dumps = orjson.dumps
_JSON_MAX = 100_000
_EPOCH = datetime(1970, 1, 1)


class _Texts(dict):
    """JSON texts of strings that repeat (sources, meanings, numbers, summaries...):
    ``_JSON[text]``, made on the first use; at most `_JSON_MAX` kept."""

    def __missing__(self, text: str) -> bytes:
        out = _dumps(text)
        if len(self) < _JSON_MAX:
            self[text] = out
        return out


#: emptied at each build (`forget`), as the offsets read once each
_JSON = _Texts()
_ZONES: dict[str, Any] = {}


def forget() -> None:
    """Empty the caches (at the start of each build: nothing outlives it)."""
    _JSON.clear()
    _ZONES.clear()


def _text(value: Any) -> str:
    return value if type(value) is str else as_text(value)


def _encode(ctx: ItemContext, idx: int, kind: str, key: str, facts: dict, utc: str,
            offset: str, czone: str, source: Any, meaning: Any, granularity: Any,
            confidence: Any, local: Any, note: Any, category: Any, message: Any,
            summary: Any, who: Any, zone: str, merge_key: Any) -> FastEvent:
    if not NORMAL_UTC.fullmatch(utc):
        utc = utc_text(utc)
    naive = datetime.fromisoformat(utc[:-1])  # the instant in UTC (claims.utc_text's check)
    source, meaning = _text(source), _text(meaning)
    granularity = _text(granularity) or "second"
    confidence = _text(confidence) or "high"
    tz_offset = offset
    if czone == "utc":
        tz_offset = format_offset(naive.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).utcoffset())
    tz = _ZONES.get(tz_offset)
    if tz is None:
        tz = parse_offset(tz_offset)
        tz = _ZONES[tz_offset] = (tz.utcoffset(None),
                                  datetime(2000, 1, 1, tzinfo=tz).isoformat()[19:])
    # timeclaims.local_with_offset without an aware datetime: the wall time at the
    # offset, its ISO text and the offset's own
    wall = naive + tz[0]
    us = wall.microsecond
    local_text = wall.isoformat(timespec="seconds" if not us else
                           "milliseconds" if us % 1000 == 0 else "microseconds") + tz[1]
    J = _JSON
    sha, plugin, version = J[ctx.sha], J[ctx.plugin], J[ctx.version]
    utc_json = _dumps(utc)
    runs = (
        _RUN0 % (J[_text(category)], J[only_claim(source, meaning, confidence)],
                 J[confidence], sha, J[granularity], _dumps(_text(local)),
                 J[meaning], J[_text(note)], J[offset], plugin, version,
                 J[source], utc_json, J[czone]),
        b'"facts":' + _dumps(facts, option=_OPT),
        _RUN2 % (J[granularity], _dumps(source_id(ctx.sha, key or f"#{idx}")), utc_json,
                 J[kind]),
        _RUN3 % (_dumps(local_text), J[_text(message)]),
        _RUN4,
        _RUN5 % (_dumps(key), sha, plugin, version, J[_text(summary)],
                 J[_text(who)]),
    )
    n0 = len(runs[0])
    n1 = n0 + len(runs[1])
    n2 = n1 + len(runs[2])
    n3 = n2 + len(runs[3])
    n4 = n3 + len(_RUN4)
    delta = naive - _EPOCH
    at = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds  # claims.micros
    ocr = facts.get("ocr_text")
    return FastEvent(ctx.sha, idx, key, kind, merge_key(kind, facts, at), at,
                     (b"".join(runs), (n0, n1, n2, n3, n4, n4 + len(runs[5]))),
                     ["low-confidence-time"] if meaning == "filed" or confidence == "low" else [],
                     isinstance(ocr, str) and bool(ocr.strip()))

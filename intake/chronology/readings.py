"""An item record's events as the chronology reads them (``build.py`` merges them).

Each event's claims are resolved and normalised in the case's zone, with the
plugin and exhibit they came from; an unreadable claim becomes a flag on its
event, never an error. Pure functions of the record and the zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..curation import event_ref
from ..serialize import claim_from_plain
from ..timeclaims import BadTimeClaim, resolve
from .claims import CLAIM_FIELDS, best_claim, utc_text
from .values import as_plain, as_strings, as_text, unique


@dataclass(slots=True)  # 100,000 of them are alive at once (issue 19): no __dict__ each
class ItemEvent:
    exhibit: str
    idx: int
    key: str
    plugin: str
    plugin_version: str
    kind: str
    what: str
    who: str
    to: list[str] | tuple[()]
    category: str
    witnesses: list[str] | tuple[()]
    flags: list[str] | tuple[()]
    facts: dict
    claims: list[dict]
    override: dict
    message: str = ""
    phashes: list[str] | tuple[()] = ()
    best: dict | None = None
    #: for an item read more than once: when this reading was made and what read it before
    reading: dict = field(default_factory=dict)

    @property
    def order(self) -> tuple[str, int]:
        return (self.exhibit, self.idx)

    @property
    def ref(self) -> str:
        """How curation records name this event (intake/curation.py)."""
        return event_ref(self.key, self.idx)


def read_claim(raw: Mapping[str, Any], ev: dict, zone: str) -> tuple[dict | None, str]:
    """A resolved, normalised claim with its provenance, or (None, flag)."""
    c = {k: raw.get(k) for k in CLAIM_FIELDS}
    c["flags"] = as_strings(raw.get("flags"))
    for k in ("local", "source", "meaning", "zone", "note"):
        c[k] = as_text(c[k])
    c["granularity"] = as_text(c["granularity"]) or "second"
    c["confidence"] = as_text(c["confidence"]) or "high"
    try:
        if not c["utc"] or not c["offset"] or not c["zone"]:
            resolved = resolve(claim_from_plain({**c, "flags": c["flags"], "utc": None}), zone)
            c.update(utc=resolved.utc, offset=resolved.offset, zone=resolved.zone,
                     flags=list(resolved.flags))
        c["utc"] = utc_text(as_text(c["utc"]))
        c["offset"] = as_text(c["offset"])
    except (BadTimeClaim, ValueError, TypeError):
        return None, "unreadable-time-claim"
    for k in _FEW_VALUES:  # one text object for all 100,000 "received"s
        c[k] = _SHARED.setdefault(c[k], c[k])
    c.update(ev)
    return c, ""


#: Claim fields with few distinct values in a case; their texts are shared
#: (`_SHARED`, emptied at each build) instead of one copy per claim.
_FEW_VALUES = ("offset", "zone", "source", "meaning", "granularity", "confidence")
_SHARED: dict[str, str] = {}


def forget_shared_texts() -> None:
    """Empty the shared texts (at the start of each build: nothing outlives it)."""
    _SHARED.clear()


@dataclass(slots=True)
class ItemContext:
    """What every event of one item record shares: its exhibit, plugin, facts,
    the adviser's overrides and its reading history."""

    sha: str
    plugin: str
    version: str
    overrides: Any
    item_facts: Any
    reading: dict


def item_context(record: Mapping[str, Any]) -> ItemContext:
    ext = record.get("extraction") or {}
    return ItemContext(record["sha256"], as_text(ext.get("plugin")), as_text(ext.get("version")),
                       record.get("overrides") or {}, as_plain(ext.get("facts") or {}),
                       reading_history(ext))


def item_events(record: Mapping[str, Any], zone: str) -> list[ItemEvent]:
    """One item record's events, each claim resolved in `zone` with its provenance."""
    ctx = item_context(record)
    ext = record.get("extraction") or {}
    return [event_of(ctx, idx, raw, zone) for idx, raw in enumerate(ext.get("events") or ())]


def event_of(ctx: ItemContext, idx: int, raw: Mapping[str, Any], zone: str) -> ItemEvent:
    """The `idx`-th event of an item (`ctx`), its claims resolved in `zone`."""
    sha, plugin, version, item_facts = ctx.sha, ctx.plugin, ctx.version, ctx.item_facts
    key = as_text(raw.get("key"))
    kind = as_text(raw.get("kind")) or "file"
    facts = as_plain(raw.get("facts") or {})
    if not isinstance(facts, dict):
        facts = {"value": facts}
    if kind in ("photo", "screenshot", "letter") and isinstance(item_facts, dict):
        facts = {**item_facts, **facts}
    flags = as_strings(raw.get("flags"))
    claims = []
    prov = {"plugin": plugin, "plugin_version": version, "exhibit": sha}
    for rc in raw.get("claims") or ():
        c, bad = read_claim(rc, prov, zone)
        if c is None:
            flags.append(bad)
        else:
            claims.append(c)
    witnesses = as_strings(raw.get("witnesses"))
    if not witnesses and isinstance(facts.get("witnesses"), list):
        for w in facts["witnesses"]:
            if isinstance(w, Mapping):
                name, contact = as_text(w.get("name")), as_text(w.get("contact"))
                witnesses.append(f"{name} ({contact})" if name and contact else name or contact)
            elif as_text(w):
                witnesses.append(as_text(w))
    phashes = []
    for src in (facts, item_facts):
        if isinstance(src, Mapping) and isinstance(src.get("phash"), str) and src["phash"]:
            phashes.append(src["phash"].lower())
    ov = ctx.overrides.get(key) if key else None
    ev = ItemEvent(
        exhibit=sha, idx=idx, key=key, plugin=plugin, plugin_version=version, kind=kind,
        # empty lists as one shared () (read only): 100,000 events had 400,000 of them
        what=as_text(raw.get("summary")), who=as_text(raw.get("who")),
        to=as_strings(raw.get("to")) or (),
        category=as_text(raw.get("category")), witnesses=[w for w in witnesses if w] or (),
        flags=flags or (), facts=facts, claims=claims,
        override=dict(ov) if isinstance(ov, Mapping) else {}, phashes=unique(phashes) or (),
        message=as_text(raw.get("message")), reading=ctx.reading,
    )
    if claims:
        ev.best = best_claim(kind, claims)
    return ev


def reading_history(ext: Mapping[str, Any]) -> dict:
    """When the chosen reading of an item was made and what read it before (issue 17).

    Only for an item read more than once, so a chronology of items read once
    is the same as before re-readings existed.
    """
    history = [h for h in ext.get("history") or () if isinstance(h, Mapping)]
    if len(history) < 2:
        return {}
    record = as_text(ext.get("record"))
    earlier = [{"plugin": as_text(h.get("plugin")), "plugin_version": as_text(h.get("version")),
                "read_at": as_text(h.get("extracted_at"))}
               for h in history if as_text(h.get("record")) != record]
    return {"read_at": as_text(ext.get("extracted_at")), "earlier": earlier}

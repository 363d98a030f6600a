"""Links between entries: the same picture re-saved, a chat's media, a logbook's words."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from .claims import best_claim
from .values import as_strings, as_text

#: Perceptual hashes at most this many bits apart are the same picture. Chosen
#: from measured rates (bench/bench_phash_threshold.py, docs/chronology.md): re-saved,
#: scaled and re-encoded copies are within 4 bits; distinct chat screenshots,
#: which look alike, are 12 or more apart; no distinct corpus pair is within 13.
PHASH_MAX_DISTANCE = 4


def near_pictures(entries: list[dict]) -> list[tuple[int, int]]:
    """Pairs (i < j) of picture entries with perceptual hashes within
    PHASH_MAX_DISTANCE bits, sorted.

    Each hash is cut into PHASH_MAX_DISTANCE + 1 bands: two hashes that differ
    in at most that many bits agree on at least one band (pigeonhole), so only
    entries sharing a band are compared, instead of every pair.
    """
    bands: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        if e["kind"] in ("photo", "screenshot"):
            for h in e["_phashes"]:
                width = max(1, len(h) // (PHASH_MAX_DISTANCE + 1))
                for b in range(0, len(h), width):
                    bands[(len(h), b, h[b:b + width])].append(i)
    candidates = {(i, j) for members in bands.values() for n, i in enumerate(members)
                  for j in members[n + 1:] if i != j}
    pairs = []
    for i, j in sorted({(min(p), max(p)) for p in candidates}):
        if any((d := phash_distance(x, y)) is not None and d <= PHASH_MAX_DISTANCE
               for x in entries[i]["_phashes"] for y in entries[j]["_phashes"]):
            pairs.append((i, j))
    return pairs


def phash_distance(a: str, b: str) -> int | None:
    try:
        if len(a) != len(b):
            return None
        return bin(int(a, 16) ^ int(b, 16)).count("1")
    except ValueError:
        return None


#: Derived items that take the time of the message they belong to.
MESSAGE_MEDIA_RELATIONS = ("zip-member", "mms-part")


def message_times(events: list[Any], by_sha: Mapping[str, Mapping[str, Any]]) -> None:
    """A chat or MMS media file gets the time of the message it is attached to.

    The claim is the message's chosen claim, with the message's exhibit and
    plugin as provenance and a source that says so; the media's own claims
    (EXIF, its name) stay beside it, and the usual rules choose.
    """
    by_key = {(ev.exhibit, ev.key): ev for ev in events if ev.key}
    for ev in events:
        found = []
        for p in by_sha[ev.exhibit].get("parents") or ():
            if not isinstance(p, Mapping) or as_text(p.get("relation")) not in \
                    MESSAGE_MEDIA_RELATIONS:
                continue
            parent = by_key.get((as_text(p.get("sha256")), as_text(p.get("event_key"))))
            if parent is not None and parent.best is not None and parent is not ev:
                found.append(parent)
        for parent in sorted(found, key=lambda e: e.order):
            best = parent.best
            ev.claims.append({
                **best,
                "source": f"the message it is attached to ({best['source']})",
                "note": f"the time of {parent.kind} {parent.key} that names this file"
                        + (f"; {best['note']}" if best["note"] else ""),
            })
        if found:
            ev.best = best_claim(ev.kind, ev.claims)


def base_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip().casefold()


def logbook_links(entries: list[dict], by_sha: Mapping[str, Mapping[str, Any]]) -> None:
    """Links a logbook entry makes by what it writes: the entry it replaces
    (``Vervangt:``/``--replaces``, relation ``correction``, the old one flagged
    ``superseded``) and the files it names (``Bewijs:``/``--exhibit``,
    relation ``logbook-exhibit``, to the entry read from that file)."""
    logbook = [e for e in entries if e["kind"] == "logbook"]
    by_id: dict[str, list[dict]] = defaultdict(list)
    for e in logbook:
        by_id[as_text(e["facts"].get("entry_id")).strip()].append(e)
    by_name: dict[str, set[str]] = defaultdict(set)
    for sha, rec in by_sha.items():
        for name in as_strings(rec.get("names")):
            by_name[base_name(name)].add(sha)
    first_of: dict[str, dict] = {}
    for e in entries:  # numbered order: the first entry read from each exhibit
        for src in e["sources"]:
            first_of.setdefault(src["exhibit"], e)

    def link(a: dict, b: dict, relation: str) -> None:
        if a is b:
            return
        for x, y in ((a, b), (b, a)):
            new = {"relation": relation, "entry": y["number"]}
            if new not in x["links"]:
                x["links"].append(new)

    for e in logbook:
        old_id = as_text(e["facts"].get("supersedes")).strip()
        if old_id:
            olds = [o for o in by_id.get(old_id, ()) if o is not e]
            if not olds:
                e["flags"] = sorted({*e["flags"], "replaced-entry-not-found"})
            for old in olds:
                old["flags"] = sorted({*old["flags"], "superseded"})
                link(e, old, "correction")
        missing = False
        for name in as_strings(e["facts"].get("exhibits")):
            shas = sorted(by_name.get(base_name(name), ()))
            targets = [first_of[s] for s in shas if s in first_of]
            missing |= not targets
            for target in targets:
                link(e, target, "logbook-exhibit")
        if missing:
            e["flags"] = sorted({*e["flags"], "named-exhibit-not-found"})

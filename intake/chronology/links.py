"""Links between entries: the same picture re-saved, a chat's media, a logbook's words."""

from __future__ import annotations

import re
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
    PHASH_MAX_DISTANCE bits (`phash_distance`), sorted.

    Multi-index hashing: the bits of each hash (of one length) are cut into
    PHASH_MAX_DISTANCE + 1 bands; two hashes that differ in at most that many
    bits agree on at least one band (pigeonhole), so only hashes sharing a
    band are compared, instead of every pair: linear for hashes that are not
    all alike. Cutting the bits, not the hex text, keeps every band wide (the
    text cut left a one-digit band of 16 values, and n²/16 comparisons), and
    ``AB12`` meets ``ab12``. A hash that is not plain hex digits but that
    `phash_distance` still reads (``0x…``, spaces) is compared with every hash of
    its length, so the pairs are exactly those of comparing every pair.
    """
    bands, odd = picture_bands(entries)
    pairs: set[tuple[int, int]] = set()
    for members in bands.values():
        for n, (i, x) in enumerate(members):
            for j, y in members[n + 1:]:
                if i != j and (x ^ y).bit_count() <= PHASH_MAX_DISTANCE:
                    pairs.add((i, j) if i < j else (j, i))
    by_length: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for i, e in enumerate(entries) if odd else ():
        if e["kind"] in ("photo", "screenshot"):
            for h in e["_phashes"]:
                by_length[len(h)].append((i, h))
    for i, h in odd:
        for j, g in by_length[len(h)]:
            if i != j and (d := phash_distance(h, g)) is not None and d <= PHASH_MAX_DISTANCE:
                pairs.add((i, j) if i < j else (j, i))
    return sorted(pairs)


_HEX = re.compile("[0-9a-fA-F]+")


def picture_bands(entries: list[dict]) -> tuple[dict[tuple[int, int, int], list[tuple[int, int]]],
                                                list[tuple[int, str]]]:
    """The band buckets of the pictures' plain hex hashes ((length, band, bits) ->
    [(entry index, hash value)]), and the hashes that are not plain hex but that
    `phash_distance` reads (entry index, hash)."""
    bands: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
    odd: list[tuple[int, str]] = []
    parts = PHASH_MAX_DISTANCE + 1
    for i, e in enumerate(entries):
        if e["kind"] not in ("photo", "screenshot"):
            continue
        for h in e["_phashes"]:
            if not _HEX.fullmatch(h):
                if phash_distance(h, h) is not None:  # read by int(): compared one by one
                    odd.append((i, h))
                continue
            value, width = int(h, 16), 4 * len(h)
            for b in range(parts):
                lo, hi = width * b // parts, width * (b + 1) // parts
                bands[(len(h), b, (value >> lo) & ((1 << (hi - lo)) - 1))].append((i, value))
    return bands, odd


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

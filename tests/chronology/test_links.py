"""The banded search for near pictures finds exactly the pairs a full comparison finds."""

from __future__ import annotations

import random

from intake.chronology.links import PHASH_MAX_DISTANCE
from intake.chronology.links import near_pictures as _near_pictures
from intake.chronology.links import phash_distance as _phash_distance


def brute(entries: list[dict]) -> list[tuple[int, int]]:
    pairs = []
    for i, a in enumerate(entries):
        for j in range(i + 1, len(entries)):
            b = entries[j]
            if any((d := _phash_distance(x, y)) is not None and d <= PHASH_MAX_DISTANCE
                   for x in a["_phashes"] for y in b["_phashes"]):
                pairs.append((i, j))
    return pairs


def test_banded_search_equals_brute_force() -> None:
    rnd = random.Random(7)
    for _ in range(30):
        base = [rnd.getrandbits(64) for _ in range(8)]
        entries = []
        for _ in range(60):
            h = rnd.choice(base)
            for bit in rnd.sample(range(64), rnd.randint(0, 9)):  # near and not so near
                h ^= 1 << bit
            entries.append({"kind": "screenshot", "_phashes": [f"{h:016x}"]})
        found = _near_pictures(entries)
        assert found == brute(entries)
        assert found  # the data does contain near pairs

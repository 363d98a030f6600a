"""The banded search for near pictures finds exactly the pairs a full comparison finds."""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from intake.chronology.links import PHASH_MAX_DISTANCE, picture_bands
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


# --------------------------------------------------------------------------- any hashes


@st.composite
def _hash(draw, bases: list[int]) -> str:
    """A hash as plugins write it, or as a hostile or odd record could: near one of
    a few bases, of 16 or 8 hex digits, in upper case, with ``0x`` or a space, or
    not hex at all."""
    value = draw(st.sampled_from(bases))
    for bit in draw(st.lists(st.integers(0, 63), max_size=7)):
        value ^= 1 << bit
    text = f"{value:016x}"
    form = draw(st.sampled_from(["plain"] * 6 + ["upper", "short", "0x", "space", "junk",
                                                  "minus"]))
    if form == "upper":
        return text.upper()
    if form == "short":
        return text[:8]
    if form == "0x":
        return "0x" + text[2:]  # the same length: int() reads it
    if form == "space":
        return " " + text[1:]
    if form == "minus":
        return "-" + text[1:]
    if form == "junk":
        return "zz" + text[2:]
    return text


@st.composite
def _entries(draw) -> list[dict]:
    bases = draw(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=4))
    return [{"kind": draw(st.sampled_from(["photo", "screenshot", "sms"])),
             "_phashes": draw(st.lists(_hash(bases), max_size=3, unique=True))}
            for _ in range(draw(st.integers(0, 25)))]


@settings(max_examples=100, deadline=None)
@given(_entries())
@example([{"kind": "photo", "_phashes": ["a1b2c3d4e5f6a7ba"]},  # a letter in every hex band
          {"kind": "screenshot", "_phashes": ["A1B2C3D4E5F6A7BA"]}])  # distance 0
def test_near_pictures_equals_every_pair_compared(entries) -> None:
    pictures = [{**e, "_phashes": e["_phashes"] if e["kind"] != "sms" else []}
                for e in entries]  # the brute force's view: only pictures are compared
    assert _near_pictures(entries) == brute(pictures)


def test_bands_of_random_hashes_hold_few_pictures() -> None:
    """4,000 random 64-bit hashes: every band bucket holds a few pictures, so the
    comparisons grow with n, not n² (the hex-digit cut had a one-digit band:
    16 buckets of about 250)."""
    rnd = random.Random(3)
    entries = [{"kind": "photo", "_phashes": [f"{rnd.getrandbits(64):016x}"]}
               for _ in range(4000)]
    near = int(entries[0]["_phashes"][0], 16) ^ 0b1011  # 3 bits apart
    entries.append({"kind": "photo", "_phashes": [f"{near:016x}"]})
    buckets, odd = picture_bands(entries)
    assert not odd and len(buckets) > 4000
    assert max(len(m) for m in buckets.values()) <= 12  # 4,000 hashes in 4,096 or 8,192 values
    assert _near_pictures(entries) == [(0, 4000)]

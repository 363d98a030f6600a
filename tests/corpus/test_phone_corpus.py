"""The SMS Backup & Restore plugin over every phone backup of the real corpus.

Expected values come from MANIFEST.tsv (``recorded_times``): the root
element, the records per type actually present, and the first and last
record's ``date=`` in UTC.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import intake.builtin.sms_backup as sb
import pytest

from intake.testing import run_plugin

pytestmark = pytest.mark.corpus

CORPUS = Path(os.environ.get("INTAKE_CORPUS",
                             Path(__file__).resolve().parents[2].parent / "shared" / "corpus"))
FILES = sorted(str(p.relative_to(CORPUS)) for p in (CORPUS / "phone").rglob("*")
               if p.is_file()) if (CORPUS / "phone").is_dir() else ["phone/(no corpus)"]

DATE_SOURCE = "SMS Backup date (epoch ms)"


def oracle(row: dict) -> dict:
    value = row["recorded_times"]
    root = re.match(r"<(\w+)>", value).group(1)
    declared = int(re.search(r'count="(\d+)"', value).group(1))
    actual = re.search(r"actual: ([^;]*)", value).group(1).strip()
    counts = {} if actual == "none" else {
        k: int(v) for k, v in (p.split("=") for p in actual.split(","))}
    dates = re.findall(r"date=(\S+) \(=([^)]*)\)", value)
    return {"root": root, "declared": declared, "counts": counts, "dates": dates}


def utc_of(note: str) -> str | None:
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)", note)
    if not m:
        return None
    return re.sub(r"\.000Z$", "Z", m.group(1))


@pytest.mark.parametrize("rel", FILES)
def test_phone_backup(rel, corpus, manifest):
    row = manifest.get(rel)
    if row is None:
        pytest.skip(f"{rel} is not in MANIFEST.tsv")
    expected = oracle(row)
    result = run_plugin(sb, corpus / rel)  # never raises
    if expected["root"] not in ("smses", "calls"):
        assert result.extraction is None  # a look-alike from another app
        return
    assert result.extraction is not None
    facts = result.facts
    assert facts["root"] == expected["root"]
    counts = expected["counts"]
    assert (facts["sms"], facts["mms"], facts["calls"]) == (
        counts.get("sms", 0), counts.get("mms", 0), counts.get("call", 0))
    found = sum(counts.values())
    if expected["declared"] != found:
        assert any(f"holds {expected['declared']} records, but {found}" in w
                   for w in result.warnings)
    if not result.events:
        assert result.warnings  # empty or damaged: said in words
        return
    for event, (_raw, note) in ((result.events[0], expected["dates"][0]),
                               (result.events[-1], expected["dates"][-1])):
        claims = [c for c in event.claims if c.source == DATE_SOURCE]
        utc = utc_of(note)
        if utc is None:  # an unreadable date: no claim, and a warning
            assert claims == []
            assert any("no readable date" in w for w in result.warnings)
            continue
        (claim,) = claims
        assert claim.utc == utc
        assert claim.zone == "utc"
        if "SECONDS" in note:
            assert "date-in-seconds" in claim.flags
    for event in result.events:
        assert event.kind in ("sms", "mms", "call")
        if event.facts["withheld"]:
            assert event.facts["number"] == "withheld"
        assert event.facts["direction"]
        if event.kind == "call":
            assert isinstance(event.facts["duration_seconds"], int)

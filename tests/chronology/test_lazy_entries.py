"""Entries kept as their canonical bytes and decoded on access (issue 19 point 4,
issue 9 point 10).

The pinned SHA-256s of test_encode_once.py prove the bytes did not change;
these tests prove the readers still see the same entries (as dicts, by
iteration, index, slice and ``+``), that a decoded entry is a copy, and that
the PDF of a big case counts every entry while only the entries it prints
are alive at once (counted, not timed).
"""

from __future__ import annotations

import json
import weakref
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

from intake.chronology import entries as entries_module
from intake.chronology.build import build_chronology
from intake.chronology.canonical import canonical_bytes
from intake.chronology.entries import EntryList
from intake.chronology.hashing import inclusion_proof_for
from intake.chronology.verify import verify_proof
from intake.reports import pdf_report
from intake.reports.context import ReportContext
from tests.chronology.test_encode_once import build as build_generated

CASE = {"name": "Groot dossier", "timezone": "Europe/Brussels", "language": "nl"}
SUSPECT = "+32470000001"
FRIEND = "+32470000002"


def _claim(ts: int, meaning: str, source: str) -> dict:
    moment = datetime.fromtimestamp(ts, UTC)
    return {"local": (moment + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
            "offset": "+01:00", "utc": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "zone": "explicit", "source": source, "meaning": meaning,
            "granularity": "second", "confidence": "high", "note": "", "flags": []}


def big_case(items: int = 30, per_item: int = 100) -> tuple[list[dict], list[dict], dict]:
    """Records and curation of a case whose counts are known by construction:
    every 10th event is a file known only by its copy time, every 25th has no
    time at all; the rest are SMS, incoming ones from the suspect on even
    numbers. The adviser excludes the first 7 SMS from the police report."""
    expected = {"entries": 0, "copied": 0, "undated": 0, "left_out": 0, "incidents": 0}
    records, excluded = [], []
    n = 0
    first_day, last_day = None, None
    for item in range(items):
        sha = f"{item + 1:064x}"
        events = []
        for _ in range(per_item):
            ts = 1_704_067_200 + n * 3_600  # one an hour from 2024-01-01
            if n % 25 == 0:
                events.append({"kind": "note", "summary": "Zonder datum", "key": f"u-{n}",
                               "facts": {"text": f"notitie {n}"}, "claims": []})
                expected["undated"] += 1
            elif n % 10 == 0:
                events.append({"kind": "file", "summary": "Bestand", "key": f"f-{n}",
                               "facts": {}, "claims": [_claim(ts, "filed", "file system")]})
                expected["copied"] += 1
            else:
                incoming = n % 2 == 0
                number = SUSPECT if incoming else FRIEND
                events.append({
                    "kind": "sms", "summary": "SMS", "key": f"s-{n}", "who": number,
                    "facts": {"number": number, "body": f"bericht {n}",
                              "direction": "incoming" if incoming else "outgoing"},
                    "claims": [_claim(ts, "received" if incoming else "sent", "backup")]})
                if len(excluded) < 7:
                    excluded.append((sha, f"s-{n}"))
                    expected["left_out"] += 1
                else:
                    expected["entries"] += 1
                    if incoming:
                        expected["incidents"] += 1
                        day = (datetime.fromtimestamp(ts, UTC) + timedelta(hours=1)).date()
                        first_day = first_day or day
                        last_day = day
            n += 1
        records.append({"sha256": sha, "size": 10, "mime": "application/xml",
                        "names": [f"backup-{item}.xml"], "parents": [], "warnings": [],
                        "overrides": {},
                        "extraction": {"plugin": "sms_backup", "version": "0.1.0",
                                       "facts": {}, "events": events}})
    curation = [{"seq": i + 1, "rid": f"{i + 1:016x}", "kind": "entry", "action": "exclude",
                 "value": ["police"], "sources": [{"exhibit": sha, "event_key": key}]}
                for i, (sha, key) in enumerate(excluded)]
    curation.append({"seq": 99, "rid": "00000000000000ff", "kind": "person", "person": "p1",
                     "name": "Ex", "role": "suspect",
                     "identifiers": [{"kind": "phone", "value": SUSPECT}]})
    expected["span"] = (first_day, last_day)
    return records, curation, expected


@pytest.fixture(scope="module")
def big():
    records, curation, expected = big_case()
    doc = build_chronology((orjson.loads(orjson.dumps(r)) for r in records), case=CASE,
                           tool_version="0.1.0", curation=curation)
    return doc, expected


def test_entries_decode_to_the_dicts_of_the_file():
    doc = build_generated(400, 11)
    plain = json.loads(canonical_bytes(doc))
    assert isinstance(doc["entries"], EntryList) and isinstance(doc["undated"], EntryList)
    assert len(doc["entries"]) == len(plain["entries"]) > 300
    assert len(doc["undated"]) == len(plain["undated"]) > 0
    assert list(doc["entries"]) == plain["entries"]
    assert list(doc["undated"]) == plain["undated"]
    assert doc["entries"][0] == plain["entries"][0]
    assert doc["entries"][-1] == plain["entries"][-1]
    assert doc["entries"][10:13] == plain["entries"][10:13]
    assert doc["entries"] + doc["undated"] == plain["entries"] + plain["undated"]
    assert [] + doc["undated"] == plain["undated"]
    assert doc["entries"] == plain["entries"] and doc["entries"] != plain["undated"]
    with pytest.raises(IndexError):
        doc["undated"][len(plain["undated"])]
    # the numbers run on from the dated entries into the undated ones
    assert [e["number"] for e in doc["entries"] + doc["undated"]] == \
        list(range(1, len(plain["entries"]) + len(plain["undated"]) + 1))


def test_a_decoded_entry_is_a_copy():
    doc = build_generated(400, 11)
    before = canonical_bytes(doc)
    entry = doc["entries"][3]
    entry["what"] = "iets anders"
    entry["facts"]["body"] = "veranderd"
    assert doc["entries"][3]["what"] != "iets anders"
    assert doc.intact() and canonical_bytes(doc) == before


def test_inclusion_proof_from_kept_bytes():
    doc = build_generated(400, 11)
    size = len(doc["entries"]) + len(doc["undated"])
    proof = inclusion_proof_for(doc, size)  # the last, undated entry
    assert proof["index"] == size - 1 and proof["size"] == size
    assert proof["entry"] == doc["undated"][-1]
    assert verify_proof(proof) == []
    with pytest.raises(KeyError):
        inclusion_proof_for(doc, size + 1)


class _Entry(dict):
    """A decoded entry that a weak set can follow (plain dicts cannot be weakly referenced)."""

    __slots__ = ("__weakref__",)


@pytest.fixture
def alive(monkeypatch):
    """How many decoded entries were alive at most, and how many were decoded."""
    seen = {"alive": 0, "max": 0, "decoded": 0}

    def gone() -> None:
        seen["alive"] -= 1

    def decode(data: bytes) -> dict:
        entry = _Entry(orjson.loads(data))
        weakref.finalize(entry, gone)
        seen["decoded"] += 1
        seen["alive"] += 1
        seen["max"] = max(seen["max"], seen["alive"])
        return entry

    monkeypatch.setattr(entries_module, "_decode", decode)
    return seen


def test_pdf_of_a_big_case_counts_every_entry_and_keeps_only_what_it_prints(big, alive,
                                                                             tmp_path):
    doc, expected = big
    total = expected["entries"] + expected["copied"] + expected["undated"]
    assert len(doc["entries"]) + len(doc["undated"]) == total + expected["left_out"] == 3000
    data = pdf_report.build_data(doc, ReportContext(language="nl",
                                                    generated_at="2024-11-28T10:00:00Z"),
                                 tmp_path, attach=False)
    limit = pdf_report.PDF_MAX_ENTRIES
    assert data["counts"] == {"entries": str(expected["entries"]),
                              "copied": str(expected["copied"]),
                              "undated": str(expected["undated"]), "exhibits": "30",
                              "incidents": str(expected["incidents"])}
    assert (expected["entries"], expected["copied"], expected["undated"]) == (2633, 240, 120)
    assert len(data["rows"]) == limit and data["copied"] == [] and data["undated"] == []
    assert data["rows"][0]["number"] == "8"  # entries 1 to 7 are excluded (the undated go last)
    assert data["limit_entries"] == (
        f"Deze PDF drukt de eerste {limit} van 2\u202f993 vermeldingen volledig af (hoogstens "
        f"{limit} per PDF); alle 2\u202f993 vermeldingen, ook de 2\u202f493 die hier niet "
        "afgedrukt zijn, staan in het bijgevoegde chronology.json (en in chronology.csv "
        "wanneer dat gemaakt wordt).")
    assert "7" in data["left_out"]
    assert data["chart"]["total"] == expected["incidents"]
    assert sum(bar["count"] for bar in data["chart"]["bars"]) == expected["incidents"]
    first, last = expected["span"]
    assert (data["chart"]["first"], data["chart"]["last"]) == (first.isoformat(),
                                                              last.isoformat())
    kinds = {k["kind"]: k["count"] for k in data["kinds"]}
    assert sorted(kinds.values(), key=int) == ["120", "240", "2633"]
    # every entry was read, but never more than the printed ones (per part) at once
    assert alive["decoded"] >= 3000
    assert alive["max"] <= 3 * limit + 5, alive


def test_pdf_data_is_the_same_from_the_kept_bytes_and_from_plain_json(big, tmp_path):
    doc, _ = big
    ctx = ReportContext(language="en", generated_at="2024-11-28T10:00:00Z")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    lazy = pdf_report.build_data(doc, ctx, tmp_path / "a", attach=False)
    plain = pdf_report.build_data(json.loads(canonical_bytes(doc)), ctx, tmp_path / "b",
                                  attach=False)
    assert lazy == plain
    assert lazy["first_last"].startswith("1 January 2024") or \
        date(2024, 1, 1).isoformat() in json.dumps(lazy["chart"])

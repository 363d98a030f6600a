"""Index.item_record_texts hands the chronology each item record as JSON text
(issue 19, point 4): the same records as Index.item_records, and the same
chronology.json bytes, with the simple events read from their texts."""

from __future__ import annotations

import hashlib

import orjson

from intake.chronology import fast
from intake.chronology.build import build_chronology
from intake.chronology.canonical import canonical_bytes
from intake.index import Index

CASE = {"name": "Dossier Peeters", "timezone": "Europe/Brussels", "language": "nl"}


def _sms(n: int) -> dict:
    return {"kind": "sms", "summary": "SMS incoming", "key": f"sms-{n}", "who": "+32470000001",
            "facts": {"number": "+32470000001", "direction": "incoming", "body": f"bericht {n}"},
            "claims": [{"local": "", "offset": "+01:00", "utc": f"2024-01-{1 + n % 28:02d}T"
                        f"{n % 24:02d}:{n % 60:02d}:00Z", "zone": "explicit",
                        "source": "SMS Backup & Restore date", "meaning": "received",
                        "granularity": "second", "confidence": "high", "note": "",
                        "flags": []}]}


def _index(tmp_path) -> tuple[Index, list[str]]:
    idx = Index(tmp_path / "index.sqlite")
    shas = [hashlib.sha256(bytes([i])).hexdigest() for i in range(4)]
    with idx.tx():
        for i, sha in enumerate(shas):
            idx.add_item(sha, 100 + i, "", "", "application/xml", "2024-03-01T10:00:00Z")
            idx.add_receipt({"id": f"r{i}", "sha256": sha, "received_at": "2024-03-01T10:00:00Z",
                             "source": f"inbox/sms-{i}.xml", "name": f"sms-{i}.xml", "size": 100,
                             "fs_times": {"mtime": "2024-02-01T10:00:00Z"}})
        small = {"plugin": "sms_backup", "version": "0.1.0", "kind": "sms-backup", "facts": {},
                 "warnings": ["one message without a date"], "runs": [],
                 "events": [_sms(n) for n in range(30)] + [{"kind": "note", "facts": {"x": 1.5},
                                                           "claims": []}]}
        idx.set_extraction(shas[0], small)
        # over a megabyte: item_records too gives its events lazily
        idx.set_extraction(shas[1], {**small, "warnings": [],
                                     "events": [_sms(n) for n in range(100, 3600)]})
        # a NaN: msgspec refuses it, so this record comes as a dict
        idx.set_extraction_json(shas[2], "notes", "0.1.0", "note",
                                b'{"plugin": "notes", "events": [], "facts": {"t": NaN}}', [])
        idx.set_override(shas[0], "sms-3", {"category": "stalking"})
    return idx, shas


def test_texts_are_the_records_and_give_the_same_chronology(tmp_path):
    idx, shas = _index(tmp_path)
    records = list(idx.item_records())
    texts = list(idx.item_record_texts())
    decoded = [orjson.loads(t) if type(t) is bytes else t for t in texts]
    assert {d["sha256"]: type(t) for d, t in zip(decoded, texts, strict=True)} == {
        shas[0]: bytes, shas[1]: bytes, shas[2]: dict, shas[3]: bytes}
    plain = [{**r, "extraction": r["extraction"] and {
        k: list(v) if k == "events" else v for k, v in r["extraction"].items()}}
        for r in records]
    assert [d["sha256"] for d in decoded] == [r["sha256"] for r in plain]
    for d, r in zip(decoded, plain, strict=True):
        assert d.keys() == r.keys()
        for k in d:
            if k != "extraction" or d[k] is None or d[k]["facts"] == {}:
                assert d[k] == r[k], k
    by_sha = {d["sha256"]: d for d in decoded}
    assert by_sha[shas[0]]["warnings"] == ["one message without a date"]
    assert by_sha[shas[0]]["overrides"] == {"sms-3": {"category": "stalking"}}
    assert by_sha[shas[1]]["extraction"]["events"][5]["key"] == "sms-105"
    assert by_sha[shas[3]]["extraction"] is None and by_sha[shas[3]]["names"] == ["sms-3.xml"]

    made: list = []
    real = fast.read_event_text

    def counting(*args):
        ev = real(*args)
        made.append(ev)
        return ev

    import intake.chronology.build as build

    build.read_event_text = counting
    try:
        from_texts = canonical_bytes(build_chronology(idx.item_record_texts(), case=CASE,
                                                      tool_version="0.1.0"))
    finally:
        build.read_event_text = real
    from_records = canonical_bytes(build_chronology(idx.item_records(), case=CASE,
                                                    tool_version="0.1.0"))
    assert from_texts == from_records
    assert len(made) == 31 + 3500  # every event of both SMS items read from its text
    assert sum(ev is not None for ev in made) == 30 - 1 + 3500  # not the note, the override
    doc = orjson.loads(from_texts)
    assert len(doc["entries"]) == 3530 and len(doc["undated"]) == 1
    assert doc["entries"][0]["instant"] == "2024-01-01T00:00:00Z"
    assert [e["category"] for e in doc["entries"]
            if e["sources"][0]["event_key"] == "sms-3"] == ["stalking"]
    idx.close()

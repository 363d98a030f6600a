"""The chronology builder: order, merging, links, chosen claims, numbers, hashes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from intake.chronology.canonical import canonical_bytes
from intake.chronology.hashing import ZERO_HASH, entry_hash, inclusion_proof_for, root_hash
from intake.chronology.merkle import merkle_root
from intake.chronology.verify import verify_proof
from tests.helpers.samples import CONTENT, SHA, build, sample_records

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "intake/chronology/chronology.schema.json").read_text("utf-8"))

@pytest.fixture(scope="module")
def doc() -> dict:
    return build()


def label_of(doc: dict) -> dict[str, str]:
    names = {v: k for k, v in SHA.items()}
    return {names[x["sha256"]]: x["label"] for x in doc["exhibits"]}


def test_order_and_numbers(doc):
    whats = [(e["number"], e["kind"], e["instant"]) for e in doc["entries"]]
    assert whats == [
        (1, "email", "2024-06-30T07:00:00Z"),
        (2, "photo", "2024-07-01T21:30:00Z"),
        (3, "sms", "2024-07-01T21:30:00Z"),  # same instant: tie broken by kind
        (4, "sms", "2024-07-02T06:00:00Z"),
        (5, "call", "2024-07-02T07:00:00Z"),
        (6, "screenshot", "2024-07-02T08:15:00Z"),
        (7, "logbook", "2024-07-03T16:00:00Z"),
        (8, "screenshot", "2024-07-04T12:00:00Z"),
        (9, "email", "2024-07-05T08:00:00Z"),
        (10, "letter", "2024-10-27T00:30:00Z"),
    ]
    assert [(e["number"], e["kind"], e["instant"], e["local"]) for e in doc["undated"]] == [
        (11, "file", None, None)]
    assert doc["undated"][0]["chosen_because"].startswith("No readable time")


def test_exhibit_numbers(doc):
    labels = label_of(doc)
    first = sorted([SHA["email"], SHA["email_attached"]])
    backups = sorted([SHA["sms_a"], SHA["sms_b"]])
    shot2 = sorted([SHA["shot_copy"], SHA["zip"]])
    fwd = sorted([SHA["forward"], SHA["scan_pdf"]])
    expected = first + [SHA["photo"]] + backups + [SHA["shot"], SHA["logbook"]] + shot2 + fwd + [
        SHA["letter"], SHA["unknown"]]
    assert [x["sha256"] for x in doc["exhibits"]] == expected
    assert [x["label"] for x in doc["exhibits"]] == [f"A{i}" for i in range(1, 14)]
    assert [x["number"] for x in doc["exhibits"]] == list(range(1, 14))
    assert labels["unknown"] == "A13"
    zip_ex = next(x for x in doc["exhibits"] if x["sha256"] == SHA["shot_copy"])
    assert zip_ex["parents"] == [SHA["zip"]]
    pdf = next(x for x in doc["exhibits"] if x["sha256"] == SHA["scan_pdf"])
    assert pdf["warnings"] == ["no plugin could read this file"]
    assert pdf["size"] == len(CONTENT["scan_pdf"])


def test_same_email_merged_with_both_exhibits(doc):
    e = doc["entries"][0]
    assert sorted(e["exhibits"]) == sorted([SHA["email"], SHA["email_attached"]])
    assert len(e["sources"]) == 2
    assert {s["event_key"] for s in e["sources"]} == {"<abc@example.org>", "abc@example.org"}
    assert len(e["claims"]) == 2 and sum(c["chosen"] for c in e["claims"]) == 1
    assert "claims-disagree" not in e["flags"]
    # facts of both sources are kept, the first source's win
    assert e["facts"]["subject"] == "Ik weet waar je woont" and e["facts"]["received"] == ["hop"]
    # the forward cites the attached .eml and the unread PDF attachment as well
    fwd = doc["entries"][8]
    assert fwd["exhibits"] == sorted([SHA["forward"], SHA["scan_pdf"], SHA["email_attached"]],
                                     key=lambda s: label_num(doc, s))


def label_num(doc, sha):
    return next(x["number"] for x in doc["exhibits"] if x["sha256"] == sha)


def test_same_sms_and_call_from_two_backups_merged(doc):
    sms, call = doc["entries"][2], doc["entries"][4]
    for e in (sms, call):
        assert sorted(e["exhibits"]) == sorted([SHA["sms_a"], SHA["sms_b"]])
        assert len(e["sources"]) == 2
    # epoch (UTC) claim: local time in the case zone
    assert sms["local"] == "2024-07-01T23:30:00+02:00"
    assert call["local"] == "2024-07-02T09:00:00+02:00"
    assert doc["entries"][3]["exhibits"] == [SHA["sms_a"]]


def test_photo_claims_disagree_and_choice(doc):
    e = doc["entries"][1]
    chosen = [c for c in e["claims"] if c["chosen"]]
    assert [c["source"] for c in e["claims"]] == [
        "EXIF DateTimeOriginal", "file name pattern", "file mtime"]
    assert chosen == [e["claims"][0]]
    assert e["local"] == "2024-07-01T23:30:00+02:00"
    assert "claims-disagree" in e["flags"]
    assert e["chosen_because"] == (
        "EXIF DateTimeOriginal (taken, high confidence) chosen over 2 other claims: "
        "it has high confidence, file name pattern medium. Other claims of the same kind "
        "disagree by more than 2 minutes: see the claims.")
    assert e["claims"][0]["plugin"] == "photos" and e["claims"][0]["exhibit"] == SHA["photo"]
    # floats in facts become their shortest text (canonical JSON has no floats)
    assert e["facts"]["gps"] == {"lat": "50.8503", "lon": "4.3517"}
    assert e["facts"]["make"] == "Apple"


def test_screenshots_linked_not_merged(doc):
    a, b = doc["entries"][5], doc["entries"][7]
    assert a["exhibits"] == [SHA["shot"]] and b["exhibits"] == [SHA["shot_copy"]]
    assert a["links"] == [{"relation": "same-screenshot", "entry": 8}]
    assert b["links"] == [{"relation": "same-screenshot", "entry": 6}]
    assert "low-confidence-time" in b["flags"]
    assert "file system" in b["chosen_because"]
    assert "low-confidence-time" not in a["flags"]


def test_logbook_witnesses_category(doc):
    e = doc["entries"][6]
    assert e["witnesses"] == ["Marie Peeters (0470 99 88 77)"]
    assert e["category"] == "following-or-waiting"  # the adviser's override wins
    assert e["local"] == "2024-07-03T18:00:00+02:00" and e["granularity"] == "minute"
    assert e["claims"][0]["meaning"] == "happened" and e["claims"][0]["chosen"]
    assert "claims-disagree" not in e["flags"]  # happened vs recorded: different meanings
    assert e["chosen_because"].startswith(
        "logbook: when (happened, high confidence) chosen over 1 other claim: for a logbook, "
        "the time it was happened is preferred")


def test_dst_ambiguous(doc):
    e = doc["entries"][9]
    assert e["local"] == "2024-10-27T02:30:00+02:00"
    assert e["instant"] == "2024-10-27T00:30:00Z"
    assert "dst-ambiguous" in e["flags"]
    assert e["chosen_because"] == "PDF CreationDate (written, high confidence) is the only time claim."


def test_hashes(doc):
    entries = doc["entries"] + doc["undated"]
    prev = ZERO_HASH
    for e in entries:
        assert e["prev_hash"] == prev
        assert e["entry_hash"] == entry_hash(e)
        prev = e["entry_hash"]
    assert doc["chain_head"] == prev
    assert doc["merkle_root"] == merkle_root([bytes.fromhex(e["entry_hash"])
                                              for e in entries]).hex()
    assert doc["root_hash"] == root_hash(doc)
    body = canonical_bytes({k: v for k, v in doc.items() if k != "root_hash"})
    assert doc["root_hash"] == hashlib.sha256(body).hexdigest()


def test_schema_valid(doc):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(canonical_bytes(doc)), SCHEMA, cls=jsonschema.Draft202012Validator)
    empty = build([])
    jsonschema.validate(json.loads(canonical_bytes(empty)), SCHEMA, cls=jsonschema.Draft202012Validator)
    assert empty["chain_head"] == ZERO_HASH
    assert empty["merkle_root"] == hashlib.sha256(b"").hexdigest()


def test_schema_rejects_floats_and_missing(doc):
    bad = json.loads(canonical_bytes(doc))
    bad["entries"][0]["facts"]["x"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft202012Validator)
    bad = json.loads(canonical_bytes(doc))
    del bad["entries"][0]["entry_hash"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_deterministic_under_shuffles(doc):
    want = canonical_bytes(doc)
    rng = random.Random(1234)
    for _ in range(20):
        recs = sample_records()
        rng.shuffle(recs)
        for r in recs:  # dict order and list order of names must not matter either
            r["names"] = list(reversed(r["names"] + ["other.bin"]))
            items = list(r.items())
            rng.shuffle(items)
            r.clear()
            r.update(items)
        got = canonical_bytes(build(recs))
        base = sample_records()
        for r in base:
            r["names"] = r["names"] + ["other.bin"]
        assert got == canonical_bytes(build(base))
    assert canonical_bytes(build()) == want
    # a record given twice is one item
    assert canonical_bytes(build(sample_records() + sample_records()[:3])) == want


def test_deterministic_across_zone_and_locale(doc, tmp_path):
    script = ("import sys, time; import tests.helpers.samples as t; "
              "from intake.chronology.canonical import canonical_bytes; "
              "assert time.localtime(0).tm_gmtoff == -5 * 3600; "
              "sys.stdout.buffer.write(canonical_bytes(t.build()))")
    env = {**os.environ, "TZ": "America/New_York", "LC_ALL": "C", "LANG": "C"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         check=True, cwd=ROOT).stdout
    assert out == canonical_bytes(doc)
    assert not out.endswith(b"\n") and b" " not in out[:20]


def test_period_filter():
    d = build(date_from="2024-07-02", date_to="2024-07-03")
    assert [e["kind"] for e in d["entries"]] == ["sms", "call", "screenshot", "logbook"]
    assert d["entries"][0]["local"].startswith("2024-07-02T08:00")
    assert d["period"] == {"from": "2024-07-02", "to": "2024-07-03"}
    assert [e["number"] for e in d["entries"] + d["undated"]] == [1, 2, 3, 4, 5]
    # the link to the screenshot copy outside the period is dropped
    assert d["entries"][2]["links"] == []
    shas = {x["sha256"] for x in d["exhibits"]}
    assert shas == {SHA["sms_a"], SHA["sms_b"], SHA["shot"], SHA["logbook"], SHA["unknown"]}
    # in the case zone: 2024-07-01T23:30+02:00 is on the 1st, not the 2nd
    d = build(date_from="2024-07-01", date_to="2024-07-01")
    assert [e["kind"] for e in d["entries"]] == ["photo", "sms"]


def test_inclusion_proofs(doc):
    for e in doc["entries"] + doc["undated"]:
        proof = inclusion_proof_for(doc, e["number"])
        assert proof["merkle_root"] == doc["merkle_root"]
        assert proof["size"] == 11 and proof["index"] == e["number"] - 1
        assert verify_proof(json.loads(json.dumps(proof))) == []
        altered = json.loads(json.dumps(proof))
        altered["entry"]["what"] += "!"
        problems = verify_proof(altered)
        assert problems and all(f"entry {e['number']}" in p for p in problems)
        # re-hashing the altered entry does not help: the path no longer leads to the root
        altered["entry"]["entry_hash"] = entry_hash(altered["entry"])
        assert any("merkle_root" in p for p in verify_proof(altered))
        wrong_root = {**proof, "merkle_root": "00" * 32}
        assert verify_proof(wrong_root)
    with pytest.raises(KeyError):
        inclusion_proof_for(doc, 99)

"""Sealing encodes each entry once (issue 19): the bytes stay those of the reference.

chronology.json is joined from the entries' bytes kept at sealing and streamed
out; these tests pin its SHA-256 on generated cases (the values were computed
with the code before the change, main at c18b416, and are the same after),
compare every entry with the reference encoder (``canonical.reference_bytes``), and run
``intake verify --chronology`` on the streamed file, intact and tampered.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.chronology.build import _same_value, build_chronology
from intake.chronology.canonical import canonical_bytes, reference_bytes
from intake.chronology.claims import parse_instant, utc_text
from intake.chronology.hashing import Sealed, seal
from intake.chronology.verify import verify_chronology
from intake.reports.context import ReportContext
from intake.reports.json_report import write_json
from intake.timeclaims import format_utc

CASE = {"name": "Dossier Janssens", "timezone": "Europe/Brussels", "language": "nl"}
NUMBERS = [f"+3247{n:07d}" for n in range(60)]
#: instants in every form a plugin may give: normal, ".000", "+00:00", microseconds
UTC_FORMS = ("{}Z", "{}.000Z", "{}+00:00", "{}.120000Z", "{}.000123Z", "{}.5Z")


def _claim(rnd: random.Random, ts: int, meaning: str, source: str) -> dict:
    moment = datetime.fromtimestamp(ts, UTC)
    base = moment.replace(tzinfo=None).isoformat(timespec="seconds")
    return {"local": (moment + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
            "offset": "+01:00", "utc": rnd.choice(UTC_FORMS).format(base), "zone": "explicit",
            "source": source, "meaning": meaning, "granularity": "second",
            "confidence": rnd.choice(("high", "high", "medium", "low")), "note": "",
            "flags": []}


def _event(rnd: random.Random, n: int) -> dict:
    ts = 1_700_000_000 + n * 61 + rnd.randrange(50)
    number = rnd.choice(NUMBERS)
    direction = rnd.choice(("incoming", "outgoing"))
    roll = rnd.random()
    if roll < 0.6:
        body = rnd.choice(("Waar ben je?", "Ik zie je 👀", "Bel me terug", "=SOM(A1)",
                           "l'été à Liège", "ok"))
        claims = [_claim(rnd, ts, "sent" if direction == "outgoing" else "received",
                         "SMS Backup & Restore date")]
        if rnd.random() < 0.2:  # a second, disagreeing claim
            claims.append(_claim(rnd, ts + 600, "received", "date_sent"))
        return {"kind": "sms", "summary": f"SMS {direction}", "key": f"sms-{n}", "who": number,
                "facts": {"number": number, "direction": direction, "body": body,
                          "withheld": False},
                "claims": claims}
    if roll < 0.85:
        return {"kind": "call", "summary": f"Call {direction}", "key": f"call-{n}",
                "who": number,
                "facts": {"number": number, "direction": direction,
                          "duration_seconds": rnd.randrange(300)},
                "claims": [_claim(rnd, ts, "called", "SMS Backup & Restore date")]}
    if roll < 0.95:  # a note with non-ASCII fact keys: the reference encoder's path
        return {"kind": "note", "summary": "Notitie", "key": f"note-{n}",
                "facts": {"plaats": "Gent", "été": "oui", "\ue000privé": 1, "😀": "x"},
                "claims": [_claim(rnd, ts, "written", "note header")]}
    return {"kind": "note", "summary": "Zonder datum", "key": f"undated-{n}",
            "facts": {"text": "geen datum"}, "claims": []}


def case_records(n_events: int, seed: int) -> list[dict]:
    """Phone-backup-like items of 100 events; half overlap the previous item by 10."""
    rnd = random.Random(seed)
    events = [_event(rnd, i) for i in range(n_events)]
    items = []
    for start in range(0, n_events, 100):
        evs = events[start:start + 100]
        if start and rnd.random() < 0.5:
            evs = evs + events[start - 10:start]
        items.append({"sha256": f"{rnd.getrandbits(256):064x}", "size": 1000,
                      "mime": "application/xml", "names": [f"backup-{start // 100}.xml"],
                      "parents": [], "warnings": [], "overrides": {},
                      "extraction": {"plugin": "sms_backup", "version": "0.1.0",
                                     "facts": {}, "events": evs}})
    return items


def curation(records: list[dict]) -> list[dict]:
    first = records[0]
    return [
        {"seq": 1, "rid": "00000000000000a1", "kind": "entry", "action": "note", "value": "Eerste bericht",
         "sources": [{"exhibit": first["sha256"], "event_key": "sms-0"}]},
        {"seq": 2, "rid": "00000000000000a2", "kind": "entry", "action": "tag", "value": ["dreiging"],
         "sources": [{"exhibit": first["sha256"], "event_key": "call-1"}]},
        {"seq": 3, "rid": "00000000000000a3", "kind": "person", "person": "p1", "name": "Ex-partner",
         "role": "suspect", "identifiers": [{"kind": "phone", "value": NUMBERS[0]}]},
    ]


def build(n: int, seed: int) -> dict:
    recs = case_records(n, seed)
    return build_chronology((orjson.loads(orjson.dumps(r)) for r in recs), case=CASE,
                            tool_version="0.1.0", curation=curation(recs))


#: SHA-256 of chronology.json of build(n, seed), computed before the change
#: (every entry encoded three times) and after (once): the same bytes.
PINNED = {
    (1500, 7): "6fdc93b8200c127e30a4024c717acae8a1789d3f498651063512c262b0813a94",
    (400, 11): "caa0683bc7abca410a4d4c6df646af535f53704ccb1969ef892433e86305f86b",
}


@pytest.mark.parametrize(("n", "seed"), sorted(PINNED))
def test_chronology_bytes_are_pinned(n, seed, tmp_path):
    doc = build(n, seed)
    assert isinstance(doc, Sealed)
    path = write_json(doc, tmp_path, ReportContext())[0]
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == PINNED[(n, seed)]
    assert canonical_bytes(doc) == data
    # the whole file and every entry as the reference encoder writes them
    plain = json.loads(data)
    assert reference_bytes(plain) == data
    entries = doc["entries"] + doc["undated"]
    assert len(entries) == len(doc._entry_bytes)
    for entry, kept in zip(entries, doc._entry_bytes, strict=True):
        assert reference_bytes(entry) == kept
    assert doc["undated"] and any("été" in e["facts"] for e in doc["entries"])


def test_streamed_file_verifies_and_a_tamper_fails(tmp_path):
    """The offline check of ``intake verify --chronology`` (the CLI path, with a
    real case, is test_cli_end_to_end's, which now writes through the stream)."""
    doc = build(400, 11)
    path = write_json(doc, tmp_path, ReportContext())[0]
    data = path.read_bytes()
    assert verify_chronology(data) == []
    # one SMS text changed inside the file: that entry's hash no longer matches
    needle = b'"body":"Bel me terug"'
    assert needle in data
    problems = verify_chronology(data.replace(needle, b'"body":"Bel me morgen"', 1))
    assert problems
    assert any("entry_hash" in p or "hash" in p for p in problems), problems


def test_resealing_a_loaded_document_gives_the_same_bytes(tmp_path):
    doc = build(400, 11)
    data = canonical_bytes(doc)
    again = seal(json.loads(data))  # no builder guarantees: every value walked
    assert canonical_bytes(again) == data
    assert again["root_hash"] == doc["root_hash"]


def test_a_changed_sealed_document_is_encoded_afresh():
    doc = build(400, 11)
    doc["entries"] = doc["entries"][:-1]  # replaced list: the kept bytes no longer apply
    assert not doc.intact()
    assert canonical_bytes(doc) == reference_bytes(dict(doc))
    with pytest.raises(TypeError):
        canonical_bytes({**doc, "persons": [1.5]})


_instants = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                         timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(_instants, st.sampled_from(("seconds", "milliseconds", "microseconds", "auto")),
       st.sampled_from(("Z", "+00:00")))
def test_utc_text_equals_the_round_trip(moment, spec, suffix):
    text = moment.replace(tzinfo=None).isoformat(timespec=spec) + suffix
    assert utc_text(text) == format_utc(parse_instant(text))


@pytest.mark.parametrize("text", ["2024-02-30T10:00:00Z", "2024-13-01T10:00:00Z",
                                  "2024-01-01T25:00:00Z", "gisteren", "2024-01-01T10:00:00.12Z"])
def test_utc_text_refuses_or_rewrites_as_the_round_trip(text):
    try:
        expected = format_utc(parse_instant(text))
    except ValueError:
        with pytest.raises(ValueError):
            utc_text(text)
    else:
        assert utc_text(text) == expected


_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text(max_size=5) | st.floats(allow_nan=False),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids,
                                                               max_size=3),
    max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(_values, _values)
def test_merge_value_is_equal_exactly_when_its_json_was(a, b):
    from intake.chronology.values import as_plain

    before = json.dumps(as_plain(a), sort_keys=True) == json.dumps(as_plain(b), sort_keys=True)
    assert (_same_value(a) == _same_value(b)) == before

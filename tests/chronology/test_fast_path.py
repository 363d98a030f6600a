"""Simple events take fast.py's path straight to their entry's bytes (issue 19, point 4).

The general path (readings.py, build._entry, Layout.encode) stays the
reference: every case here is built twice, with the fast path and without it
(``fast.ENABLED = False``), and the two chronology.json files must be the same
bytes. The cases mix simple events with every reason to leave the fast path
(several claims, floats, non-ASCII keys, overrides, curation, persons, a
merged SMS, an item read twice, a message's media, bad times), and
hypothesis generates events of its own.

The fast path has two doors: a record as a dict, and a record as its JSON text
(``Index.item_record_texts``), whose simple events are read from their texts
with msgspec (``fast.read_event_text``). Every case goes through both.
"""

from __future__ import annotations

import hashlib
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.chronology import fast
from intake.chronology.build import build_chronology
from intake.chronology.canonical import canonical_bytes, reference_bytes

CASE = {"name": "Dossier Peeters", "timezone": "Europe/Brussels", "language": "nl"}


def _claim(ts: int, **over) -> dict:
    from datetime import UTC, datetime, timedelta

    moment = datetime.fromtimestamp(ts, UTC)
    c = {"local": (moment + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
         "offset": "+01:00", "utc": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "zone": "explicit",
         "source": "SMS Backup & Restore date", "meaning": "received", "granularity": "second",
         "confidence": "high", "note": "", "flags": []}
    c.update(over)
    return c


def _sms(n: int, number: str = "+32470000001", body: str = "Waar ben je?", **over) -> dict:
    ev = {"kind": "sms", "summary": "SMS incoming", "key": f"sms-{n}", "who": number, "to": [],
          "category": "", "witnesses": [], "flags": [],
          "facts": {"number": number, "direction": "incoming", "body": body, "withheld": False},
          "claims": [_claim(1_700_000_000 + 60 * n)]}
    ev.update(over)
    return ev


def _record(sha: str, events: list, **over) -> dict:
    rec = {"sha256": sha, "size": 10, "mime": "application/xml", "names": [f"{sha[:6]}.xml"],
           "parents": [], "warnings": [], "overrides": {},
           "extraction": {"plugin": "sms_backup", "version": "0.1.0", "facts": {},
                          "events": events}}
    rec.update(over)
    return rec


def _mixed() -> tuple[list[dict], list[dict]]:
    """Records and curation with simple events and every kind of exception."""
    a, b, c, d = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)
    events = [_sms(i, body=f"bericht {i} 👀") for i in range(30)]
    events += [
        _sms(30, claims=[_claim(1_700_100_000, zone="utc")]),  # offset from the case's zone
        _sms(31, claims=[_claim(1_700_100_060, confidence="low")]),
        _sms(32, claims=[_claim(1_700_100_120, meaning="filed", source="mtime")]),
        _sms(33, claims=[_claim(1_700_100_180), _claim(1_700_100_900, meaning="sent")]),
        _sms(34, facts={"number": "0470 00 00 02", "amount": 1.5}),  # a float: general path
        _sms(35, facts={"été": "oui", "number": "+32470000003"}),  # non-ASCII key
        _sms(36, facts={"number": "+32470000004", "big": 2**60}),
        _sms(37, facts={"nested": {"b": 1, "a": [1, "x"]}}),
        _sms(38, to=["+32470000009"], witnesses=["Buurvrouw"], flags=["odd"]),
        _sms(39, claims=[_claim(1_700_100_300, utc="2023-11-16T02:25:00.000Z")]),
        _sms(40, claims=[_claim(1_700_100_360, utc="gisteren")]),  # unreadable: flagged
        _sms(41, claims=[]),  # undated
        _sms(42, kind="photo", facts={"phash": "00ff00ff00ff00ff"}),
        _sms(43, key="", summary=None, who=7, message="tekst", category="bedreiging"),
        _sms(44, facts={"ocr_text": "Waar ben je?", "number": "+32470000001"}),
        _sms(45, facts={"number": "+32470000005", "direction": "outgoing", "body": "ok"},
             claims=[_claim(1_700_100_480, meaning="sent", offset="+02:00",
                            granularity="", confidence=None, local=None, note="n")]),
        _sms(46, kind="email", facts={"message_id": "<m1@x>"}),
        _sms(47, kind="call", facts={"number": "+32470000001", "duration_seconds": 12}),
    ]
    first = events[:40]
    # the same SMS in a second, overlapping backup: merged with the first's
    second = [_sms(i, body=f"bericht {i} 👀", key=f"other-{i}") for i in range(20, 30)]
    second += [_sms(100, kind="email", facts={"message_id": "m1@x"})]
    overridden = _record(c, [_sms(200), _sms(201)], overrides={"sms-200": {"category": "stalking"}})
    reread = _record(d, [_sms(300)])
    reread["extraction"]["history"] = [
        {"record": "r1", "plugin": "sms_backup", "version": "0.0.9", "extracted_at": "2024-01-01T00:00:00Z"},
        {"record": "r2", "plugin": "sms_backup", "version": "0.1.0", "extracted_at": "2024-02-01T00:00:00Z"}]
    reread["extraction"]["record"] = "r2"
    reread["extraction"]["extracted_at"] = "2024-02-01T00:00:00Z"
    media = _record("e" * 64, [_sms(400, kind="file", claims=[])],
                    parents=[{"sha256": a, "event_key": "sms-3", "relation": "mms-part"}])
    pictured = _record("f" * 64, [_sms(500), _sms(501)])  # an item's phash: on every event
    pictured["extraction"]["facts"] = {"phash": "00FF00FF00FF00FF"}
    twin = _record("f" * 64, [_sms(500)])  # another reading of it, with fewer events
    twin["extraction"]["facts"] = {"phash": "00ff00ff00ff00fe"}
    differing = _record(a, first[:-1])  # a differing copy of item a: the least one wins
    records = [_record(a, first), _record(b, second + events[40:]), overridden, reread, media,
               _record(a, first), differing, pictured, twin]  # (a three times)
    curation = [
        {"seq": 1, "rid": "00000000000000a1", "kind": "entry", "action": "note",
         "value": "Eerste bericht", "sources": [{"exhibit": a, "event_key": "sms-5"}]},
        {"seq": 2, "rid": "00000000000000a3", "kind": "person", "person": "p1", "name": "Ex",
         "role": "suspect", "identifiers": [{"kind": "phone", "value": "+32470000005"}]},
    ]
    return records, curation


def _build(records: list[dict], curation: list[dict], enabled: bool, monkeypatch,
           texts: bool = False, **kw) -> bytes:
    monkeypatch.setattr(fast, "ENABLED", enabled)
    feed = ((orjson.dumps(r) for r in records) if texts else
            (orjson.loads(orjson.dumps(r)) for r in records))
    doc = build_chronology(feed, case=CASE, tool_version="0.1.0", curation=curation, **kw)
    return canonical_bytes(doc)


def _count(monkeypatch, name: str = "read_event") -> list:
    """The events `fast.<name>` read (not None) in this build."""
    made: list = []
    real = getattr(fast, name)

    def counting(*args):
        ev = real(*args)
        if ev is not None:
            made.append(ev)
        return ev

    monkeypatch.setattr(f"intake.chronology.build.{name}", counting)
    return made


@pytest.mark.parametrize("persons", [True, False])
def test_fast_and_general_paths_give_the_same_bytes(monkeypatch, persons):
    records, curation = _mixed()
    if not persons:
        curation = curation[:1]
    made = _count(monkeypatch)
    quick = _build(records, curation, True, monkeypatch)
    assert len(made) >= 30  # the simple events did take the fast path
    general = _build(records, curation, False, monkeypatch)
    assert quick == general
    from_text = _count(monkeypatch, "read_event_text")
    assert _build(records, curation, True, monkeypatch, texts=True) == general
    assert len(from_text) >= 30  # read from their texts, not from dicts
    assert _build(records, curation, False, monkeypatch, texts=True) == general
    assert reference_bytes(orjson.loads(quick)) == quick
    doc = orjson.loads(quick)
    entries = doc["entries"] + doc["undated"]
    merged = [e for e in entries if len(e["sources"]) == 2 and e["kind"] == "sms"]
    assert len(merged) == 10  # the overlapping backup's SMS joined the first's
    assert any(e["curation"]["note"] == "Eerste bericht" for e in entries)
    assert [e["category"] for e in entries if e["what"] == "SMS incoming"
            and e["sources"][0]["event_key"] == "sms-200"] == ["stalking"]
    assert any("low-confidence-time" in e["flags"] for e in entries)
    assert any(e["persons"] == ["p1"] for e in entries) == persons


def test_a_period_keeps_the_same_bytes(monkeypatch):
    records, curation = _mixed()
    quick = _build(records, curation, True, monkeypatch, date_from="2023-11-15",
                   date_to="2023-11-15")
    assert quick == _build(records, curation, False, monkeypatch, date_from="2023-11-15",
                           date_to="2023-11-15")
    assert quick == _build(records, curation, True, monkeypatch, texts=True,
                           date_from="2023-11-15", date_to="2023-11-15")
    every = orjson.loads(_build(records, curation, True, monkeypatch))["entries"]
    assert 0 < len(orjson.loads(quick)["entries"]) < len(every) - 5


def test_the_bench_case_keeps_its_pinned_bytes(monkeypatch):
    """bench_chronology's 2,000-event case (merges, calls): same SHA-256 both ways."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import bench_chronology

    records = bench_chronology.records(2000)
    digests = {hashlib.sha256(_build(records, [], on, monkeypatch, texts=texts)).hexdigest()
               for on in (True, False) for texts in (True, False)}
    assert len(digests) == 1


_text = st.text(max_size=6)
_scalar = st.none() | st.booleans() | st.integers(min_value=-(2**54), max_value=2**54) | _text
_facts = st.dictionaries(st.sampled_from(["number", "body", "direction", "x", "é", "ocr_text",
                                          "duration_seconds", "message_id"]) | _text,
                         _scalar | st.floats(allow_nan=False) | st.lists(_scalar, max_size=2),
                         max_size=4)
_event = st.fixed_dictionaries(
    {"kind": st.sampled_from(["sms", "call", "email", "note", "", None]),
     "key": st.sampled_from(["k1", "k2", "", None]) | _text,
     "summary": _text | st.none(), "who": _text | st.integers(0, 9),
     "facts": _facts | st.none(),
     "claims": st.lists(st.fixed_dictionaries({
         "utc": st.sampled_from(["2024-03-01T10:00:00Z", "2024-03-01T10:00:00.500Z",
                                 "2024-03-01T10:00:00+00:00", "2024-02-30T10:00:00Z", "",
                                 "9999-12-31T23:30:00Z", "0001-01-01T00:10:00.000250Z"]),
         "offset": st.sampled_from(["+01:00", "", "Z", "-05:30"]),
         "zone": st.sampled_from(["explicit", "utc", "assumed", ""]),
         "source": _text, "meaning": st.sampled_from(["sent", "received", "filed", "called"]),
         "granularity": st.sampled_from(["second", "minute", "", None]),
         "confidence": st.sampled_from(["high", "low", "", None]),
         "local": st.sampled_from(["2024-03-01T11:00:00", None]), "note": _text,
         "flags": st.sampled_from([[], ["placeholder"], None])}), max_size=2)},
    optional={"to": st.lists(_text, max_size=1), "flags": st.lists(_text, max_size=1),
              "category": _text, "message": _text})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(_event, min_size=1, max_size=6), st.integers(0, 3))
def test_generated_events_give_the_same_bytes_both_ways(monkeypatch, events, seed):
    rnd = random.Random(seed)
    records = [_record(f"{i:064x}", [e for e in events if rnd.random() < 0.7]) for i in range(2)]
    results = []
    for on, texts in ((True, False), (False, False), (True, True)):
        try:
            results.append(_build(records, [], on, monkeypatch, texts=texts))
        except Exception as exc:  # noqa: BLE001 - all paths must fail alike too
            results.append((type(exc), str(exc)))
    assert results[0] == results[1] == results[2]

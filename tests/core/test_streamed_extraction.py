"""Big extractions stream from the plugin to the index (issue 19, point 3).

A plugin may yield its events; the plugin worker sends them in batches, the
pipeline checks and encodes each batch and records the whole extraction at the
end in the usual order (extraction.json, the custody line, then the index in
one transaction). These tests drive the real CLI on files made here.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import custody_records, drop, new_case, ok, replica, run_intake, wait_for
from tests.helpers.case import INTAKE, meta_dir, with_plugins
from tests.helpers.tamper import problems

T0 = 1_700_000_000_000  # epoch ms of the first message


def _backup(n: int) -> bytes:
    """An SMS Backup & Restore file of n messages: message i at T0 + i minutes."""
    rows = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>",
            f'<smses count="{n}" backup_set="t" backup_date="{T0}" type="full">']
    for i in range(n):
        rows.append(f'  <sms protocol="0" address="+3247000{i % 1000:04d}" '
                    f'date="{T0 + i * 60_000}" type="{1 + i % 2}" subject="null" '
                    f'body={quoteattr(f"bericht nummer {i} & meer")} read="1" status="-1" '
                    f'readable_date="" contact_name="(Unknown)" />')
    rows.append("</smses>")
    return ("\n".join(rows) + "\n").encode()


def _utc(i: int) -> str:
    return datetime.fromtimestamp((T0 + i * 60_000) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _index(case: Path) -> sqlite3.Connection:
    return sqlite3.connect(case / ".intake" / "index.sqlite")


def _events_in_index(case: Path, sha: str) -> tuple[int, list | None]:
    db = _index(case)
    try:
        count = db.execute("SELECT COUNT(*) FROM events WHERE sha256=?", (sha,)).fetchone()[0]
        row = db.execute("SELECT data FROM extractions WHERE sha256=?", (sha,)).fetchone()
    finally:
        db.close()
    return count, json.loads(row[0])["events"] if row else None


def test_a_backup_of_20000_messages_streams_into_the_index_and_verifies(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    data = _backup(20_000)
    sha = hashlib.sha256(data).hexdigest()
    drop(case, "backup.xml", data)
    ok(run_intake("ingest", "--case", case, timeout=300))

    count, events = _events_in_index(case, sha)
    assert count == 20_000 and events is not None and len(events) == 20_000
    for i in (0, 9_999, 19_999):  # the 1st, the 10,000th, the last
        event = events[i]
        assert event["claims"][0]["utc"] == _utc(i)
        assert event["facts"]["number"] == f"+3247000{i % 1000:04d}"
        assert event["facts"]["body"] == f"bericht nummer {i} & meer"
    db = _index(case)
    utc = db.execute("SELECT utc FROM events WHERE sha256=? AND n=9999", (sha,)).fetchone()[0]
    db.close()
    assert utc == _utc(9_999)

    # the record: byte-identical in both replicas, its hash in the custody line
    a = (meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes()
    b = (meta_dir(replica(case, "b"), sha) / "extraction.json").read_bytes()
    assert a == b
    assert len(json.loads(a)["events"]) == 20_000
    (line,) = [r for r in custody_records(replica(case, "a"))
               if r["event"] == "extracted" and r["sha256"] == sha]
    assert line["events"] == 20_000
    assert list(line["meta"].values()) == [hashlib.sha256(a).hexdigest()]
    ok(run_intake("verify", "--case", case, timeout=300))
    # verify's own index, re-derived from the record without its events as objects
    # (msgspec skips over them), holds the very same text as the live index
    from intake.case import Case
    from intake.verified import BIG_RECORD, built

    assert len(a) > BIG_RECORD
    from intake.event_stream import SPILL

    assert len(a) > 2 * SPILL  # written from its temporary file, a megabyte at a time
    with Case.open(case, write=False) as c, built(c) as truth:
        cols = "plugin, version, kind, data"
        assert truth.index.table_rows("extractions", "sha256", cols) == \
            c.index.table_rows("extractions", "sha256", cols)
        assert truth.index.table_rows("events", "sha256, n", "kind, utc") == \
            c.index.table_rows("events", "sha256, n", "kind, utc")

    # the chronology reads the record's events one at a time (lazy_events): all there
    out = tmp_path / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json", timeout=300))
    doc = json.loads((out / "chronology.json").read_bytes())
    assert len(doc["entries"]) == 20_000
    tenth = doc["entries"][9_999]
    assert tenth["instant"] == _utc(9_999)
    assert tenth["facts"]["body"] == "bericht nummer 9999 & meer"

    # one event changed in the index: verify names it
    db = _index(case)
    with db:
        db.execute("UPDATE extractions SET data = json_set(data, '$.events[9999].facts.body', "
                   "'iets anders') WHERE sha256=?", (sha,))
    db.close()
    proc = run_intake("verify", "--case", case, timeout=300)
    assert proc.returncode != 0
    assert any("events[9999].facts.body" in p for p in problems(proc)), proc.stdout


LIST_PLUGIN = '''
from intake import Event, Extraction, TimeClaim, hookimpl

__version__ = "1.0.0"


@hookimpl
def intake_extract(item, case):
    if not item.name.endswith(".tally"):
        return None
    events = [Event(kind="message", summary=f"tick {i}", key=f"t-{i}",
                    claims=(TimeClaim(local=f"2024-03-01T{i // 3600:02d}:{i // 60 % 60:02d}:"
                                            f"{i % 60:02d}", offset="Z", zone="utc",
                                      source="tally", meaning="sent"),),
                    facts={"i": i}) for i in range(5_000)]
    events[4_321] = "not an event"
    return Extraction(events=tuple(events), kind="tally", facts={"ticks": 5_000})
'''


def test_a_plugin_that_returns_a_plain_list_still_works(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    with_plugins(case, {"tally.py": LIST_PLUGIN})
    data = b"ticks\n"
    drop(case, "a.tally", data)
    ok(run_intake("ingest", "--case", case, timeout=300))
    sha = hashlib.sha256(data).hexdigest()
    count, events = _events_in_index(case, sha)
    assert count == 4_999 and events is not None
    assert [e["facts"]["i"] for e in events[4_320:4_322]] == [4_320, 4_322]
    assert events[-1]["claims"][0]["utc"] == "2024-03-01T01:23:19Z"
    record = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    assert record["facts"] == {"ticks": 5_000}
    # numbered as the plugin gave them, across the worker's batches
    assert "plugin tally: event 4321 is a str, not an Event; left out" in record["warnings"]
    ok(run_intake("verify", "--case", case, timeout=300))
    # the same values written otherwise (an index made by an earlier version): no problem
    db = _index(case)
    with db:
        (text,) = db.execute("SELECT data FROM extractions WHERE sha256=?", (sha,)).fetchone()
        db.execute("UPDATE extractions SET data=? WHERE sha256=?",
                   (json.dumps(json.loads(text), indent=1), sha))
    db.close()
    ok(run_intake("verify", "--case", case, timeout=300))


SLOW_PLUGIN = '''
import time
from pathlib import Path

from intake import Event, Extraction, TimeClaim, hookimpl

__version__ = "1.0.0"
MARK = Path(__file__).with_name("halfway.mark")


def _events():
    for i in range(6_000):
        if i == 4_500 and not MARK.exists():  # the first run: halfway, then it waits
            MARK.write_text("halfway")
            time.sleep(60)
        yield Event(kind="message", summary=f"slow {i}", key=f"s-{i}",
                    claims=(TimeClaim(local="2024-03-01T10:00:00", offset="Z", zone="utc",
                                      source="slow", meaning="sent"),), facts={"i": i})


@hookimpl
def intake_extract(item, case):
    if not item.name.endswith(".slow"):
        return None
    return Extraction(events=_events(), kind="slow")
'''


def test_a_kill_in_the_middle_of_a_streamed_extraction_leaves_no_half_of_it(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    folder = with_plugins(case, {"slow.py": SLOW_PLUGIN}, timeout=120)
    data = b"slow\n"
    sha = hashlib.sha256(data).hexdigest()
    drop(case, "x.slow", data)
    env = {k: v for k, v in os.environ.items() if k != "INTAKE_LOAD_PLUGINS"}
    proc = subprocess.Popen([str(INTAKE), "ingest", "--case", str(case)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # two batches of 2,000 events have gone to the CLI when the plugin waits
        wait_for(lambda: (folder / "halfway.mark").exists(), timeout=120)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    count, events = _events_in_index(case, sha)
    assert (count, events) == (0, None)
    assert not [r for r in custody_records(replica(case, "a")) if r["event"] == "extracted"]

    ok(run_intake("ingest", "--case", case, timeout=300))
    count, events = _events_in_index(case, sha)
    assert count == 6_000 and events is not None
    assert [events[0]["facts"]["i"], events[-1]["facts"]["i"]] == [0, 5_999]
    ok(run_intake("verify", "--case", case, timeout=300))


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | _TEXT,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(facts=st.lists(st.dictionaries(_TEXT, _JSON, max_size=4), min_size=0, max_size=5),
       item_facts=st.dictionaries(_TEXT, _JSON, max_size=3), batch=st.integers(1, 3))
def test_the_streamed_bytes_are_those_of_the_whole_record(facts, item_facts, batch) -> None:
    """extraction.json and the index's JSON put together from the batches are byte
    for byte what encoding the whole record at once gives (verify compares them)."""
    from intake.event_stream import EncodedEvents, RecordBytes, batches
    from intake.extract import check_events
    from intake.index import _blob
    from intake.serialize import dumps, to_plain
    from intake.types import CaseInfo, Event, TimeClaim

    case = CaseInfo()
    events = [Event(kind="sms", summary=f"m{i}", facts=f, to=("x",),
                    claims=(TimeClaim(local="2024-03-31T02:30:00", source="s", meaning="sent"),))
              for i, f in enumerate(facts)]
    stream = EncodedEvents(case)
    spilled = EncodedEvents(case, spill=0)  # every batch goes to its temporary file
    for part in batches(events, batch):
        stream.add(part)
        spilled.add(part)
    data = {"plugin": "p", "version": "1", "kind": "k", "facts": item_facts, "warnings": [],
            "runs": [], "derived": [], "offered": {"p": "1"}, "extracted_at": "t"}
    whole = {**data, "events": to_plain(check_events(events, case)[0])}
    chosen = {**data, "record": "r", "history": [{"record": "r"}]}
    assert stream.exact
    assert stream.index_data(chosen) == _blob({**whole, "record": "r", "history": [{"record": "r"}]})
    assert stream.record(data) == dumps(whole)
    assert bytes(spilled.index_data(chosen)) == _blob({**whole, "record": "r",
                                                       "history": [{"record": "r"}]})
    record = spilled.record(data)
    if events:  # pieces: the head, the temporary file, the tail
        assert isinstance(record, RecordBytes)
        assert record.sha256() == hashlib.sha256(dumps(whole)).hexdigest()
        assert len(record) == len(dumps(whole))
    assert bytes(record) == dumps(whole)


def test_an_integer_beyond_64_bits_takes_the_slow_path_and_keeps_its_value() -> None:
    from intake.event_stream import EncodedEvents
    from intake.types import CaseInfo, Event

    stream = EncodedEvents(CaseInfo())
    stream.add_all([Event(kind="sms", summary="a", facts={"big": 2**70}),
                    Event(kind="sms", summary="b", facts={"small": 1})])
    assert not stream.exact and stream.count == 2
    record = json.loads(stream.record({"plugin": "p"}))
    assert [e["facts"] for e in record["events"]] == [{"big": 2**70}, {"small": 1}]


def _big_record(n: int) -> tuple[dict, bytes]:
    """An extraction record as intake writes it (indented, keys sorted), over 1 MiB."""
    record = {"derived": [], "events": [
        {"claims": [{"local": "2024-03-01T10:00:00", "utc": _utc(i)}], "facts": {
            "body": f"bericht {i} \u00e9\u202e", "big": 2 ** 70 + i, "x": 1.5e300}, "kind": "sms"}
        for i in range(n)], "facts": {"count": n}, "plugin": "sms_backup"}
    data = json.dumps(record, indent=2, sort_keys=True).encode()
    assert len(data) > 1 << 20
    return record, data


def test_a_big_record_is_read_event_by_event_with_the_values_json_gives() -> None:
    from intake.lazy_events import LazyEvents, read_extraction

    record, data = _big_record(6_000)
    lazy = read_extraction(data)
    assert isinstance(lazy["events"], LazyEvents) and len(lazy["events"]) == 6_000
    assert lazy["facts"] == {"count": 6_000} and lazy["plugin"] == "sms_backup"
    assert list(lazy["events"]) == record["events"]  # big integers and floats kept
    assert lazy["events"][5_999]["facts"]["big"] == 2 ** 70 + 5_999
    assert lazy["events"][10:12] == record["events"][10:12]
    # small records, events that are no list, and what is no JSON: the plain way
    assert read_extraction(b'{"events": [1]}') == {"events": [1]}
    odd = json.dumps({"events": {"a": "b" * (1 << 20)}}).encode()
    assert read_extraction(odd) == json.loads(odd)
    import pytest

    with pytest.raises(ValueError):
        read_extraction(data[:-2])


def test_verify_splits_a_big_record_into_its_fields_and_its_compact_events() -> None:
    import pytest

    from intake.verified import _split_record as split

    record, data = _big_record(6_000)
    light, listed = split(data)
    assert light == {k: v for k, v in record.items() if k != "events"}
    assert json.loads(listed) == record["events"]
    assert listed == json.dumps(record["events"], separators=(",", ":"),
                                sort_keys=True).encode()  # the index's compact text
    assert json.loads(listed)[0]["facts"]["body"] == "bericht 0 \u00e9\u202e"
    odd = json.dumps({"events": "none", "pad": "x" * (1 << 20)}).encode()
    assert split(odd) == (json.loads(odd), None)
    with pytest.raises(ValueError):
        split(b"[1, 2]")
    with pytest.raises(ValueError):
        split(data[:100])

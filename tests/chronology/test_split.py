"""Both cores (issue 19, point 4): a helper process reads some chunks of
simple events (intake/chronology/split.py). The chronology must be the same
bytes with it, without it, and with a helper that dies, answers nonsense or
never starts; a small case starts none."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import orjson
import pytest

from intake.chronology import split
from intake.chronology.build import build_chronology

CASE = {"name": "bench", "timezone": "Europe/Brussels", "language": "nl"}
#: the bench's 2,000-event case as one chronology (SHA-256 of chronology's canonical bytes)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import bench_chronology  # noqa: E402

RECORDS = bench_chronology.records(2000)
TEXTS = [orjson.dumps(r) for r in RECORDS]
#: chunks of 100 events: 4 backups of 500 events, some with 25 more (the overlap)
CHUNKS = sum(-(-len(r["extraction"]["events"]) // 100) for r in RECORDS)


def _digest() -> str:
    doc = build_chronology(iter(TEXTS), case=CASE, tool_version="bench")
    h = hashlib.sha256()
    for chunk in doc.chunks():
        h.update(chunk)
    return h.hexdigest()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(split, "MIN_EVENTS", 0)
    monkeypatch.setattr(split, "CHUNK", 100)
    monkeypatch.setattr(split, "MAX_LOAD", 1e9)  # whatever else runs on the machine


def test_the_helper_reads_chunks_and_the_bytes_stay(monkeypatch, small_chunks):
    assert CHUNKS == 22
    monkeypatch.setattr(split, "ENABLED", False)
    alone = _digest()
    assert split.LAST == {"here": CHUNKS, "there": 0, "helper_peak_kib": 0}
    monkeypatch.setattr(split, "ENABLED", True)
    monkeypatch.setattr(split, "PATIENCE", 60.0)
    assert _digest() == alone
    assert split.LAST["there"] >= 2  # at least the first two chunks sent away came back
    assert split.LAST["here"] + split.LAST["there"] == CHUNKS
    assert 10_000 < split.LAST["helper_peak_kib"] < 150_000  # its own memory, in KiB


def test_the_helpers_events_are_those_read_here(monkeypatch, small_chunks):
    """Each event back from the helper equals the one read here, field by field
    (kind, exhibit, merge key as hashable tuples, runs...)."""
    from intake.chronology import fast
    from intake.chronology.build import merge_key_of
    from intake.chronology.readings import ItemContext

    back = []
    real = split._settle

    def settle(ev, sha, share):
        out = real(ev, sha, share)
        back.append(out)
        return out

    monkeypatch.setattr(split, "_settle", settle)
    monkeypatch.setattr(split, "PATIENCE", 60.0)
    _digest()
    assert len(back) >= 200
    texts = {(r["sha256"], i): orjson.dumps(ev) for r in RECORDS
             for i, ev in enumerate(r["extraction"]["events"])}
    for ev in back:
        ctx = ItemContext(ev.exhibit, "sms_backup", "0.1.0", {}, {}, {})
        here = fast.read_event_text(ctx, ev.idx, texts[(ev.exhibit, ev.idx)],
                                    CASE["timezone"], merge_key_of)
        assert ev == here
        assert type(ev.mkey) is tuple and hash(ev.mkey) == hash(here.mkey)
        assert ev.kind in ("sms", "call") and ev.mkey[0] == ev.kind


@pytest.mark.parametrize("helper", [
    "import sys; sys.stdin.buffer.read(100)",  # dies during the first job
    "import sys; sys.stdout.buffer.write(b'\\x05\\x00\\x00\\x00hello'); sys.stdout.flush();"
    " sys.stdin.buffer.read()",  # answers nonsense, then waits for the end
    "import sys; sys.exit(3)",  # ends at once
])
def test_a_failing_helper_loses_nothing(monkeypatch, small_chunks, helper):
    monkeypatch.setattr(split, "ENABLED", False)
    alone = _digest()
    monkeypatch.setattr(split, "ENABLED", True)
    monkeypatch.setattr(split, "COMMAND", [sys.executable, "-c", helper])
    monkeypatch.setattr(split, "PATIENCE", 60.0)  # (a dead helper is not waited for)
    assert _digest() == alone
    assert split.LAST["there"] == 0 and split.LAST["here"] == CHUNKS


def test_a_missing_helper_loses_nothing(monkeypatch, small_chunks, tmp_path):
    monkeypatch.setattr(split, "ENABLED", False)
    alone = _digest()
    monkeypatch.setattr(split, "ENABLED", True)
    monkeypatch.setattr(split, "COMMAND", [str(tmp_path / "no-such-python")])
    assert _digest() == alone
    assert split.LAST == {"here": CHUNKS, "there": 0, "helper_peak_kib": 0}


def test_a_busy_machine_starts_no_helper(monkeypatch, small_chunks):
    monkeypatch.setattr(split, "MAX_LOAD", -1.0)  # no load average is that low
    started = []
    monkeypatch.setattr(split.Helper, "__init__", lambda self: started.append(1) or 1 / 0)
    _digest()
    assert started == [] and split.LAST == {"here": CHUNKS, "there": 0, "helper_peak_kib": 0}


def test_a_small_case_starts_no_helper(monkeypatch):
    monkeypatch.setattr(split, "MAX_LOAD", 1e9)
    started = []
    monkeypatch.setattr(split.Helper, "__init__", lambda self: started.append(1) or 1 / 0)
    _digest()  # about 2,100 events, under MIN_EVENTS
    assert started == [] and split.LAST["there"] == 0

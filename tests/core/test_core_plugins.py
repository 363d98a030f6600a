"""Plugin containment: a plugin that raises, hangs or returns garbage cannot break intake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    custody_records,
    drop,
    ingest,
    ingested,
    make_jpeg,
    meta_dir,
    ok,
    replica,
    run_intake,
    sha256,
    status,
    verify,
    with_plugins,
)

RAISES = '''\
from intake import hookimpl

__version__ = "1.0.1"


@hookimpl(tryfirst=True)
def intake_extract(item, case):
    raise RuntimeError("boom: this plugin always fails")
'''

HANGS = '''\
import time

from intake import hookimpl

__version__ = "2.0.2"


@hookimpl(tryfirst=True)
def intake_extract(item, case):
    time.sleep(60)
'''

GARBAGE = '''\
from intake import hookimpl

__version__ = "3.0.3"


@hookimpl(tryfirst=True)
def intake_extract(item, case):
    return "this is not an Extraction"
'''


def plugin_case(case: Path, files: dict[str, str]) -> Path:
    return with_plugins(case, files, timeout=2)


def test_bad_plugins_are_contained_in_the_worker(case: Path) -> None:
    folder = plugin_case(case, {"p_raises.py": RAISES, "p_hangs.py": HANGS,
                                "p_garbage.py": GARBAGE})
    jpeg = make_jpeg(width=200, height=100, exif_time="2024:03:01 21:15:00")
    drop(case, "photo.jpg", jpeg)
    answer = ingest(case, in_process=False, timeout=120)  # plugins run in the worker
    assert answer["outcomes"] == {"settled": 1}
    sha = sha256(jpeg)
    assert ingested(case) == ["photo.jpg"]
    for name in ("a", "b"):
        assert (replica(case, name) / "objects" / sha[:2] / sha).is_file()

    extraction = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    assert extraction["plugin"] == "photos"  # the built-in still read it
    assert extraction["kind"] == "photo"
    runs = {r["plugin"]: r for r in extraction["runs"]}
    assert runs["p_raises"]["status"] == "error"
    assert runs["p_raises"]["reason"] == "RuntimeError: boom: this plugin always fails"
    assert runs["p_raises"]["version"] == "1.0.1"
    assert runs["p_hangs"]["status"] == "timeout"
    assert runs["p_hangs"]["reason"] == "no answer after 2 s"
    assert runs["p_hangs"]["version"] == "2.0.2"
    assert runs["p_garbage"]["status"] == "garbage"
    assert runs["p_garbage"]["reason"] == "returned str, not an Extraction"
    assert runs["photos"]["status"] == "ok"
    # the failures come first (tryfirst), the winner last
    assert [r["plugin"] for r in extraction["runs"]][-1] == "photos"
    assert set(list(runs)[:3]) == {"p_raises", "p_hangs", "p_garbage"}
    warnings = extraction["warnings"]
    assert "plugin p_raises failed: RuntimeError: boom: this plugin always fails" in warnings
    assert "plugin p_hangs took longer than 2 s and was stopped" in warnings
    assert "plugin p_garbage returned str, not an Extraction; ignored" in warnings

    # the custody log names every attempt with its version
    lines = [json.loads(line) for seg in sorted((replica(case, "b") / "custody").glob("*.jsonl"))
             for line in seg.read_bytes().splitlines()]
    (extracted,) = [r for r in lines if r["event"] == "extracted" and r.get("sha256") == sha]
    assert extracted["plugin"] == "photos"
    assert {(r["plugin"], r["status"]) for r in extracted["runs"]} >= {
        ("p_raises", "error"), ("p_hangs", "timeout"), ("p_garbage", "garbage"), ("photos", "ok")}

    s = status(case)
    assert s["counts"]["items"] == 1 and s["counts"]["events"] == 1
    ok(verify(case))

    listed = {p["name"]: p for p in json.loads(ok(run_intake("plugins", "--json", "--case", case))
                                              .stdout)}
    for name, version in (("p_raises", "1.0.1"), ("p_hangs", "2.0.2"), ("p_garbage", "3.0.3")):
        assert listed[name] == {"name": name, "version": version,
                                "origin": f"folder:{folder / (name + '.py')}",
                                "hooks": ["intake_extract"]}
    assert listed["photos"]["origin"] == "builtin"
    assert listed["photos"]["version"] == "0.1.0"
    assert "intake_extract" in listed["photos"]["hooks"]
    assert listed["fallback"]["origin"] == "builtin"
    assert listed["sniff"]["origin"] == "core"


SYNTAX_ERROR = '''\
from intake import hookimpl

@hookimpl
def intake_extract(item, case)
    return None
'''

UNKNOWN_HOOK = '''\
from intake import hookimpl


@hookimpl
def intake_extrakt(item, case):
    return None
'''


@pytest.mark.parametrize("name,text,expected", [
    ("broken.py", SYNTAX_ERROR, "the plugin could not be loaded: SyntaxError"),
    ("typo.py", UNKNOWN_HOOK, "intake_extrakt"),
], ids=["syntax-error", "unknown-hook"])
def test_a_plugin_that_cannot_load_is_named_in_one_line(case: Path, name: str, text: str,
                                                        expected: str) -> None:
    folder = plugin_case(case, {name: text})
    drop(case, "note.txt", b"untouched\n")
    for command in (["plugins"], ["ingest", "--in-process"]):
        proc = run_intake(*command, "--case", case)
        assert proc.returncode == 3, proc
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("intake: ")
        assert str(folder / name) in lines[0] and expected in lines[0]
    assert (case / "inbox" / "note.txt").read_bytes() == b"untouched\n"  # nothing was done


SLOW = '''\
import time

from intake import hookimpl

__version__ = "4.0.4"


@hookimpl(tryfirst=True)
def intake_extract(item, case):
    if item.name.startswith("slow-"):
        time.sleep(2.5)  # as OCR of a big screenshot takes its time
    return None
'''


def test_a_slow_plugin_never_holds_up_storing(case: Path) -> None:
    """Issue 15, point 6: every file is stored and leaves the inbox before the slow
    plugin has read more than the ones already in its hands (the limit of 2 x workers)."""
    from intake.plugin_worker import default_workers

    in_flight = 2 * default_workers()  # what the pipeline hands the workers at once
    count = 2 * in_flight + 2
    with_plugins(case, {"slow.py": SLOW})
    for n in range(count):
        drop(case, f"slow-{n:02d}.txt", f"slow file {n}\n".encode())
    answer = ingest(case, in_process=False)
    assert answer["outcomes"] == {"settled": count}
    events = [r["event"] for r in custody_records(replica(case, "a"))
              if r["event"] in ("settled", "extracted")]
    assert events.count("settled") == count and events.count("extracted") == count
    last_settled = max(i for i, e in enumerate(events) if e == "settled")
    # before: a file waited for a free worker, so count - in_flight extractions were done
    # before the last file settled; now at most the ones first handed out may be
    assert events[:last_settled].count("extracted") <= in_flight, events

"""One plugin host for untrusted bytes (issue 11, point 4).

``intake_sniff`` and ``intake_thumbnail`` decode files a stalker may have
crafted: they run in the plugin workers like ``intake_extract``, with the same
time and memory limits; a plugin that declares ``MIME_TYPES`` is offered only
items of those types; wrappers are never called as if they were readers.
"""

from __future__ import annotations

import json
from pathlib import Path

from intake import hookimpl
from intake.extract import MEMORY_LIMIT, extract_in_process
from intake.plugins import get_plugin_manager, hook_impls
from intake.types import CaseInfo, ItemView
from tests.helpers import (
    custody_records,
    drop,
    ingest,
    ingested,
    make_jpeg,
    meta_dir,
    new_case,
    ok,
    replica,
    run_intake,
    sha256,
    with_plugins,
)

SNIFF_CRASHES = '''
import os
from intake import hookimpl

@hookimpl
def intake_sniff(head, name):
    if head.startswith(b"CRAFTED-CRASH"):
        os.abort()  # as a C decoder does on a crafted header
    return None
'''

SNIFF_HANGS = '''
import time
from intake import hookimpl

@hookimpl
def intake_sniff(head, name):
    if head.startswith(b"CRAFTED-HANG"):
        time.sleep(120)
    return "text/x-diary" if head.startswith(b"DIARY") else None
'''


def test_a_sniff_plugin_that_crashes_or_hangs_on_a_crafted_file_does_not_stop_ingest(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    with_plugins(case, {"sniff_crashes.py": SNIFF_CRASHES, "sniff_hangs.py": SNIFF_HANGS},
                 timeout=2)
    crash, hang, diary = b"CRAFTED-CRASH\x00\x01", b"CRAFTED-HANG\x00\x02", b"DIARY 1\n"
    drop(case, "crash.bin", crash)
    drop(case, "hang.bin", hang)
    drop(case, "diary.bin", diary)
    answer = ingest(case, in_process=False, timeout=240)
    assert answer["outcomes"] == {"settled": 3}
    assert sorted(ingested(case)) == ["crash.bin", "diary.bin", "hang.bin"]
    mime = {data: json.loads((meta_dir(replica(case, "a"), sha256(data)) / "item.json")
                             .read_bytes())["mime"] for data in (crash, hang, diary)}
    assert mime[diary] == "text/x-diary"  # the plugins still answer after a crash and a hang
    assert mime[crash] == mime[hang] == "application/octet-stream"  # the core's sniffer
    warned = {r["sha256"]: r["reason"] for r in custody_records(replica(case, "a"))
              if r.get("event") == "warned" and "intake_sniff" in r.get("reason", "")}
    assert warned == {
        sha256(crash): "a plugin's intake_sniff crashed its worker process",
        sha256(hang): "a plugin's intake_sniff took longer than 2 s and was stopped"}
    ok(run_intake("verify", "--case", case, timeout=180))


JSON_ONLY = '''
from intake import Event, Extraction, hookimpl

__version__ = "1.0"
MIME_TYPES = ("application/json",)

@hookimpl(tryfirst=True)
def intake_extract(item, case):
    return Extraction(kind="json_only", events=(Event(kind="note", summary=item.mime),))
'''


def test_a_plugin_that_declares_mime_types_is_offered_only_those(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    plugin = with_plugins(case, {"json_only.py": JSON_ONLY}) / "json_only.py"
    data, text = b'{"a": 1}\n', b"een notitie\n"
    drop(case, "a.json", data)
    drop(case, "note.txt", text)
    ingest(case, in_process=False)
    read = {d: json.loads((meta_dir(replica(case, "a"), sha256(d)) / "extraction.json")
                          .read_bytes()) for d in (data, text)}
    assert read[data]["plugin"] == "json_only"
    assert read[text]["plugin"] != "json_only"
    assert "json_only" not in [r["plugin"] for r in read[text]["runs"]]  # never offered
    assert "json_only" not in read[text]["offered"]
    assert read[data]["offered"]["json_only"].startswith("1.0 ")
    # changed: only the items of its types wait, though note.txt ended at the fallback
    plugin.write_text(JSON_ONLY.replace("kind=\"json_only\"", "kind=\"json_only2\""),
                      encoding="utf-8")
    assert read[text]["plugin"] == "fallback"
    assert ("1 bewaard stuk wacht om opnieuw gelezen te worden door nieuwe of gewijzigde "
            "plugins (json_only)") in ok(run_intake("plugins", "--case", case)).stdout


class Wraps:
    """A pluggy wrapper around intake_extract: it wraps the readers, it reads nothing."""

    __name__ = "wraps"

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(wrapper=True)
    def intake_extract(self, item, case):
        self.calls += 1
        return (yield)


def test_wrapper_implementations_are_not_called_as_plugins(tmp_path: Path) -> None:
    wraps = Wraps()
    pm = get_plugin_manager(extra=[wraps], load_entry_points=False)
    assert "wraps" not in [name for name, _ in hook_impls(pm)]
    path = tmp_path / "note.txt"
    path.write_bytes(b"een notitie\n")
    view = ItemView(sha256="0" * 64, path=path, name="note.txt", size=12, mime="text/plain",
                    head=path.read_bytes())
    result = extract_in_process(pm, view, CaseInfo())
    assert "wraps" not in [r.plugin for r in result.runs]
    assert result.plugin == "fallback" and not result.warnings
    assert wraps.calls == 0  # the host calls readers one by one, never through the wrapper


THUMB_CRASHES = '''
import os
from intake import hookimpl

MIME_TYPES = ("image/jpeg",)

@hookimpl(tryfirst=True)
def intake_thumbnail(item, size):
    os.abort()  # a crafted picture that kills the decoder
'''


def test_a_thumbnail_plugin_that_crashes_does_not_stop_the_report(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    with_plugins(case, {"thumb_crashes.py": THUMB_CRASHES})
    drop(case, "photo.jpg", make_jpeg(exif_time="2024:03:01 20:00:00"))
    ingest(case)
    r = ok(run_intake("chronology", "--case", case, "--out", tmp_path / "out", "--format",
                      "html,json"))
    assert "Traceback" not in r.stderr
    doc = json.loads((tmp_path / "out" / "chronology.json").read_bytes())
    assert [e["kind"] for e in doc["entries"]] == ["photo"]
    html = (tmp_path / "out" / "chronology.html").read_text(encoding="utf-8")
    assert "data:image/png" not in html  # no thumbnail: the worker crashed, the report did not
    (case / "plugins.local" / "thumb_crashes.py").unlink()  # without it: the picture is shown
    ok(run_intake("chronology", "--case", case, "--out", tmp_path / "again", "--format", "html"))
    assert "data:image/png" in (tmp_path / "again" / "chronology.html").read_text("utf-8")


MEASURES = '''
import resource
from intake import Event, Extraction, hookimpl

@hookimpl(tryfirst=True)
def intake_extract(item, case):
    if not item.head.startswith(b"BIG"):
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return Extraction(kind="unlimited")  # no limit: never try to allocate
    bytearray(soft + (1 << 30))  # more than the limit: a decoder asked for too much
'''


def test_a_plugin_that_asks_for_too_much_memory_fails_with_a_plain_reason(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    with_plugins(case, {"measures.py": MEASURES})
    data = b"BIG file\n"
    drop(case, "big.bin", data)
    ingest(case, in_process=False)
    read = json.loads((meta_dir(replica(case, "a"), sha256(data)) / "extraction.json")
                      .read_bytes())
    runs = {r["plugin"]: r for r in read["runs"]}
    assert runs["measures"]["status"] == "error"
    assert runs["measures"]["reason"] == \
        f"the plugin ran out of memory (limit {MEMORY_LIMIT >> 30} GiB)"
    assert read["plugin"] == "fallback"  # the next plugin read it: nothing lost


def test_the_first_file_starts_one_plugin_worker_and_an_unused_one_is_not_waited_for(
        tmp_path: Path) -> None:
    """`intake ingest` starts a worker when it takes its first file (the plugins load
    while the file is copied); one started that way and never asked (the file was
    refused) is ended at close, not waited for."""
    from intake.case import Case
    from intake.ingest import Pipeline

    case_dir = new_case(tmp_path / "case", settle=0.0)
    link = case_dir / "inbox" / "shortcut.txt"
    link.symlink_to(tmp_path / "elsewhere.txt")
    note = drop(case_dir, "note.txt", b"met 14:02 aan de deur\n")
    with Case.open(case_dir) as case:
        pipeline = Pipeline(case)
        refused = pipeline.process(link, from_inbox=True)
        assert refused.outcome == "refused"
        assert pipeline._pool is not None
        started = [w for w in pipeline._pool._workers if w.started]
        assert len(started) == 1
        proc = started[0]._proc
        pipeline.close()
        assert proc is not None and not proc.is_alive() and proc.exitcode is not None

        pipeline = Pipeline(case)
        task = pipeline.process(note, from_inbox=True)
        pipeline.close()
        assert task.outcome == "settled"
        assert case.index.has_extraction(task.sha256)

"""Issue 17: a plugin written for a source that has already arrived reads what was stored.

Through the real CLI: an Instagram export stored before any plugin knew it
(the fallback read only its file times), then a plugin added with
``intake plugins new``; ``intake ingest`` (or ``intake extract --plugin``)
reads the item again. A new reading never replaces the old one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from tests.helpers import (
    INTAKE,
    custody_records,
    drop,
    flip_byte,
    ingest,
    meta_dir,
    new_case,
    ok,
    replica,
    run_intake,
    sha256,
    wait_for,
)
from tests.helpers.case import chronology_doc

EXPORT = json.dumps({
    "participants": [{"name": "Kevin"}, {"name": "Anna"}],
    "messages": [{"sender_name": "Kevin", "timestamp_ms": 1709324100000,
                  "content": "ik weet waar je woont"}],
}).encode()

PLUGIN = '''\
"""instagram_dm: reads Instagram "Download your information" chats (message_1.json)."""

import json

from intake import Event, Extraction, TimeClaim, epoch_ms_to_iso, hookimpl

__version__ = "0.1.1"


@hookimpl
def intake_extract(item, case):
    if b'"participants"' not in item.head or b'"timestamp_ms"' not in item.head:
        return None
    data = json.loads(item.read_bytes())
    events = []
    for n, m in enumerate(data["messages"]):
        events.append(Event(
            kind="message", key=f"m{n}", summary=m["content"], who=m["sender_name"],
            claims=(TimeClaim(local=epoch_ms_to_iso(m["timestamp_ms"]), offset="Z",
                              zone="utc", source="timestamp_ms", meaning="sent"),),
            facts={"text": m["content"]}))
    return Extraction(events=tuple(events), kind="instagram_dm")
'''

BROKEN = PLUGIN.replace('data = json.loads(item.read_bytes())',
                        'data = json.loads(item.read_bytes())["nope"]  # a bug')


def _stored_with_fallback(tmp_path: Path) -> tuple[Path, str]:
    case = new_case(tmp_path / "case")
    drop(case, "instagram/message_1.json", EXPORT)
    ingest(case, in_process=False)
    sha = sha256(EXPORT)
    first = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    assert first["plugin"] == "fallback"
    offered = first["offered"]  # name -> "version code-hash"
    assert "instagram_dm" not in offered
    version, code = offered["fallback"].split()
    assert len(code) == 16 and int(code, 16) >= 0  # a single-file plugin: its code's hash
    return case, sha


def _add_plugin(case: Path, text: str) -> Path:
    r = ok(run_intake("plugins", "new", "instagram_dm", "--dir", case / "plugins.local",
                      "--case", case))
    assert 'added "plugins.local" to [plugins] folders' in r.stdout
    assert 'folders = ["plugins.local"]' in (case / "config" / "intake.toml").read_text()
    plugin = case / "plugins.local" / "instagram_dm.py"
    plugin.write_text(text, encoding="utf-8")
    return plugin


def _message_entry(doc: dict) -> dict:
    messages = [e for e in doc["entries"] if e["kind"] == "message"]
    assert len(messages) == 1, [e["kind"] for e in doc["entries"]]
    return messages[0]


def _extracted(case: Path, sha: str, rep: str = "a") -> list[dict]:
    return [r for r in custody_records(replica(case, rep))
            if r.get("event") == "extracted" and r.get("sha256") == sha]


def test_a_plugin_added_later_reads_the_stored_export_at_the_next_ingest(tmp_path: Path) -> None:
    case, sha = _stored_with_fallback(tmp_path)
    _add_plugin(case, PLUGIN)

    listed = ok(run_intake("plugins", "--case", case)).stdout
    assert ("1 bewaard stuk wacht om opnieuw gelezen te worden door nieuwe of gewijzigde "
            "plugins (instagram_dm)") in listed  # the case is Dutch

    r = ok(run_intake("ingest", "--case", case, timeout=180))
    assert "1 bewaard stuk wordt opnieuw gelezen voor nieuwe of gewijzigde plugins" in \
        r.stdout + r.stderr

    doc = chronology_doc(case, tmp_path / "out")
    entry = _message_entry(doc)
    assert entry["instant"] == "2024-03-01T20:15:00Z"  # the plugin's time, not the file's
    assert entry["who"] == "Kevin"
    source = entry["sources"][0]
    assert (source["plugin"], source["plugin_version"]) == ("instagram_dm", "0.1.1")
    assert [e["plugin"] for e in source["earlier"]] == ["fallback"]
    assert source["read_at"].endswith("Z")
    assert source["earlier"][0]["read_at"] < source["read_at"]  # when each reading was made
    assert not [e for e in doc["entries"] + doc["undated"] if e["kind"] == "file"]

    # never overwritten: both readings in every replica, both in the custody log
    for rep in ("a", "b"):
        folder = meta_dir(replica(case, rep), sha)
        assert json.loads((folder / "extraction.json").read_bytes())["plugin"] == "fallback"
        again = json.loads((folder / "extractions" / "0002.json").read_bytes())
        assert again["plugin"] == "instagram_dm"
        assert again["offered"]["instagram_dm"].startswith("0.1.1 ")
        lines = _extracted(case, sha, rep)
        assert [line["plugin"] for line in lines] == ["fallback", "instagram_dm"]
        assert lines[1]["record"] == 2 and "instagram_dm" in lines[1]["reason"]
        assert lines[1]["earlier"] == [f"{sha[:2]}/{sha}/extraction.json"]

    # the reader sees both readings, in the case's language (Dutch by default)
    ok(run_intake("chronology", "--case", case, "--out", tmp_path / "html", "--format", "html"))
    html = (tmp_path / "html" / "chronology.html").read_text(encoding="utf-8")
    assert "gelezen door instagram_dm 0.1.1 op " in html
    assert "eerder gelezen door fallback" in html

    # read once: the next start finds nothing to read again
    assert "wacht" not in ok(run_intake("plugins", "--case", case)).stdout
    ok(run_intake("ingest", "--case", case, "--in-process"))
    assert len(_extracted(case, sha)) == 2

    ok(run_intake("verify", "--case", case, timeout=180))
    ok(run_intake("verify", "--case", case, "--chronology", tmp_path / "out" / "chronology.json",
                  timeout=180))
    # verify checks both readings: an altered old record is found as well as a new one
    flip_byte(meta_dir(replica(case, "b"), sha) / "extraction.json")
    flip_byte(meta_dir(replica(case, "a"), sha) / "extractions" / "0002.json")
    bad = run_intake("verify", "--case", case, timeout=180)
    assert bad.returncode != 0
    said = bad.stdout + bad.stderr
    assert f"replica b: metagegevensbestand meta/{sha[:2]}/{sha}/extraction.json is gewijzigd" in said
    assert f"replica a: metagegevensbestand meta/{sha[:2]}/{sha}/extractions/0002.json is gewijzigd" \
        in said


def test_intake_extract_plugin_reads_the_items_a_new_plugin_may_read(tmp_path: Path) -> None:
    case, sha = _stored_with_fallback(tmp_path)
    _add_plugin(case, PLUGIN)
    r = ok(run_intake("extract", "--case", case, "--plugin", "instagram_dm", "--json",
                      timeout=180))
    answer = json.loads(r.stdout)
    assert answer["read_again"] == 1
    assert answer["items"][0] | {} == {"sha256": sha, "name": "message_1.json",
                                       "plugin": "instagram_dm", "version": "0.1.1",
                                       "records": 2}
    entry = _message_entry(chronology_doc(case, tmp_path / "out"))
    assert entry["instant"] == "2024-03-01T20:15:00Z"
    assert entry["sources"][0]["earlier"][0]["plugin"] == "fallback"
    unknown = run_intake("extract", "--case", case, "--plugin", "nosuch")
    assert unknown.returncode != 0 and "no loaded plugin 'nosuch'" in unknown.stderr
    # the people's answer, in the case's language: the item, who read it, how many readings
    again = ok(run_intake("extract", "--case", case, "--plugin", "instagram_dm", timeout=180))
    assert "1 stuk opnieuw gelezen; eerdere lezingen blijven naast de nieuwe bewaard." \
        in again.stdout
    assert f"{sha[:12]}… message_1.json: gelezen door instagram_dm 0.1.1 (3 lezingen)" \
        in again.stdout
    ok(run_intake("verify", "--case", case, timeout=180))


def test_a_failed_plugin_fixed_under_the_same_version_reads_the_item_again(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    plugin = _add_plugin(case, BROKEN)
    drop(case, "message_1.json", EXPORT)
    ingest(case)
    sha = sha256(EXPORT)
    first = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    assert first["plugin"] == "fallback"
    assert any(w.startswith("plugin instagram_dm failed: KeyError") for w in first["warnings"])

    plugin.write_text(PLUGIN, encoding="utf-8")  # fixed; the author forgot the version
    assert "1 bewaard stuk wacht" in ok(run_intake("plugins", "--case", case)).stdout
    ingest(case)

    entry = _message_entry(chronology_doc(case, tmp_path / "out"))
    assert entry["instant"] == "2024-03-01T20:15:00Z"
    assert entry["sources"][0]["plugin"] == "instagram_dm"
    exhibit = next(x for x in chronology_doc(case, tmp_path / "out2")["exhibits"]
                   if x["sha256"] == sha)
    assert not [w for w in exhibit["warnings"] if "failed" in w]  # the newest reading counts
    for rep in ("a", "b"):  # the failed reading is kept
        folder = meta_dir(replica(case, rep), sha)
        assert json.loads((folder / "extraction.json").read_bytes())["warnings"] == \
            first["warnings"]
        assert (folder / "extractions" / "0002.json").is_file()
    ok(run_intake("verify", "--case", case, timeout=180))


def test_intake_watch_reads_again_at_start_in_the_background(tmp_path: Path) -> None:
    case, sha = _stored_with_fallback(tmp_path)
    _add_plugin(case, PLUGIN)
    log = tmp_path / "watch.log"
    env = {k: v for k, v in os.environ.items() if k != "INTAKE_LOAD_PLUGINS"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(INTAKE), "watch", "--rescan", "1"], cwd=case, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        chronology = case / "chronology" / "chronology.json"
        wait_for(lambda: chronology.is_file() and b"instagram_dm" in chronology.read_bytes(),
                 timeout=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    said = log.read_text(encoding="utf-8")
    assert "1 bewaard stuk wordt opnieuw gelezen voor nieuwe of gewijzigde plugins" in said
    assert "opnieuw gelezen: 1 van 1 stuk" in said and "1 stukken" not in said
    entry = _message_entry(json.loads(chronology.read_bytes()))
    assert entry["instant"] == "2024-03-01T20:15:00Z"
    assert [line["plugin"] for line in _extracted(case, sha)] == ["fallback", "instagram_dm"]


def test_which_items_a_new_or_changed_plugin_waits_for() -> None:
    from intake.extraction_records import waits

    fallback = {"plugin": "fallback", "version": "1", "code": "f", "mime_types": []}
    dm = {"plugin": "dm", "version": "0.1", "code": "a", "mime_types": []}
    pics = {"plugin": "pics", "version": "2", "code": "p", "mime_types": ["image/*"]}
    offered = {p["plugin"]: f"{p['version']} {p['code']}" for p in (fallback, dm, pics)}
    read_by = {name: {"plugin": name, "failed": [], "offered": offered}
               for name in ("fallback", "dm", "pics", "other")}
    now = [fallback, dm, pics]
    assert waits(read_by["fallback"], "application/json", now) == []  # nothing changed
    fixed = [fallback, {**dm, "code": "b"}, pics]  # same version, other code
    assert waits(read_by["fallback"], "application/json", fixed) == ["dm"]
    assert waits(read_by["dm"], "application/json", fixed) == ["dm"]  # what it read itself
    assert waits(read_by["other"], "application/json", fixed) == []  # read well by another
    failed = {**read_by["other"], "failed": ["x"]}
    assert waits(failed, "application/json", fixed) == ["dm"]
    new_pics = [fallback, dm, {**pics, "version": "3"}]
    assert waits(read_by["other"], "image/jpeg", new_pics) == ["pics"]  # its declared type
    assert waits(read_by["fallback"], "application/json", new_pics) == []  # not its type
    legacy = {"plugin": "fallback", "failed": [], "offered": {}}  # read before issue 17
    assert waits(legacy, "text/plain", now) == ["fallback", "dm"]
    assert waits({**legacy, "plugin": "other"}, "text/plain", now) == []
    assert waits({**legacy, "plugin": "dm"}, "text/plain", now) == []  # not every item again

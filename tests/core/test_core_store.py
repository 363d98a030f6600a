"""The redundant store and the custody log, after a real `intake ingest`."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from tests.helpers import (
    custody_lines,
    custody_records,
    drop,
    inbox_top,
    ingest,
    ingested,
    make_jpeg,
    meta_dir,
    object_path,
    ok,
    receipts,
    replica,
    run_intake,
    sha256,
    status,
    stored_objects,
    temp_parts,
    verify,
)

FILES = {
    "screenshot of messages.txt": b"you can't hide from me\n",
    "photos/car door.jpg": make_jpeg(color=(10, 120, 200)),
    "photos/2024/march/letter.txt": b"Dear ...\n" * 500,
    "deep/a/b/c/d/e/f/note.md": b"# logbook\n\n- 2024-03-01 he waited outside\n",
}


def test_every_file_is_in_both_replicas_read_only_with_metadata(case: Path) -> None:
    for rel, data in FILES.items():
        drop(case, rel, data)
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": len(FILES)}

    for rel, data in FILES.items():
        sha = sha256(data)
        for name in ("a", "b"):
            rep = replica(case, name)
            obj = object_path(rep, sha)
            assert obj.is_file(), (name, rel)
            assert obj.parent.name == sha[:2]
            assert sha256(obj) == sha
            assert obj.read_bytes() == data
            mode = stat.S_IMODE(obj.stat().st_mode)
            assert mode in (0o400, 0o444), oct(mode)
            assert mode & 0o222 == 0
            item = json.loads((meta_dir(rep, sha) / "item.json").read_bytes())
            assert item["sha256"] == sha
            assert item["sha512"] == hashlib.sha512(data).hexdigest()
            assert item["md5"] == hashlib.md5(data).hexdigest()
            assert item["size"] == len(data)
            (receipt,) = receipts(rep, sha)
            assert receipt["source"] == f"inbox/{rel}"
            assert receipt["name"] == Path(rel).name
            assert receipt["size"] == len(data)
            assert receipt["sha256"] == sha
            assert receipt["received_at"].endswith("Z")
            assert set(receipt["fs_times"]) >= {"mtime", "ctime", "atime"}
            extraction = json.loads((meta_dir(rep, sha) / "extraction.json").read_bytes())
            assert extraction["plugin"] and extraction["version"] == "0.1.0"
        # metadata identical in both replicas
        for sub in ("item.json", "extraction.json"):
            assert (meta_dir(replica(case, "a"), sha) / sub).read_bytes() == \
                (meta_dir(replica(case, "b"), sha) / sub).read_bytes()

    assert set(stored_objects(replica(case, "a"))) == {sha256(d) for d in FILES.values()}
    assert set(stored_objects(replica(case, "b"))) == {sha256(d) for d in FILES.values()}
    # originals moved to inbox/ingested/ with their sub-folders; nothing else on top
    assert ingested(case) == sorted(FILES)
    for rel, data in FILES.items():
        assert (case / "inbox" / "ingested" / rel).read_bytes() == data
    assert inbox_top(case) == ["ingested"]
    assert temp_parts(case) == []
    ok(verify(case))


def test_ingest_path_from_outside_leaves_files_in_place(case: Path, tmp_path: Path) -> None:
    outside = tmp_path / "usb export"
    (outside / "sub").mkdir(parents=True)
    (outside / "one.txt").write_bytes(b"one\n")
    (outside / "sub" / "two.txt").write_bytes(b"two\n")
    (outside / "sub" / "x.crdownload").write_bytes(b"half a download")
    single = tmp_path / "single.txt"
    single.write_bytes(b"single\n")

    answer = ingest(case, outside, single)
    assert answer["files"] == 3
    assert answer["outcomes"] == {"stored": 3}
    sources = sorted(r["source"] for r in answer["results"])
    assert sources == sorted([str(outside / "one.txt"), str(outside / "sub" / "two.txt"),
                              str(single)])
    # left where they are
    assert (outside / "one.txt").read_bytes() == b"one\n"
    assert (outside / "sub" / "two.txt").read_bytes() == b"two\n"
    assert (outside / "sub" / "x.crdownload").is_file()
    assert single.read_bytes() == b"single\n"
    for data in (b"one\n", b"two\n", b"single\n"):
        for name in ("a", "b"):
            assert sha256(object_path(replica(case, name), sha256(data))) == sha256(data)
    s = status(case)
    assert s["counts"]["items"] == 3 and s["counts"]["receipts"] == 3
    assert s["originals_still_in_inbox"] == []  # files from elsewhere do not wait
    assert sha256(b"half a download") not in stored_objects(replica(case, "a"))
    assert inbox_top(case) == []


def test_custody_log_chain_steps_and_replicas(case: Path) -> None:
    jpeg = make_jpeg(exif_time="2024:03:01 21:15:00")
    drop(case, "sub/photo.jpg", jpeg)
    drop(case, "note.txt", b"he called 5 times\n")
    ingest(case)
    sha_photo, sha_note = sha256(jpeg), sha256(b"he called 5 times\n")

    lines_a = custody_lines(replica(case, "a"))
    lines_b = custody_lines(replica(case, "b"))
    assert lines_a == lines_b  # identical in both replicas
    segs_a = sorted(p.name for p in (replica(case, "a") / "custody").glob("*.jsonl"))
    segs_b = sorted(p.name for p in (replica(case, "b") / "custody").glob("*.jsonl"))
    assert segs_a == segs_b and segs_a[0] == "0000000001.jsonl"

    prev = "0" * 64
    for n, line in enumerate(lines_a, 1):
        record = json.loads(line)
        assert record["prev"] == prev, n
        assert record["seq"] == n
        prev = hashlib.sha256(line).hexdigest()

    records = custody_records(replica(case, "a"))
    for sha, name, plugin in ((sha_photo, "photo.jpg", "photos"),
                              (sha_note, "note.txt", None)):
        mine = [r for r in records if r.get("sha256") == sha]
        events = [r["event"] for r in mine]
        assert events.count("received") == 1
        received = next(r for r in mine if r["event"] == "received")
        assert received["name"] == name
        assert sorted(r["replica"] for r in mine if r["event"] == "stored") == ["a", "b"]
        (extracted,) = [r for r in mine if r["event"] == "extracted"]
        extraction = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json")
                                .read_bytes())
        assert extracted["plugin"] == extraction["plugin"]
        assert extracted["version"] == extraction["version"] == "0.1.0"
        if plugin:
            assert extracted["plugin"] == plugin
        (settled,) = [r for r in mine if r["event"] == "settled"]
        assert settled["receipt"] == received["receipt"]
        assert settled["moved_to"].startswith("inbox/ingested/")
        # the steps come in order
        assert events.index("stored") < events.index("extracted")
        assert events.index("received") < events.index("extracted") < events.index("settled")
        # the custody log records the hash of each metadata file as written
        meta = {k: v for r in mine for k, v in (r.get("meta") or {}).items()}
        for rel, digest in meta.items():
            assert sha256(replica(case, "b") / "meta" / rel) == digest


def test_edited_custody_line_is_named_and_repaired(case: Path) -> None:
    drop(case, "a.txt", b"aaa\n")
    drop(case, "b.txt", b"bbb\n")
    ingest(case)
    seg = sorted((replica(case, "a") / "custody").glob("*.jsonl"))[-1]
    lines = custody_lines(replica(case, "a"))
    first_in_seg = int(seg.name.split(".")[0])
    seg_lines = seg.read_bytes().splitlines()
    k_in_seg = next(i for i, line in enumerate(seg_lines)
                    if json.loads(line)["event"] == "received")
    k = first_in_seg + k_in_seg  # 1-based line number over the whole log
    assert b'"name": "a.txt"' in seg_lines[k_in_seg] or b'"name": "b.txt"' in seg_lines[k_in_seg]
    edited = seg_lines[k_in_seg].replace(b'.txt"', b'.TXT"', 1)
    assert edited != seg_lines[k_in_seg]
    os.chmod(seg, 0o600)
    seg.write_bytes(b"\n".join(seg_lines[:k_in_seg] + [edited] + seg_lines[k_in_seg + 1:]) + b"\n")
    assert len(custody_lines(replica(case, "a"))) == len(lines)

    proc = verify(case)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    problems = [line for line in proc.stdout.splitlines() if line.startswith("PROBLEEM")]
    assert problems == [f"PROBLEEM: replica a: bewaringslogboek: {seg.name}: regel {k + 1} "
                        f"sluit niet aan op regel {k} (een regel werd gewijzigd, verwijderd of "
                        "ingevoegd)"]

    rep = ok(run_intake("repair", "--case", case))
    assert "replica a: bewaringslogboek hersteld uit de gezonde kopieën" in rep.stdout
    ok(verify(case))
    assert custody_lines(replica(case, "a")) == custody_lines(replica(case, "b"))
    kept = list((replica(case, "a") / "damaged").iterdir())
    assert len(kept) == 1 and edited in kept[0].read_bytes()  # set aside, not deleted


def test_edited_last_custody_line_is_blamed_on_the_right_replica(case: Path) -> None:
    """The last line links to nothing after it: the edit must still be found, in replica a."""
    drop(case, "a.txt", b"aaa\n")
    ingest(case)
    ok(verify(case))  # ends the log with a "verified" line
    seg = sorted((replica(case, "a") / "custody").glob("*.jsonl"))[-1]
    good = seg.read_bytes()
    lines = good.splitlines()
    n = len(custody_lines(replica(case, "a")))
    assert json.loads(lines[-1])["event"] == "verified"
    forged = lines[-1].replace(b'"problems": 0', b'"problems": 7')
    assert forged != lines[-1]
    os.chmod(seg, 0o600)
    seg.write_bytes(b"\n".join(lines[:-1] + [forged]) + b"\n")

    proc = verify(case)
    assert proc.returncode == 5
    problems = [line for line in proc.stdout.splitlines() if line.startswith("PROBLEEM")]
    assert problems == [f"PROBLEEM: replica a: het bewaringslogboek verschilt vanaf regel {n} "
                        "van dat van de andere replica's"]
    ok(run_intake("repair", "--case", case))
    ok(verify(case))
    assert custody_lines(replica(case, "a")) == custody_lines(replica(case, "b"))
    assert forged not in b"".join(custody_lines(replica(case, "b")))
    assert lines[-1] in custody_lines(replica(case, "a"))  # the true line is back


def test_a_writer_open_takes_over_checked_chains_only_while_no_segment_changed(
        case: Path, monkeypatch) -> None:
    """`intake verify` writes its "verified" line through a second open that reuses the
    chains it has just checked (issue 19, point 6); a segment edited in between, even to
    the same size, is read and checked again, and the edit is seen."""
    from intake import custody
    from intake.case import Case

    drop(case, "a.txt", b"aaa\n")
    ingest(case)
    read_only = Case.open(case, write=False)
    read_only.close()
    calls: list[str] = []
    real = custody.check_chain
    monkeypatch.setattr(custody, "check_chain",
                        lambda where, mark=0: calls.append(str(where)) or real(where, mark))
    with Case.open(case, pm=read_only.pm, checked=read_only.log) as again:
        assert calls == []  # nothing changed: both chains taken over, not read again
        assert again.log.damaged == {} and again.log.seq == read_only.log.seq
        again.log.event("verified", items=1, problems=0)  # this writes: a segment changes
    seg = next(p for p in sorted((replica(case, "b") / "custody").glob("*.jsonl"))
               if b'"a.txt"' in p.read_bytes())
    read_only = Case.open(case, write=False)
    read_only.close()
    data = seg.read_bytes()
    forged = data.replace(b'"a.txt"', b'"b.txt"', 1)
    assert forged != data and len(forged) == len(data)
    os.chmod(seg, 0o600)
    seg.write_bytes(forged)
    calls.clear()
    with Case.open(case, pm=read_only.pm, checked=read_only.log) as writer:
        assert str(seg.parent) in calls and len(calls) == 1  # only b's chain read again
        assert "does not link" in writer.log.damaged[writer.replica("b")]


def test_a_folder_removed_between_two_writes_is_made_again(tmp_path: Path) -> None:
    """The replica remembers the folders it made (no mkdir per file); one removed
    meanwhile is made again, and a replica whose own folder is gone (a USB stick
    pulled out) is never made again on the computer's disk."""
    import shutil

    from intake.store import FolderReplica

    rep = FolderReplica("a", tmp_path / "stick" / "a")
    rep.open("case-1", create=True)
    rep.write_meta("ab/abcd/item.json", b'{"n": 1}\n')
    shutil.rmtree(tmp_path / "stick" / "a" / "meta" / "ab")
    rep.write_meta("ab/abcd/item.json", b'{"n": 2}\n')
    assert rep.read_meta("ab/abcd/item.json") == b'{"n": 2}\n'
    # a phone backup's record, in pieces from its temporary file, the same way
    import tempfile

    from intake.event_stream import RecordBytes

    shutil.rmtree(tmp_path / "stick" / "a" / "meta" / "ab")
    spool = tempfile.TemporaryFile()
    spool.write(b'  {"n": 3},\n' * 5000)
    rep.write_meta("ab/abcd/extraction.json", RecordBytes(b'{\n  "events": [\n', spool, b"  ]\n}\n"))
    assert rep.read_meta("ab/abcd/extraction.json") == \
        b'{\n  "events": [\n' + b'  {"n": 3},\n' * 5000 + b"  ]\n}\n"
    shutil.rmtree(tmp_path / "stick" / "a" / "tmp")
    path, f = rep.temp_file()
    f.close()
    assert path.parent == tmp_path / "stick" / "a" / "tmp" and path.exists()

    shutil.rmtree(tmp_path / "stick")
    try:
        rep.write_meta("ab/abcd/item.json", b'{"n": 3}\n')
    except OSError as exc:
        assert exc.errno == 2  # ENOENT: the replica's folder disappeared
    else:
        raise AssertionError("a write into a replica that is gone succeeded")
    assert not (tmp_path / "stick").exists()

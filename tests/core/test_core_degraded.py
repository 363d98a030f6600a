"""Degraded mode: a replica that is unplugged, comes back, or is full."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    add_config,
    drop,
    inbox_top,
    ingest,
    ingested,
    object_path,
    ok,
    replica,
    set_config,
    sha256,
    status,
    stored_objects,
    temp_parts,
    verify,
    wait_for,
    watching,
)

FILES = {"one.txt": b"one\n", "sub/two.txt": b"two\n", "sub/three.jpg": b"\xff\xd8\xff" + b"3" * 99}


def usb_replica(case: Path, tmp_path: Path) -> Path:
    usb = tmp_path / "media" / "usb-stick" / "intake-store"  # absolute, outside the case
    assert not usb.parent.exists()
    add_config(case, f'[[replicas]]\nname = "usb"\npath = "{usb}"\n')
    return usb


def test_unplugged_replica_then_catch_up(case: Path, tmp_path: Path) -> None:
    usb = usb_replica(case, tmp_path)
    for rel, data in FILES.items():
        drop(case, rel, data)
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": 3}  # min_copies = 2 is met by a and b
    assert ingested(case) == sorted(FILES) and inbox_top(case) == ["ingested"]
    assert not usb.exists()  # the mount point is never made by intake

    s = status(case)
    usb_state = next(r for r in s["replicas"] if r["name"] == "usb")
    assert usb_state == {"name": "usb", "path": str(usb), "available": False,
                         "reason": "its folder is not there (unplugged or not mounted?)"}
    waiting = {w["sha256"]: w for w in s["waiting_for_copies"]}
    assert set(waiting) == {sha256(d) for d in FILES.values()}
    for w in waiting.values():
        assert w["copies"] == ["a", "b"] and w["missing_in"] == ["usb"] and w["needed"] == 2
    assert s["originals_still_in_inbox"] == []
    proc = verify(case)  # the absent replica is reported, the present ones are fine
    assert proc.returncode == 0, proc.stdout
    assert "replica usb: niet beschikbaar: de map is er niet (losgekoppeld of niet " \
        "aangekoppeld?)" in proc.stdout  # the default case speaks Dutch

    usb.mkdir(parents=True)  # plugged in
    answer = ingest(case)
    assert answer["files"] == 0
    for data in FILES.values():
        assert sha256(object_path(usb, sha256(data))) == sha256(data)
    assert set(stored_objects(usb)) == {sha256(d) for d in FILES.values()}
    s = status(case)
    assert s["waiting_for_copies"] == []
    assert next(r for r in s["replicas"] if r["name"] == "usb")["items"] == 3
    ok(verify(case))
    # its custody log caught up too
    logs = {n: b"".join(p.read_bytes() for p in sorted((root / "custody").glob("*.jsonl")))
            for n, root in (("a", replica(case, "a")), ("usb", usb))}
    assert logs["a"] == logs["usb"]


def test_min_copies_three_keeps_originals_until_the_replica_is_back(case: Path,
                                                                     tmp_path: Path) -> None:
    usb = usb_replica(case, tmp_path)
    set_config(case, "min_copies = 2 ", "min_copies = 3 ")
    for rel, data in FILES.items():
        drop(case, rel, data)
    answer = ingest(case)
    assert answer["outcomes"] == {"waiting": 3}
    for r in answer["results"]:
        assert r["reason"].startswith("2 of 3 copies made; the file stays in the inbox")
    assert ingested(case) == []
    for rel, data in FILES.items():
        assert (case / "inbox" / rel).read_bytes() == data
    s = status(case)
    assert s["originals_still_in_inbox"] == sorted(f"inbox/{rel}" for rel in FILES)
    assert len(s["waiting_for_copies"]) == 3
    assert {p["source"]: p["reason"] for p in s["files_not_taken"]} == {
        f"inbox/{rel}": "2 of 3 copies made; the file stays in the inbox until the other "
                        "replicas are available (replica usb: its folder is not there (unplugged "
                        "or not mounted?))" for rel in FILES}

    # running again without the replica changes nothing and loses nothing
    assert ingest(case)["outcomes"] == {"waiting": 3}
    assert status(case)["counts"]["receipts"] == 3

    usb.mkdir(parents=True)
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": 3}
    assert ingested(case) == sorted(FILES) and inbox_top(case) == ["ingested"]
    s = status(case)
    assert s["originals_still_in_inbox"] == [] and s["waiting_for_copies"] == []
    assert s["files_not_taken"] == []
    assert s["counts"]["receipts"] == 3  # the same drops, not received twice
    ok(verify(case))


def test_watcher_rescan_catches_up_a_replica_plugged_in(case: Path, tmp_path: Path) -> None:
    usb = usb_replica(case, tmp_path)
    set_config(case, "min_copies = 2 ", "min_copies = 3 ")
    drop(case, "waiting.txt", b"waits for the stick\n")
    with watching(case, rescan=0.5):
        wait_for(lambda: (replica(case, "b") / "objects").is_dir()
                 and stored_objects(replica(case, "b")), 20, what="first copies")
        assert (case / "inbox" / "waiting.txt").is_file()
        usb.mkdir(parents=True)
        wait_for(lambda: ingested(case) == ["waiting.txt"], 20, what="settled after plug-in")
    assert sha256(object_path(usb, sha256(b"waits for the stick\n"))) == \
        sha256(b"waits for the stick\n")
    ok(verify(case))


def _mount_tmpfs(target: Path, size: str) -> bool:
    if not shutil.which("mount") or os.geteuid() != 0:
        return False
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True, text=True)
    return proc.returncode == 0


@pytest.fixture
def full_case(tmp_path: Path) -> Iterator[Path]:
    """A case whose replica b is a 256 KiB tmpfs (skipped where mount is not permitted)."""
    from tests.helpers import new_case

    case_dir = tmp_path / "case"
    mountpoint = case_dir / "store" / "b"
    mountpoint.mkdir(parents=True)
    if not _mount_tmpfs(mountpoint, "256k"):
        pytest.skip("mounting a small tmpfs is not permitted here (needs root)")
    try:
        yield new_case(case_dir)
    finally:
        proc = subprocess.run(["umount", str(mountpoint)], capture_output=True)
        if proc.returncode != 0:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)


def test_full_replica_keeps_the_big_file_in_the_inbox(full_case: Path) -> None:
    case = full_case
    big = os.urandom(1 << 20)
    small = {f"small{i}.txt": f"small {i}\n".encode() for i in range(3)}
    drop(case, "big.bin", big)
    for rel, data in small.items():
        drop(case, rel, data)
    answer = ingest(case)
    outcomes = {r["source"]: r["outcome"] for r in answer["results"]}
    assert outcomes == {"inbox/big.bin": "waiting", **{f"inbox/{r}": "settled" for r in small}}
    # nothing lost: the original stays, replica a holds a verified copy
    assert (case / "inbox" / "big.bin").read_bytes() == big
    assert sha256(object_path(replica(case, "a"), sha256(big))) == sha256(big)
    assert not object_path(replica(case, "b"), sha256(big)).exists()
    assert temp_parts(case) == []
    assert ingested(case) == sorted(small)
    for data in small.values():
        for name in ("a", "b"):
            assert sha256(object_path(replica(case, name), sha256(data))) == sha256(data)

    s = status(case)
    assert s["originals_still_in_inbox"] == ["inbox/big.bin"]
    (w,) = s["waiting_for_copies"]
    assert w["sha256"] == sha256(big) and w["missing_in"] == ["b"]
    assert [(p["source"], p["reason"]) for p in s["files_not_taken"]] == [
        ("inbox/big.bin", "1 of 2 copies made; the file stays in the inbox until the other "
                          "replicas are available (replica b: the replica is full)")]

    # trying again loses nothing and still says why
    answer = ingest(case)
    assert [r["outcome"] for r in answer["results"]] == ["waiting"]
    assert (case / "inbox" / "big.bin").read_bytes() == big

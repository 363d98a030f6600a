"""Bad and odd input: empty files, strange names, lying extensions, duplicates, files
that change while copied, links, pipes, unreadable files, and many files at once."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from tests.helpers import (
    EMPTY_SHA256,
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
    wait_for,
    watching,
)


def test_empty_file_is_stored_with_a_warning(case: Path) -> None:
    drop(case, "empty.txt", b"")
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": 1}
    assert answer["results"][0]["sha256"] == EMPTY_SHA256
    for name in ("a", "b"):
        obj = object_path(replica(case, name), EMPTY_SHA256)
        assert obj.is_file() and obj.stat().st_size == 0
        item = json.loads((meta_dir(replica(case, name), EMPTY_SHA256) / "item.json").read_bytes())
        assert item["size"] == 0 and item["mime"] == "application/x-empty"
    s = status(case)
    assert s["items_with_warnings"] == [{"sha256": EMPTY_SHA256, "names": ["empty.txt"],
                                         "warnings": ["the file is empty (0 bytes)"]}]
    text = ok(run_intake("status", "--case", case)).stdout
    assert "empty.txt: het bestand is leeg (0 bytes)" in text  # the case speaks Dutch
    assert ingested(case) == ["empty.txt"]


NAMES = [
    unicodedata.normalize("NFC", "café menu.txt"),
    unicodedata.normalize("NFD", "café menu.txt"),
    "📸 screenshot 😡.txt",
    "Сообщение от него.txt",
    "رسالة تهديد.txt",
    "שלום עולם.txt",
    "x" * 246 + ".txt",  # 250 bytes
    "é" * 123 + ".txt",  # 250 bytes in UTF-8
]


def test_unicode_and_long_names(case: Path) -> None:
    assert NAMES[0] != NAMES[1]
    assert len(NAMES[6].encode()) == 250 and len(NAMES[7].encode()) == 250
    contents = {name: f"content {n}\n".encode() for n, name in enumerate(NAMES)}
    for name, data in contents.items():
        drop(case, name, data)
    drop(case, "ünïcödé folder/日本語.txt", b"nested\n")
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": len(NAMES) + 1}
    assert inbox_top(case) == ["ingested"]
    got = set(ingested(case))
    assert got == set(NAMES) | {"ünïcödé folder/日本語.txt"}
    for name, data in contents.items():
        sha = sha256(data)
        (receipt,) = receipts(replica(case, "a"), sha)
        assert receipt["name"] == name  # byte-exact: NFC and NFD stay apart
        assert receipt["source"] == f"inbox/{name}"
        assert (case / "inbox" / "ingested" / name).read_bytes() == data
        assert sha256(object_path(replica(case, "b"), sha)) == sha
    s = status(case)
    assert s["counts"]["items"] == len(NAMES) + 1 and s["counts"]["receipts"] == len(NAMES) + 1
    ok(verify(case))


def test_misleading_extension_content_decides(case: Path) -> None:
    jpeg = make_jpeg(width=320, height=240, exif_time="2024:03:01 21:15:00")
    drop(case, "letter.pdf", jpeg)
    ingest(case)
    sha = sha256(jpeg)
    item = json.loads((meta_dir(replica(case, "a"), sha) / "item.json").read_bytes())
    assert item["mime"] == "image/jpeg"
    extraction = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    assert extraction["kind"] == "photo"
    assert extraction["plugin"] == "photos"
    assert [e["kind"] for e in extraction["events"]] == ["photo"]


def test_same_bytes_twice_is_one_item_with_two_receipts(case: Path) -> None:
    data = b"the same screenshot, saved twice\n"
    drop(case, "first.txt", data)
    drop(case, "later/copy of first.txt", data)
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": 2}
    assert {r["sha256"] for r in answer["results"]} == {sha256(data)}
    s = status(case)
    assert s["counts"]["items"] == 1
    assert s["counts"]["receipts"] == 2
    for name in ("a", "b"):
        assert list(stored_objects(replica(case, name))) == [sha256(data)]
        got = sorted((r["name"], r["source"]) for r in receipts(replica(case, name), sha256(data)))
        assert got == [("copy of first.txt", "inbox/later/copy of first.txt"),
                       ("first.txt", "inbox/first.txt")]
    # dropped again, with the same name, after the first one settled: a third receipt
    drop(case, "first.txt", data)
    ingest(case)
    assert status(case)["counts"]["receipts"] == 3
    assert ingested(case) == ["first (2).txt", "first.txt", "later/copy of first.txt"]


def test_file_changing_while_copied_is_not_stored_until_stable(case: Path) -> None:
    from intake.case import Case
    from intake.ingest import Pipeline, Task

    path = drop(case, "growing.txt", b"first part\n")
    with Case.open(case) as c, Pipeline(c, sandbox=False) as pipeline:
        task = Task(path=path, source="inbox/growing.txt", from_inbox=True, name="growing.txt")
        pipeline.receive(task)
        with open(path, "ab") as f:  # the victim's program is still writing
            f.write(b"second part\n")
        pipeline.store(task)
        assert task.outcome == "changed"
        assert task.reason == ("the file changed while it was being copied; it will be taken "
                               "when it is stable")
        assert task.sha256 == ""
        assert stored_objects(replica(case, "a")) == {}
        assert stored_objects(replica(case, "b")) == {}
        assert temp_parts(case) == []
        assert path.read_bytes() == b"first part\nsecond part\n"
        assert c.index.counts()["items"] == 0 and c.index.counts()["receipts"] == 0

        later = pipeline.process(path, from_inbox=True)
        assert later.outcome == "settled"
        assert later.sha256 == sha256(b"first part\nsecond part\n")
    assert ingested(case) == ["growing.txt"]
    assert status(case)["counts"]["receipts"] == 1


def test_links_and_pipes_are_not_followed_and_do_not_hang(case: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"outside the inbox\n")
    inbox = case / "inbox"
    real = drop(case, "real.txt", b"real file\n")
    (inbox / "link-out.txt").symlink_to(outside)
    (inbox / "link-in.txt").symlink_to(real)
    (inbox / "link-dir").symlink_to(tmp_path)
    os.mkfifo(inbox / "pipe")
    # a link outside the inbox pointing into it, given on the command line
    link_into = tmp_path / "into-inbox.txt"
    link_into.symlink_to(real)

    answer = ingest(case, timeout=60)
    outcomes = {r["source"]: r["outcome"] for r in answer["results"]}
    assert outcomes == {"inbox/real.txt": "settled", "inbox/link-out.txt": "refused",
                        "inbox/link-in.txt": "refused", "inbox/link-dir": "refused",
                        "inbox/pipe": "refused"}
    answer = ingest(case, link_into, timeout=60)
    assert [r["outcome"] for r in answer["results"]] == ["refused"]

    # left in place, untouched
    assert os.readlink(inbox / "link-out.txt") == str(outside)
    assert os.readlink(inbox / "link-in.txt") == str(real)
    assert (inbox / "pipe").is_fifo()
    assert outside.read_bytes() == b"outside the inbox\n"
    assert sha256(b"outside the inbox\n") not in stored_objects(replica(case, "a"))
    assert list(stored_objects(replica(case, "a"))) == [sha256(b"real file\n")]

    s = status(case)
    reasons = {p["source"]: p["reason"] for p in s["files_not_taken"]}
    link_reason = ("this is a shortcut (symbolic link) to another file; shortcuts are not "
                   "followed: drop the file itself")
    assert reasons == {
        "inbox/link-out.txt": link_reason, "inbox/link-in.txt": link_reason,
        "inbox/link-dir": link_reason, str(link_into): link_reason,
        "inbox/pipe": "this is a pipe or socket, not a file; there is nothing to store"}
    assert s["counts"]["files_not_taken"] == 5

    # the watcher neither hangs nor crashes on them, and goes on taking files
    with watching(case) as w:
        drop(case, "after.txt", b"dropped while watching\n")
        wait_for(lambda: "after.txt" in ingested(case), 20, what="after.txt taken")
        assert w.alive
    assert (inbox / "pipe").is_fifo() and (inbox / "link-out.txt").is_symlink()
    assert sorted(inbox_top(case)) == sorted(["ingested", "link-dir", "link-in.txt",
                                               "link-out.txt", "pipe"])


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root: permission bits do not stop "
                                                "root from reading, so an unreadable file "
                                                "cannot be made")
def test_unreadable_file_is_left_with_a_reason(case: Path) -> None:
    path = drop(case, "locked.txt", b"locked\n")
    path.chmod(0)
    try:
        answer = ingest(case)
        assert answer["outcomes"] == {"refused": 1}
        assert path.exists()
        (problem,) = status(case)["files_not_taken"]
        assert problem["source"] == "inbox/locked.txt"
        assert problem["reason"] == ("the file cannot be read (Permission denied); it was left "
                                     "where it is")
    finally:
        path.chmod(0o600)


def test_many_files_in_nested_folders(case: Path) -> None:
    # 400 in `make test`, 2,000 in `make reliability`; the speed is measured in `make bench`
    count = 2000 if os.environ.get("INTAKE_RELIABILITY") == "full" else 400
    expected = {}
    for i in range(count):
        rel = f"phone backup/DCIM/{i % 10:02d}/{(i // 10) % 20:02d}/img_{i:04d}.txt"
        data = f"small file {i}\n".encode()
        drop(case, rel, data)
        expected[rel] = sha256(data)
    answer = ingest(case, timeout=180 if count <= 400 else 600)
    assert answer["files"] == count
    assert answer["outcomes"] == {"settled": count}
    assert len(stored_objects(replica(case, "a"))) == count
    assert len(stored_objects(replica(case, "b"))) == count
    assert set(ingested(case)) == {f"{rel}" for rel in expected}
    assert inbox_top(case) == ["ingested"]
    s = status(case)
    assert s["counts"]["items"] == count and s["counts"]["receipts"] == count

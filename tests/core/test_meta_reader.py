"""`replica.meta_reader`: verify's quick read of many metadata files answers as `read_meta`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intake.replica import meta_reader
from intake.store import FolderReplica


@pytest.fixture
def rep(tmp_path: Path) -> FolderReplica:
    rep = FolderReplica("a", tmp_path / "a")
    rep.open("case-1", create=True)
    rep.write_meta("ab/ab12/item.json", b'{"size": 3}\n')
    rep.write_meta("ab/ab12/receipts/r1.json", b"")
    (rep.meta_path("ab/ab12/extractions")).mkdir(parents=True)
    (tmp_path / "outside.json").write_bytes(b'{"outside": true}')
    return rep


NAMES = ["ab/ab12/item.json", "ab/ab12/receipts/r1.json", "ab/ab12/missing.json",
         "zz/none/item.json", "ab/ab12/extractions", "ab/ab12/item.json/x",
         "ab/ab12/item.json/", "ab//ab12/item.json", "./ab/ab12/item.json",
         "ab/ab12/../ab12/item.json", "../outside.json", "/etc/hostname"]


@pytest.mark.parametrize("rel", NAMES)
def test_the_quick_read_answers_as_read_meta(rep: FolderReplica, rel: str) -> None:
    assert meta_reader(rep)(rel) == rep.read_meta(rel)


def test_the_answers_are_the_files_bytes_or_none(rep: FolderReplica) -> None:
    read = meta_reader(rep)
    assert read("ab/ab12/item.json") == b'{"size": 3}\n'
    assert read("ab/ab12/receipts/r1.json") == b""
    assert read("ab/ab12/missing.json") is None
    assert read("ab/ab12/extractions") is None  # a folder in the way
    assert read("ab/ab12/item.json/x") is None  # a file in the way


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file without permission")
def test_an_unreadable_file_raises_as_read_meta_does(rep: FolderReplica) -> None:
    rep.meta_path("ab/ab12/item.json").chmod(0)
    with pytest.raises(PermissionError):
        meta_reader(rep)("ab/ab12/item.json")


def test_a_kind_that_reads_its_own_way_keeps_it(tmp_path: Path) -> None:
    class Counting(FolderReplica):
        reads = 0

        def read_meta(self, rel: str) -> bytes | None:
            Counting.reads += 1
            return b"own"

    rep = Counting("b", tmp_path / "b")
    assert meta_reader(rep)("ab/ab12/item.json") == b"own"
    assert Counting.reads == 1

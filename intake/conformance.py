"""The test suite every kind of replica must pass (``intake.replica.Replica``).

A plugin author adding a kind through ``intake_storage_backends`` runs it in
their own tests (needs pytest)::

    import pytest
    from intake.conformance import ReplicaConformance

    class TestMyBucket(ReplicaConformance):
        @pytest.fixture
        def make_replica(self, tmp_path):
            return lambda name: MyBucketReplica(name, f"s3://test/{name}", {})

`make_replica(name)` gives a fresh, empty replica of the kind, not opened yet;
two calls with different names give two independent replicas. intake's own
run of it, over every kind that is loaded (the s3 kind against moto's S3 server
on 127.0.0.1): tests/core/test_replica_conformance.py.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest

from .replica import Replica, ReplicaUnavailable, copy_object, verified_copy, verified_meta

CASE_ID = "c0ffee" * 5 + "00"
DATA = b"the exact bytes of one exhibit\n" * 1000
SHA = hashlib.sha256(DATA).hexdigest()
REL = f"{SHA[:2]}/{SHA}/item.json"


class ReplicaConformance:
    """Subclass it and give a `make_replica` fixture; every test must pass."""

    @pytest.fixture
    def replica(self, make_replica: Callable[[str], Replica]) -> Replica:
        rep = make_replica("a")
        rep.open(CASE_ID, create=True)
        return rep

    def test_it_is_a_replica(self, replica: Replica) -> None:
        assert isinstance(replica, Replica)
        assert replica.name == "a"
        assert replica.health() is None
        assert replica.describe()

    def test_it_serves_one_case_only(self, make_replica: Callable[[str], Replica],
                                     replica: Replica) -> None:
        assert replica.case_of() == CASE_ID
        replica.open(CASE_ID, create=False)  # opening again is fine
        with pytest.raises(ReplicaUnavailable, match="another case"):
            replica.open("another" * 4, create=False)

    def test_an_object_is_put_from_a_stream_and_read_back(self, replica: Replica) -> None:
        assert not replica.has_object(SHA)
        assert replica.hash_object(SHA) is None and replica.object_size(SHA) is None
        assert replica.put_object(SHA, io.BytesIO(DATA)) == "written"
        assert replica.put_object(SHA, io.BytesIO(DATA)) == "present"
        assert replica.has_object(SHA)
        assert replica.object_size(SHA) == len(DATA)
        assert replica.hash_object(SHA) == SHA
        assert replica.hash_object(SHA, read_data=True) == SHA  # the bytes, read back
        assert list(replica.list_objects()) == [SHA]
        with replica.open_object(SHA) as f:
            assert f.read() == DATA
        local = replica.object_file(SHA)
        assert local is not None and local.read_bytes() == DATA

    def test_bytes_that_do_not_match_their_name_are_refused(self, replica: Replica) -> None:
        with pytest.raises(OSError):
            replica.put_object(SHA, io.BytesIO(DATA + b"x"))
        assert not replica.has_object(SHA)
        assert list(replica.list_objects()) == []
        with pytest.raises(FileNotFoundError):
            replica.open_object(SHA)

    def test_a_copy_set_aside_is_no_longer_held_and_can_be_put_again(self,
                                                                    replica: Replica) -> None:
        replica.put_object(SHA, io.BytesIO(DATA))
        replica.set_aside_object(SHA)
        assert not replica.has_object(SHA) and replica.hash_object(SHA) is None
        assert replica.put_object(SHA, io.BytesIO(DATA)) == "written"

    def test_metadata_files_are_written_whole_and_read_back(self, replica: Replica) -> None:
        assert replica.read_meta(REL) is None
        replica.write_meta(REL, b'{"size": 1}\n')
        replica.write_meta(REL, b'{"size": 31000}\n')  # replaced whole
        assert replica.read_meta(REL) == b'{"size": 31000}\n'
        replica.write_meta("curation/r1.json", b"{}\n")
        assert list(replica.list_meta()) == sorted(["curation/r1.json", REL])
        replica.set_aside_meta(REL)
        assert replica.read_meta(REL) is None
        assert list(replica.list_meta()) == ["curation/r1.json"]

    def test_the_custody_log_is_appended_to_and_read_in_order(self, replica: Replica) -> None:
        assert replica.read_custody() == []
        replica.append_custody("0000000001.jsonl", b'{"seq":1}\n')
        replica.append_custody("0000000001.jsonl", b'{"seq":2}\n')
        replica.append_custody("0000000003.jsonl", b'{"seq":3}\n')
        assert replica.read_custody() == [("0000000001.jsonl", b'{"seq":1}\n{"seq":2}\n'),
                                          ("0000000003.jsonl", b'{"seq":3}\n')]
        replica.set_aside_custody("0000000001.jsonl")
        assert replica.read_custody() == [("0000000003.jsonl", b'{"seq":3}\n')]

    def test_left_over_temporary_copies_are_cleaned(self, replica: Replica) -> None:
        assert replica.clean_temp() >= 0
        replica.put_object(SHA, io.BytesIO(DATA))
        assert replica.clean_temp() == 0  # a stored object is never a left-over
        assert replica.hash_object(SHA) == SHA

    def test_verified_copies_come_only_from_matching_bytes(
            self, make_replica: Callable[[str], Replica], replica: Replica) -> None:
        other = make_replica("b")
        other.open(CASE_ID, create=True)
        assert verified_copy([replica, other], SHA) is None
        replica.put_object(SHA, io.BytesIO(DATA))
        assert verified_copy([replica, other], SHA) is replica
        assert verified_copy([replica, other], SHA, exclude=replica) is None
        assert copy_object(replica, other, SHA) == "written"
        assert other.hash_object(SHA) == SHA
        replica.write_meta(REL, b"good\n")
        other.write_meta(REL, b"altered\n")
        digest = hashlib.sha256(b"good\n").hexdigest()
        assert verified_meta([other, replica], REL, digest) == b"good\n"
        assert verified_meta([other], REL, digest) is None
        assert verified_meta([replica], REL, None) is None  # no recorded hash: nothing trusted

    def test_a_batch_is_readable_before_its_barrier_and_kept_after(
            self, make_replica: Callable[[str], Replica], replica: Replica) -> None:
        """Group commit: writes inside a batch read back at once; the barrier ends it.

        A kind durable on each write (s3) does nothing at the barrier; a folder
        makes the batch durable there. Either way nothing is lost or changed.
        """
        replica.barrier()  # nothing written: nothing to do
        replica.begin_batch()
        assert replica.put_object(SHA, io.BytesIO(DATA)) == "written"
        replica.write_meta(REL, b'{"size": 31000}\n')
        assert replica.hash_object(SHA) == SHA  # readable before the barrier
        assert replica.read_meta(REL) == b'{"size": 31000}\n'
        replica.barrier()
        replica.barrier()  # twice is fine
        again = make_replica("a")  # a fresh handle on the same replica sees it all
        again.open(CASE_ID, create=False)
        assert again.hash_object(SHA, read_data=True) == SHA
        assert again.read_meta(REL) == b'{"size": 31000}\n'
        assert list(again.list_objects()) == [SHA]


"""The s3 replica kind through the real CLI, against moto's S3 server on 127.0.0.1.

Each case has a folder replica ``a`` and an S3 replica ``archief`` (a bucket
with Object Lock, COMPLIANCE mode); `min_copies = 2`, so an original leaves
the inbox only once the bucket holds a verified copy too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.helpers.case import (
    drop,
    inbox_top,
    ingest,
    ingested,
    new_case,
    object_path,
    ok,
    run_intake,
    set_config,
    sha256,
    status,
    verify,
)
from tests.helpers.moto import MotoServer

FILES = {"sms-export.txt": b"2024-03-01 21:15 +32470000000: je weet waar je woont\n",
         "mail.eml": b"From: x@example.org\r\nSubject: hi\r\n\r\nhello\r\n",
         "note.txt": b"he stood at the door at 22:10\n"}


def s3_case(tmp_path: Path, server: MotoServer, bucket: str, retention: int = 1) -> Path:
    case = new_case(tmp_path / "case")
    set_config(case, '[[replicas]]\nname = "b"\npath = "store/b"\n',
               f'[[replicas]]\nname = "archief"\nkind = "s3"\nendpoint_url = "{server.url}"\n'
               f'bucket = "{bucket}"\nprefix = "cases/anna/"\nregion = "eu-west-1"\n'
               f'retention_days = {retention}\n')
    return case


def key(sha: str) -> str:
    return f"cases/anna/objects/{sha[:2]}/{sha}"


def problems(case: Path, *extra: str) -> list[dict]:
    proc = run_intake("verify", "--json", "--case", case, *extra)
    return json.loads(proc.stdout)["problems"]


@pytest.fixture
def case(tmp_path: Path, moto_server: MotoServer, bucket: str) -> Path:
    case = s3_case(tmp_path, moto_server, bucket)
    for rel, data in FILES.items():
        drop(case, rel, data)
    assert ingest(case)["outcomes"] == {"settled": 3}
    return case


def test_ingest_into_a_folder_and_a_bucket_then_verify(case: Path, moto_server: MotoServer,
                                                       bucket: str) -> None:
    assert ingested(case) == sorted(FILES) and inbox_top(case) == ["ingested"]
    s3 = moto_server.client()
    for data in FILES.values():
        sha = sha256(data)
        head = s3.head_object(Bucket=bucket, Key=key(sha), ChecksumMode="ENABLED")
        assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert head["ContentLength"] == len(data)
        assert head["ObjectLockMode"] == "COMPLIANCE"  # locked: retention_days = 1
        assert 0.9 < (head["ObjectLockRetainUntilDate"].timestamp()
                      - head["LastModified"].timestamp()) / 86400 < 1.1
        body = s3.get_object(Bucket=bucket, Key=key(sha))["Body"].read()
        assert body == data
        meta = s3.get_object(Bucket=bucket,
                             Key=f"cases/anna/meta/{sha[:2]}/{sha}/item.json")["Body"].read()
        assert json.loads(meta)["sha256"] == sha
    # the custody log is in the bucket too, as locked pieces, identical to the folder's
    pieces = s3.list_objects_v2(Bucket=bucket, Prefix="cases/anna/custody/")["Contents"]
    assert pieces and all(p["Key"].endswith(tuple("0123456789")) for p in pieces)
    folder_log = b"".join(p.read_bytes() for p in
                          sorted((case / "store" / "a" / "custody").glob("*.jsonl")))
    bucket_log = b"".join(s3.get_object(Bucket=bucket, Key=p["Key"])["Body"].read()
                          for p in sorted(pieces, key=lambda p: p["Key"]))
    assert bucket_log == folder_log and folder_log.count(b"\n") > 6
    lock = s3.head_object(Bucket=bucket, Key=pieces[0]["Key"])
    assert lock["ObjectLockMode"] == "COMPLIANCE"

    s = status(case)
    archief = next(r for r in s["replicas"] if r["name"] == "archief")
    assert archief["available"] and archief["items"] == 3
    assert archief["path"] == f"s3://{bucket}/cases/anna/ at {moto_server.url}"
    assert s["waiting_for_copies"] == []
    ok(verify(case))
    assert problems(case, "--read-data") == []


def test_reindex_works_from_the_bucket_alone(case: Path) -> None:
    answer = json.loads(ok(run_intake("reindex", "--json", "--replica", "archief",
                                      "--case", case)).stdout)
    assert answer["source_replica"] == "archief"
    assert answer["items"] == 3
    ok(verify(case))


def test_a_corrupted_object_is_found_and_repaired(case: Path, moto_server: MotoServer,
                                                  bucket: str) -> None:
    s3 = moto_server.client()
    sha = sha256(FILES["note.txt"])
    other = b"he was never at the door\n"
    # someone with write access uploads other bytes as a new version of the object
    s3.put_object(Bucket=bucket, Key=key(sha), Body=other, ChecksumAlgorithm="SHA256")
    found = problems(case)
    assert [(p["what"], p["replica"], p["sha256"]) for p in found] == [
        ("damaged-copy", "archief", sha), ("too-few-copies", "", sha)]
    ok(run_intake("repair", "--case", case))
    assert problems(case, "--read-data") == []
    assert s3.get_object(Bucket=bucket, Key=key(sha))["Body"].read() == FILES["note.txt"]

    # a version whose checksum header claims the old bytes: --read-data downloads and
    # re-hashes, whatever checksum the service keeps
    fake = base64.b64encode(hashlib.sha256(FILES["note.txt"]).digest()).decode()
    s3.put_object(Bucket=bucket, Key=key(sha), Body=other, ChecksumSHA256=fake)
    found = problems(case, "--read-data")
    assert [(p["what"], p["replica"]) for p in found] == [("damaged-copy", "archief"),
                                                          ("too-few-copies", "")]
    # every version is still there: the damaged ones were set aside, none deleted
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key(sha))["Versions"]
    assert len(versions) == 4


def test_a_deleted_folder_copy_is_restored_from_the_bucket(case: Path) -> None:
    sha = sha256(FILES["sms-export.txt"])
    path = object_path(case / "store" / "a", sha)
    path.unlink()
    found = problems(case)
    assert [(p["what"], p["replica"]) for p in found] == [("missing-copy", "a"),
                                                          ("too-few-copies", "")]
    out = ok(run_intake("repair", "--case", case))
    assert "restored" in out.stdout
    assert path.read_bytes() == FILES["sms-export.txt"]
    records = [json.loads(line) for seg in sorted((case / "store/a/custody").glob("*.jsonl"))
               for line in seg.read_bytes().splitlines()]
    fixed = [r for r in records if r.get("event") == "repaired" and r.get("sha256") == sha]
    assert fixed and fixed[-1]["source"] == "archief"
    ok(verify(case))


def test_a_locked_version_cannot_be_deleted_or_changed(case: Path, moto_server: MotoServer,
                                                       bucket: str) -> None:
    s3 = moto_server.client()
    sha = sha256(FILES["mail.eml"])
    version = s3.head_object(Bucket=bucket, Key=key(sha))["VersionId"]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key(sha), VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # an "overwrite" is only a new version: the locked one keeps its bytes
    s3.put_object(Bucket=bucket, Key=key(sha), Body=b"forged\n", ChecksumAlgorithm="SHA256")
    kept = s3.get_object(Bucket=bucket, Key=key(sha), VersionId=version)["Body"].read()
    assert kept == FILES["mail.eml"]
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=key(sha), VersionId=version)
    assert [p["what"] for p in problems(case)] == ["damaged-copy", "too-few-copies"]
    ok(run_intake("repair", "--case", case))
    assert problems(case, "--read-data") == []


def test_wrong_credentials_say_why_and_intake_goes_on(tmp_path: Path, moto_server: MotoServer,
                                                      bucket: str) -> None:
    case = s3_case(tmp_path, moto_server, bucket)
    set_config(case, "min_copies = 2 ", "min_copies = 1 ")
    drop(case, "note.txt", FILES["note.txt"])
    strict = MotoServer(auth=True)  # accepts no key at all: every key is "wrong"
    strict.start()
    try:
        set_config(case, moto_server.url, strict.url)
        answer = ingest(case)
        assert answer["outcomes"] == {"settled": 1}  # the folder copy is enough here
        s = status(case)
        archief = next(r for r in s["replicas"] if r["name"] == "archief")
        assert not archief["available"]
        assert archief["reason"] == ("the storage service refused access (check the "
                                     "credentials and the bucket's policy)")
        shown = ok(run_intake("status", "--case", case)).stdout
        assert "archief" in shown and "weigerde de toegang" in shown  # an nl case
        assert "Traceback" not in shown
    finally:
        strict.stop()
    # the right endpoint (and keys) again: `repair` uploads what the bucket lacks
    set_config(case, strict.url, moto_server.url)
    lacking = problems(case)
    assert {(p["what"], p["replica"]) for p in lacking} == {
        ("custody", "archief"), ("missing-copy", "archief"), ("missing-meta", "archief")}
    out = ok(run_intake("repair", "--case", case)).stdout
    assert "archief" in out
    ok(verify(case))
    assert moto_server.client().head_object(
        Bucket=bucket, Key=key(sha256(FILES["note.txt"])))["ContentLength"] == len(
        FILES["note.txt"])


def test_an_unreachable_endpoint_keeps_items_waiting_until_it_is_back(
        tmp_path: Path, moto_server: MotoServer, bucket: str) -> None:
    case = s3_case(tmp_path, moto_server, bucket)
    gone = MotoServer()  # a port nothing listens on
    set_config(case, moto_server.url, gone.url)
    drop(case, "note.txt", FILES["note.txt"])
    answer = ingest(case)
    assert answer["outcomes"] == {"waiting": 1}
    assert (case / "inbox" / "note.txt").read_bytes() == FILES["note.txt"]
    s = status(case)
    assert s["files_not_taken"][0]["reason"] == (
        "1 of 2 copies made; the file stays in the inbox until the other replicas are "
        f"available (replica archief: the storage service {gone.url} cannot be reached)")
    set_config(case, gone.url, moto_server.url)
    assert ingest(case)["outcomes"] == {"settled": 1}
    assert ingested(case) == ["note.txt"]
    ok(verify(case))


def test_the_endpoint_killed_mid_batch_loses_nothing(tmp_path: Path, bucket: str) -> None:
    server = MotoServer()
    server.start()
    try:
        name = server.bucket("intake-mid-batch")
        case = s3_case(tmp_path, server, name)
        files = {f"batch/{i:02d}.txt": f"message {i}\n".encode() * (i + 1) for i in range(30)}
        for rel, data in files.items():
            drop(case, rel, data)
        import subprocess
        import time

        from tests.helpers.case import INTAKE
        proc = subprocess.Popen([str(INTAKE), "ingest", "--json", "--in-process", "--case",
                                 str(case)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=dict(os.environ))
        s3 = server.client()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # some items are in the bucket: pull the plug
            try:
                held = s3.list_objects_v2(Bucket=name, Prefix="cases/anna/objects/")
            except Exception:  # noqa: BLE001 - the server is busy; ask again
                continue
            if held.get("KeyCount", 0) >= 3:
                break
            time.sleep(0.05)
        server.stop()
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        outcomes = json.loads(out)["outcomes"]
        assert outcomes.get("waiting", 0) >= 1
        assert sum(outcomes.values()) == 30
        # nothing lost: every file is stored in the folder, or still in the inbox
        for rel, data in files.items():
            left = case / "inbox" / rel
            assert left.is_file() or object_path(case / "store" / "a", sha256(data)).is_file()

        server.start()  # moto comes back empty: a bucket that lost everything
        server.bucket(name)
        answer = ingest(case, timeout=300)
        assert set(answer["outcomes"]) <= {"settled"}
        assert sorted(ingested(case)) == sorted(files) and inbox_top(case) == ["ingested"]
        ok(verify(case))
        assert problems(case, "--read-data") == []
        s = status(case)
        assert next(r for r in s["replicas"] if r["name"] == "archief")["items"] == 30
    finally:
        server.stop()


def test_replica_list_shows_the_bucket_as_its_own_place(case: Path, moto_server: MotoServer,
                                                        bucket: str) -> None:
    answer = json.loads(ok(run_intake("replica", "list", "--json", "--case", case)).stdout)
    rows = {r["name"]: r for r in answer["replicas"]}
    assert rows["archief"]["items"] == 3 and rows["archief"]["missing_items"] == 0
    assert rows["archief"]["device"] == moto_server.url
    assert rows["archief"]["health"] == "holds all 3 items"
    assert answer["copies"]["one_device"] is False  # the bucket is not this disk


@pytest.mark.parametrize(("code", "reason"), [
    ("SlowDown", "the storage service asks to slow down (throttled) and is tried again later"),
    ("QuotaExceeded", "the bucket's quota is used up"),
    ("ExpiredToken", "the storage service refused the credentials (ExpiredToken)"),
    ("NoSuchBucket", "the bucket evidence does not exist"),
])
def test_what_the_service_answers_is_said_in_plain_words(code: str, reason: str) -> None:
    from intake.messages import translate
    from intake.s3 import plain_reason

    exc = ClientError({"Error": {"Code": code, "Message": "..."}}, "PutObject")
    said = plain_reason(exc, "https://s3.example.org", "evidence")
    assert said == reason
    assert translate(said, "nl") != said and translate(said, "fr") != said

"""Damage in the bucket or the folder: found by verify, repaired; locked versions stay."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.helpers.case import (
    object_path,
    ok,
    run_intake,
    sha256,
    verify,
)
from tests.helpers.moto import MotoServer
from tests.helpers.s3case import FILES, key, problems


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
    assert f"replica a: stuk {sha[:12]}… (sms-export.txt) hersteld" in out.stdout  # Dutch case
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

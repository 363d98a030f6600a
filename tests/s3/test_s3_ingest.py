"""Ingest into a folder and a bucket: what is in the bucket, verify, reindex from it, list."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.helpers.case import (
    inbox_top,
    ingested,
    ok,
    run_intake,
    sha256,
    status,
    verify,
)
from tests.helpers.moto import MotoServer
from tests.helpers.s3case import FILES, key, problems


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


def test_the_s3_keys_are_checked(tmp_path: Path) -> None:
    from intake.case import init_case
    from intake.config import load_config
    from intake.errors import ConfigError
    from tests.helpers.case import set_config

    case = init_case(tmp_path / "case").case_dir
    set_config(case, 'name = "b"\npath = "store/b"\n', 'name = "b"\npath = "store/b"\n'
                                                       'bucket = "x"\n')
    with pytest.raises(ConfigError, match=r"replicas\[2\]\.bucket' is only for a replica of "
                                          'kind = "s3"'):
        load_config(case)
    set_config(case, 'path = "store/b"\nbucket = "x"\n',
               'kind = "s3"\nbucket = "evidence"\nretention_days = -1\n')
    with pytest.raises(ConfigError, match=r"retention_days' is -1; allowed: 0 \(no lock\)"):
        load_config(case)
    set_config(case, "retention_days = -1", "retention_days = 3650")
    rc = load_config(case).replicas[1]
    assert (rc.kind, rc.options["bucket"], rc.options["retention_days"]) == ("s3", "evidence",
                                                                             3650)
    assert rc.options["cache"] == str(case / ".intake" / "s3-cache" / "b")

"""A bucket out of reach (wrong credentials, no endpoint, killed mid-batch): intake goes on."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from tests.helpers.case import (
    INTAKE,
    drop,
    inbox_top,
    ingest,
    ingested,
    object_path,
    ok,
    run_intake,
    set_config,
    sha256,
    status,
    verify,
)
from tests.helpers.moto import MotoServer
from tests.helpers.s3case import FILES, key, problems, s3_case


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

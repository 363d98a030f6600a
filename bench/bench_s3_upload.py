"""Figure 8: upload throughput of the s3 replica against a plain boto3 upload of the same file.

One moto S3 server on 127.0.0.1 (started here, stopped at the end), one
bucket with Object Lock. Each run uploads the same file twice, in turn:
intake's ``S3Replica.put_object`` (SHA-256 checksum on every 8 MiB part,
checked against the server's answer, the whole file's SHA-256 checked, the
retention set) and boto3's ``upload_file`` with its default transfer
settings, what ``aws s3 cp`` does (8 MiB parts, up to 10 threads, no checksum
asked for). The figure is intake's MB/s over boto3's; moto is the bottleneck
on a local machine, so the ratio says what intake's checks cost, not what a
real service gives.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

from bench_common import OUT, ROOT, Figure, Series, log, rm

sys.path.insert(0, str(ROOT))


def _file(path: Path, mib: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(mib):
            block = hashlib.sha256(str(i).encode()).digest() * (1 << 15)
            f.write(block)
            digest.update(block)
    return digest.hexdigest()


def measure(quick: bool, runs: int) -> list[Figure]:
    from intake.s3 import S3Replica
    from tests.helpers.moto import KEYS, MotoServer

    os.environ.update(KEYS)
    work = OUT / "s3"
    rm(work)
    work.mkdir(parents=True)
    mib = 64 if quick else 512
    big = work / "upload.bin"
    sha = _file(big, mib)
    server = MotoServer()
    server.start()
    try:
        bucket = server.bucket("intake-bench")
        client = server.client()
        ours, theirs, ratio = Series(), Series(), Series()
        for i in range(runs):
            rep = S3Replica(f"r{i}", str(work / "cache"), {
                "endpoint_url": server.url, "bucket": bucket, "prefix": f"run{i}/",
                "region": KEYS["AWS_DEFAULT_REGION"], "retention_days": 1})
            rep.open("bench-case", create=True)
            start = time.perf_counter()
            with open(big, "rb") as f:
                assert rep.put_object(sha, f) == "written"
            a = mib * 1.048576 / (time.perf_counter() - start)
            start = time.perf_counter()
            client.upload_file(str(big), bucket, f"plain/run{i}")
            b = mib * 1.048576 / (time.perf_counter() - start)
            ours.add(a)
            theirs.add(b)
            ratio.add(a / b)
            log(f"s3 upload run {i + 1}: intake {a:.0f} MB/s, boto3 upload_file {b:.0f} MB/s")
    finally:
        server.stop()
        rm(work)
    return [Figure("8", f"s3 upload of a {mib} MiB file vs boto3 upload_file (same moto "
                        "server)", ours.fmt("MB/s", 0), theirs.fmt("MB/s", 0),
                   f"{ratio.median:.2f} (min {ratio.min:.2f}, max {ratio.max:.2f})",
                   "reported (no target given)", "INFO",
                   details=["intake: checksummed parts, whole-file SHA-256, lock set; "
                            "boto3: default TransferConfig (as `aws s3 cp`), no checksum"])]


if __name__ == "__main__":
    for f in measure("--quick" in sys.argv, int(os.environ.get("BENCH_RUNS", 5))):
        print(f)

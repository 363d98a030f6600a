"""A big file goes up to an S3 replica in parts, with bounded memory (issue 16).

Full form (``make reliability``): a 200 MiB file; bounded form (``make
test``): 24 MiB, still three parts. Either way the ``intake ingest`` process
(plugins in-process) must peak under 150 MB of resident memory, the object in
the bucket must be the exact bytes with the part checksums intake computed,
and it must be locked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import INTAKE, new_case, ok, run_intake, set_config, size
from tests.helpers.moto import MotoServer

MIB = 1 << 20
PEAK = """
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(r.stderr)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def test_a_big_file_goes_up_in_parts_with_bounded_memory(tmp_path: Path, moto_server: MotoServer,
                                                         bucket: str, figures) -> None:
    n = size(24, 200) * MIB
    case = new_case(tmp_path / "case")
    set_config(case, '[[replicas]]\nname = "b"\npath = "store/b"\n',
               f'[[replicas]]\nname = "archief"\nkind = "s3"\nendpoint_url = "{moto_server.url}"\n'
               f'bucket = "{bucket}"\nretention_days = 1\n')
    big = case / "inbox" / "video-export.bin"
    digest, parts = hashlib.sha256(), []
    with open(big, "wb") as f:  # made in pieces: the test itself stays small too
        for i in range(n // MIB):
            block = hashlib.sha256(str(i).encode()).digest() * (MIB // 32)
            f.write(block)
            digest.update(block)
    with open(big, "rb") as f:
        while part := f.read(8 * MIB):
            parts.append(hashlib.sha256(part).digest())
    sha = digest.hexdigest()

    r = subprocess.run([sys.executable, "-c", PEAK, str(INTAKE), "ingest", "--json",
                        "--in-process", "--case", str(case)],
                       capture_output=True, text=True, timeout=900, env=dict(os.environ))
    code, peak_kb = map(int, r.stdout.split()[-2:])
    assert code == 0, r.stderr[-2000:]
    figures(file_mib=n // MIB, peak_rss_mb=round(peak_kb / 1024))
    assert peak_kb < 150 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"

    s3 = moto_server.client()
    head = s3.head_object(Bucket=bucket, Key=f"objects/{sha[:2]}/{sha}", ChecksumMode="ENABLED")
    assert head["ContentLength"] == n
    assert head["ETag"].strip('"').endswith(f"-{len(parts)}")
    composite = base64.b64encode(hashlib.sha256(b"".join(parts)).digest()).decode()
    assert head["ChecksumSHA256"].split("-")[0] == composite
    assert head["ObjectLockMode"] == "COMPLIANCE"
    status = json.loads(ok(run_intake("status", "--json", "--case", case)).stdout)
    assert status["waiting_for_copies"] == [] and status["counts"]["items"] >= 1
    ok(run_intake("verify", "--case", case))
    ok(run_intake("verify", "--read-data", "--case", case, timeout=600))

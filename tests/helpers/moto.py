"""A real S3 API on this machine: moto's server in its own process, on 127.0.0.1.

Started and stopped by the tests (`moto_server` fixture in tests/s3/conftest.py);
`stop` and `start` again on the same port play an endpoint that goes away.
Moto keeps its buckets in memory: a restarted server is empty unless the
state was saved first (`start(keep=True)` uses moto's own reset-free restart:
the process is paused, not killed).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import boto3
from botocore.config import Config

KEYS = {"AWS_ACCESS_KEY_ID": "intake-test", "AWS_SECRET_ACCESS_KEY": "intake-test-secret",
        "AWS_DEFAULT_REGION": "eu-west-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """One moto server process; `url` is its endpoint."""

    def __init__(self, auth: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.auth = auth  # True: only keys moto's IAM knows are accepted (none are)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, **KEYS}
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def pause(self) -> None:
        """The endpoint stops answering (connections hang, then time out)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def client(self):
        return boto3.session.Session(
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"]).client(
            "s3", endpoint_url=self.url, region_name=KEYS["AWS_DEFAULT_REGION"],
            config=Config(request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))

    def bucket(self, name: str) -> str:
        """A new bucket with Object Lock enabled (and so versioning)."""
        self.client().create_bucket(
            Bucket=name, ObjectLockEnabledForBucket=True,
            CreateBucketConfiguration={"LocationConstraint": KEYS["AWS_DEFAULT_REGION"]})
        return name

"""Offline by design: no network connection is ever opened, except to the TSAs and
the S3 endpoints the config names.

Every intake process of the test (the CLI and the plugin workers it spawns)
gets an audit hook through ``sitecustomize``: any attempt to connect, bind,
send to or look up a network address is written to a file and refused,
unless it is one of the addresses allowed (a case's ``[seal] tsa_urls``, an s3
replica's ``endpoint_url``).
The test then fails if that file is not empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOOK = '''
import socket, sys
_LOG = {log!r}
_ALLOWED = {allowed!r}
def _guard(event, args):
    if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
        sock = args[0]
        if event == "socket.connect" and tuple(args[1])[:2] in _ALLOWED:
            return
        if event == "socket.bind" and tuple(args[1])[:2] == ("::1", 0):
            return  # urllib3 (boto3's HTTP) asks once whether IPv6 exists: no traffic
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
            with open(_LOG, "a") as f:
                f.write(f"{{event}} {{args[1:]!r}}\\n")
            raise OSError("network use is forbidden in intake's tests")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        if event == "socket.getaddrinfo" and tuple(args[:2]) in _ALLOWED:
            return
        with open(_LOG, "a") as f:
            f.write(f"{{event}} {{args!r}}\\n")
        raise OSError("network use is forbidden in intake's tests")
sys.addaudithook(_guard)
'''

INTAKE = Path(sys.executable).with_name("intake")


def test_no_socket_during_ingest_chronology_verify(tmp_path: Path) -> None:
    from PIL import Image

    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    log = tmp_path / "network.log"
    (hook_dir / "sitecustomize.py").write_text(HOOK.format(log=str(log), allowed=set()),
                                               encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(hook_dir)}

    def intake(*args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([str(INTAKE), *args], cwd=tmp_path / "case", env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return r

    subprocess.run([str(INTAKE), "init", str(tmp_path / "case")], env=env, check=True,
                   capture_output=True)
    inbox = tmp_path / "case" / "inbox"
    Image.new("RGB", (40, 30), "red").save(inbox / "photo.jpg")
    (inbox / "mail.eml").write_bytes(
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n"
        b"Date: Fri, 01 Mar 2024 21:15:00 +0100\r\nMessage-ID: <1@example.org>\r\n\r\nhello\r\n")
    intake("ingest")  # with the plugin worker process
    intake("verify")
    intake("chronology", "--out", str(tmp_path / "out"), "--format", "json,html,csv")
    intake("verify", "--chronology", str(tmp_path / "out" / "chronology.json"))
    assert not log.exists(), log.read_text()


def test_the_guard_itself_catches_a_connection(tmp_path: Path) -> None:
    """The test above could not fail if the hook did nothing: prove it bites."""
    log = tmp_path / "network.log"
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(HOOK.format(log=str(log), allowed=set()),
                                               encoding="utf-8")
    r = subprocess.run([sys.executable, "-c",
                        "import socket; socket.socket().connect(('127.0.0.1', 9))"],
                       env={**os.environ, "PYTHONPATH": str(hook_dir)}, capture_output=True,
                       text=True)
    assert r.returncode != 0
    assert "socket.connect" in log.read_text()


def test_with_seal_only_the_named_tsa_is_reached(tmp_path: Path) -> None:
    """With ``[seal]``: ingest, chronology and verify reach the TSAs named, nothing else.

    The config names two TSAs: the first refuses connections (a closed port),
    the second answers. Both addresses are allowed; any other is not.
    """
    import socket

    from tests.seal.tsa_server import TestTsa

    tsa = TestTsa().start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()
    try:
        hook_dir = tmp_path / "hook"
        hook_dir.mkdir()
        log = tmp_path / "network.log"
        allowed = {("127.0.0.1", tsa.port), ("127.0.0.1", dead_port)}
        (hook_dir / "sitecustomize.py").write_text(HOOK.format(log=str(log), allowed=allowed),
                                                   encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(hook_dir)}
        case = tmp_path / "case"
        subprocess.run([str(INTAKE), "init", str(case)], env=env, check=True,
                       capture_output=True)
        tsa.write_ca(case / "config" / "tsa-ca.pem")
        with open(case / "config" / "intake.toml", "a", encoding="utf-8") as f:
            f.write(f'\n[seal]\ntsa_urls = ["http://127.0.0.1:{dead_port}/", "{tsa.url}"]\n'
                    'tsa_ca_files = ["config/tsa-ca.pem"]\ntimeout_seconds = 2\n')
        (case / "inbox" / "note.txt").write_text("he was outside again\n")

        def intake(*args: str) -> str:
            r = subprocess.run([str(INTAKE), *args], cwd=case, env=env, capture_output=True,
                               text=True, timeout=300)
            assert r.returncode == 0, r.stderr
            return r.stdout

        assert "tijdstempel gezet: 1 ontvangstbewijs" in intake("ingest")
        intake("verify")
        intake("chronology", "--out", str(tmp_path / "out"), "--format", "json")
        intake("verify", "--chronology", str(tmp_path / "out" / "chronology.json"))
        assert (tmp_path / "out" / "chronology.json.tsr").is_file()
        assert tsa.requests == 2  # the batch and the chronology
        assert not log.exists(), log.read_text()

        # the guard still bites for any address the config does not name
        r = subprocess.run([sys.executable, "-c", "import socket; socket.socket()"
                            ".connect(('127.0.0.1', 9))"], env=env, capture_output=True)
        assert r.returncode != 0
        assert "('127.0.0.1', 9)" in log.read_text()
    finally:
        tsa.stop()


def _guarded_s3_case(tmp_path: Path, moto_server, bucket: str,
                     env: dict[str, str]) -> tuple[Path, Path, dict[str, str]]:
    """A case with replica a in a folder and "archief" in the bucket, and an environment
    whose intake processes may reach only moto's endpoint: (case, network log, env)."""
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    log = tmp_path / "network.log"
    (hook_dir / "sitecustomize.py").write_text(
        HOOK.format(log=str(log), allowed={("127.0.0.1", moto_server.port)}), encoding="utf-8")
    env = {**env, "PYTHONPATH": str(hook_dir)}
    case = tmp_path / "case"
    subprocess.run([str(INTAKE), "init", str(case)], env=env, check=True, capture_output=True)
    config = case / "config" / "intake.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        '[[replicas]]\nname = "b"\npath = "store/b"\n',
        f'[[replicas]]\nname = "archief"\nkind = "s3"\nendpoint_url = "{moto_server.url}"\n'
        f'bucket = "{bucket}"\nretention_days = 1\n'), encoding="utf-8")
    (case / "inbox" / "note.txt").write_text("he was outside again\n")
    return case, log, env


def test_with_an_s3_replica_only_its_endpoint_is_reached(tmp_path: Path, moto_server,
                                                         bucket: str) -> None:
    """An s3 replica names one endpoint: ingest, verify (--read-data), repair and status
    reach it and nothing else (no instance-metadata lookup, no AWS address)."""
    case, log, env = _guarded_s3_case(tmp_path, moto_server, bucket, dict(os.environ))

    def intake(*args: str) -> str:
        r = subprocess.run([str(INTAKE), *args], cwd=case, env=env, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return r.stdout

    intake("ingest", "--in-process")
    intake("verify", "--read-data")
    intake("repair")
    assert "archief" in intake("status")
    assert not log.exists(), log.read_text()
    held = moto_server.client().list_objects_v2(Bucket=bucket, Prefix="objects/")
    assert held["KeyCount"] == 1  # the endpoint was really used


def test_an_s3_replica_without_credentials_asks_no_cloud_metadata_service(
        tmp_path: Path, moto_server, bucket: str) -> None:
    """No credentials in the environment or a profile: boto3 would next ask the cloud
    instance-metadata address (169.254.169.254), which no config names. intake does not
    let it: the replica waits with a plain reason, and nothing but the endpoint is tried."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    case, log, env = _guarded_s3_case(tmp_path, moto_server, bucket, env)
    r = subprocess.run([str(INTAKE), "ingest", "--in-process"], cwd=case, env=env,
                       capture_output=True, text=True, timeout=300)
    assert "geen inloggegevens voor de opslagdienst" in r.stdout, (r.stdout, r.stderr)  # nl case
    assert not log.exists(), log.read_text()

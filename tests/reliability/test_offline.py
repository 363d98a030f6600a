"""Offline by design: no network connection is ever opened.

Every intake process of the test (the CLI and the plugin workers it spawns)
gets an audit hook through ``sitecustomize``: any attempt to connect, bind,
send to or look up a network address is written to a file and refused. The
test then fails if that file is not empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOOK = '''
import socket, sys
_LOG = {log!r}
def _guard(event, args):
    if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
        sock = args[0]
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
            with open(_LOG, "a") as f:
                f.write(f"{{event}} {{args[1:]!r}}\\n")
            raise OSError("network use is forbidden in intake's tests")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
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
    (hook_dir / "sitecustomize.py").write_text(HOOK.format(log=str(log)), encoding="utf-8")
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
    (hook_dir / "sitecustomize.py").write_text(HOOK.format(log=str(log)), encoding="utf-8")
    r = subprocess.run([sys.executable, "-c",
                        "import socket; socket.socket().connect(('127.0.0.1', 9))"],
                       env={**os.environ, "PYTHONPATH": str(hook_dir)}, capture_output=True,
                       text=True)
    assert r.returncode != 0
    assert "socket.connect" in log.read_text()

"""The custody log's lines as bytes, as structlog's renderer writes them.

A line must stay byte for byte what structlog's ``JSONRenderer(sort_keys=True,
ensure_ascii=False)`` wrote: every earlier case's chain was hashed over such
lines, and a reader of the log (a court's expert) sees one format throughout.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

import pytest

from intake.custody import CustodyLog
from tests.helpers import custody_lines, ok, replica, run_intake


def _log(tmp_path: Path) -> tuple[CustodyLog, Path]:
    folder = tmp_path / "a"  # a replica's folder: its log's segments in custody/
    (folder / "custody").mkdir(parents=True)
    return CustodyLog([folder / "custody"], {"photos": "1.2", "fotoboek": "ü"}), folder


def test_a_line_is_sorted_json_with_the_chain_fields(tmp_path: Path) -> None:
    log, folder = _log(tmp_path)
    log.event("received", at="2026-01-02T03:04:05.678Z", source="inbox/Zoë 😀.jpg", size=12,
              fs_mtime=None, ok=True, ratio=1.5, nested={"b": [1, {"z": 1, "a": 2}]})
    log.sync()
    first, second = custody_lines(folder)
    tool = f"intake {version('intake')}"
    # the session line names the plugins, then the event: keys sorted, ", " and ": "
    # between them, non-ASCII written as it is
    assert json.loads(first)["plugins"] == {"fotoboek": "ü", "photos": "1.2"}
    assert second.decode("utf-8") == (
        '{"at": "2026-01-02T03:04:05.678Z", "event": "received", "fs_mtime": null, '
        '"nested": {"b": [1, {"a": 2, "z": 1}]}, "ok": true, '
        f'"prev": "{hashlib.sha256(first).hexdigest()}", "ratio": 1.5, "seq": 2, '
        f'"size": 12, "source": "inbox/Zoë 😀.jpg", "tool": "{tool}"}}')
    assert log.head == hashlib.sha256(second).hexdigest()


def test_a_value_json_cannot_hold_is_written_as_its_repr(tmp_path: Path) -> None:
    # as structlog's renderer did: a path given by mistake is still a readable line
    log, folder = _log(tmp_path)
    log.event("stored", at="2026-01-02T03:04:05.678Z", path=Path("/x/y"))
    log.sync()
    assert json.loads(custody_lines(folder)[-1])["path"] == "PosixPath('/x/y')"


def test_a_field_called_event_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    log, folder = _log(tmp_path)
    log.event("received", at="2026-01-02T03:04:05.678Z")
    with pytest.raises(TypeError, match="cannot be called 'event'"):
        log.event("stored", event="other")
    log.sync()
    assert log.seq == 2
    assert [json.loads(line)["event"] for line in custody_lines(folder)] == \
        ["session", "received"]


def test_the_cli_writes_the_version_it_prints(tmp_path: Path) -> None:
    printed = ok(run_intake("--version")).stdout.strip()
    assert printed == f"intake, version {version('intake')}"
    case = tmp_path / "Zaak één"
    ok(run_intake("init", case))
    line = next(x for x in custody_lines(replica(case, "a")) if b'"case-created"' in x)
    record = json.loads(line)
    assert (record["event"], record["case"]) == ("case-created", "Zaak één")
    assert record["tool"] == f"intake {version('intake')}"
    # the bytes are the sorted rendering, name as written (not \\u escapes)
    assert line == json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
    assert "Zaak één".encode() in line

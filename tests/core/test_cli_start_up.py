"""What the command line loads before the first file (issue 19: the CLI's fixed cost).

Every command that opens a case registers the built-in plugins, and with them
their helpers. Pillow (with pillow-heif) and rich's emoji table are loaded
only when a picture is decoded or an emoji drawn, never for an empty inbox.
Checked on the real CLI with Python's own import log (``PYTHONPROFILEIMPORTTIME``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from tests.helpers import drop, meta_dir, new_case, ok, replica, run_intake


def _imported(stderr: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)$",
                                            stderr, re.M)}


def test_an_empty_inbox_loads_no_picture_library(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    proc = ok(run_intake("ingest", "--json", "--case", case,
                         env={"PYTHONPROFILEIMPORTTIME": "1"}))
    assert json.loads(proc.stdout)["files"] == 0
    loaded = _imported(proc.stderr)
    # the import log is really there: the command line and the plugins' helpers were
    # loaded (the plugin modules themselves come through importlib, which it omits) ...
    assert {"intake.cli", "intake.plugins", "intake.builtin._imaging",
            "intake.builtin._ocr"} <= loaded
    # ... but no picture library and no emoji table
    assert sorted(m for m in loaded if m.split(".")[0] in ("PIL", "pillow_heif")) == []
    assert "rich._emoji_codes" not in loaded


def test_a_photo_is_still_read_with_pillow(tmp_path: Path) -> None:
    # the lazy load still gives the photo plugin what Pillow reads
    from tests.helpers.files import make_jpeg

    case = new_case(tmp_path / "case", settle=0.0)
    data = make_jpeg(exif_time="2024:02:28 07:45:00")
    drop(case, "car.jpg", data)
    ok(run_intake("ingest", "--case", case, timeout=300))
    sha = hashlib.sha256(data).hexdigest()
    record = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    facts = record["facts"]
    # pixel size and format: from Pillow, loaded in the worker when the photo came
    assert (facts["width"], facts["height"], facts["format"]) == (64, 48, "JPEG"), facts


def test_a_name_with_colons_is_shown_as_written(tmp_path: Path) -> None:
    # rich turned ":warning:" into an emoji: a file's name must be shown as it is
    case = new_case(tmp_path / "case", settle=0.0)
    os.symlink("/etc/hostname", case / "inbox" / ":warning: link.txt")
    proc = run_intake("ingest", "--case", case)
    assert "inbox/:warning: link.txt: dit is een snelkoppeling" in proc.stdout, proc.stdout
    assert "\u26a0" not in proc.stdout


def test_an_empty_inbox_starts_no_plugin_worker(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    proc = ok(run_intake("ingest", "--json", "--case", case,
                         env={"PYTHONPROFILEIMPORTTIME": "1"}))
    loaded = _imported(proc.stderr)
    assert {"intake.cli", "intake.custody", "structlog"} <= loaded
    # no plugin worker was started for nothing (no process spawned at all)
    assert "multiprocessing.popen_spawn_posix" not in loaded


# records, in the CLI and its children, when a process is started and when the
# case is opened (a sitecustomize on PYTHONPATH runs in every Python started)
ORDER = '''
import multiprocessing.process
_log = {log!r}
_start = multiprocessing.process.BaseProcess.start

def _note(what):
    with open(_log, "a") as f:
        f.write(what + "\\n")

def start(self):
    _note("process " + getattr(self._target, "__name__", "?"))
    return _start(self)

multiprocessing.process.BaseProcess.start = start

import intake.case
_open = intake.case.Case.open.__func__

def open_(cls, *args, **kwargs):
    _note("case opened")
    return _open(cls, *args, **kwargs)

intake.case.Case.open = classmethod(open_)
'''


def _order_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    log = tmp_path / "order.txt"
    (hooks / "sitecustomize.py").write_text(ORDER.format(log=str(log)), encoding="utf-8")
    path = os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path}, log


def test_the_plugin_worker_starts_before_the_case_is_opened(tmp_path: Path) -> None:
    # issue 19, figure 1: the worker's start (a new Python loading the plugins) runs
    # while this process opens the case, on the core that leaves idle, not while the
    # first file's digests and copies need both cores; the pipeline takes that worker
    from tests.helpers.files import make_jpeg

    case = new_case(tmp_path / "case", settle=0.0)
    data = make_jpeg(exif_time="2024:02:28 07:45:00")
    drop(case, "car.jpg", data)
    env, log = _order_env(tmp_path)
    proc = ok(run_intake("ingest", "--json", "--case", case, env=env, timeout=300))
    assert json.loads(proc.stdout)["outcomes"] == {"settled": 1}
    # one worker, started first, and no second one: the early one did the work
    assert log.read_text().splitlines() == ["process _worker_main", "case opened"]
    sha = hashlib.sha256(data).hexdigest()
    record = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    assert (record["facts"]["width"], record["facts"]["height"]) == (64, 48), record["facts"]


def test_no_early_worker_for_an_empty_inbox_or_in_process(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    (case / "inbox" / "ingested").mkdir(exist_ok=True)  # taken files do not count
    env, log = _order_env(tmp_path)
    ok(run_intake("ingest", "--case", case, env=env))
    assert log.read_text().splitlines() == ["case opened"]
    log.unlink()
    drop(case, "note.txt", b"Hij stond weer voor de deur om 21:40.\n")
    ok(run_intake("ingest", "--in-process", "--case", case, env=env))
    assert log.read_text().splitlines() == ["case opened"]
    assert (case / "inbox" / "ingested" / "note.txt").read_bytes() == \
        b"Hij stond weer voor de deur om 21:40.\n"

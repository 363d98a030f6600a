"""6. Safety of the data: owner-only files, plugins only from the configured places.

(No network connection during ingest, chronology and verify: test_offline.py.)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.helpers import (
    drop,
    ingest,
    make_jpeg,
    new_case,
    ok,
    run_intake,
    set_config,
)

MARKER_PLUGIN = '''
from pathlib import Path
Path({marker!r}).write_text("imported from " + __file__ + "\\n")
'''


def _loose(root: Path) -> list[str]:
    """Files and folders under `root` that anyone but the owner can read, write or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            continue
        if mode & 0o077:
            found.append(f"{oct(mode & 0o777)} {path.relative_to(root.parent)}")
    return found


def test_store_index_logs_and_reports_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual, permissive umask: intake must not rely on it
    try:
        case = tmp_path / "case"
        ok(run_intake("init", case))
        set_config(case, "settle_seconds = 1.0", "settle_seconds = 0.0")
        drop(case, "photo.jpg", make_jpeg(exif_time="2024:03:01 20:00:00"))
        drop(case, "note.txt", b"note\n")
        ingest(case, in_process=False)
        out = case / "reports"
        ok(run_intake("chronology", "--case", case, "--out", out,
                      "--format", "json,html,csv,pdf,bundle,ombudsman"))
        ok(run_intake("verify", "--case", case))
        ok(run_intake("repair", "--case", case))
        ok(run_intake("reindex", "--case", case))
    finally:
        os.umask(old)
    assert (case / ".intake" / "index.sqlite").is_file()
    assert list((case / "store" / "a" / "custody").glob("*.jsonl"))
    loose = _loose(case / "store") + _loose(case / ".intake") + _loose(out)
    assert loose == [], loose
    for rep in ("a", "b"):  # objects and metadata are read-only as well
        for p in (case / "store" / rep / "objects").rglob("*"):
            if p.is_file():
                assert os.stat(p).st_mode & 0o222 == 0, p


def test_plugins_load_only_from_the_folders_the_config_names(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    markers = {}
    for where in ("inbox", "inbox/sub", ".", "config", "plugins.local", "store/a"):
        folder = case / where
        folder.mkdir(parents=True, exist_ok=True)
        marker = tmp_path / f"imported-{where.replace('/', '_').replace('.', 'root')}"
        markers[where] = marker
        (folder / "evil_plugin.py").write_text(MARKER_PLUGIN.format(marker=str(marker)))
    # a plugin folder beside the case, not named in the config
    (tmp_path / "plugins.local").mkdir()
    (tmp_path / "plugins.local" / "evil_plugin.py").write_text(
        MARKER_PLUGIN.format(marker=str(tmp_path / "imported-outside")))
    drop(case, "note.txt", b"note\n")
    ingest(case, in_process=False)
    for args in (("plugins",), ("status",), ("verify",)):
        ok(run_intake(*args, "--case", case, cwd=case))
    ok(run_intake("chronology", "--case", case, "--out", tmp_path / "out", "--format", "json",
                  cwd=case))
    imported = sorted(p.name for p in tmp_path.glob("imported-*"))
    assert imported == [], imported
    # the .py files dropped into the inbox are stored as evidence, never run
    assert (case / "inbox" / "ingested" / "evil_plugin.py").is_file()

    # and the check can fail: a folder the config names is loaded
    (case / "plugins.local" / "evil_plugin.py").unlink()
    (case / "plugins.local" / "named_plugin.py").write_text(
        MARKER_PLUGIN.format(marker=str(tmp_path / "imported-named")))
    set_config(case, "folders = []", 'folders = ["plugins.local"]')
    ok(run_intake("plugins", "--case", case))
    assert (tmp_path / "imported-named").is_file()

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

"""A small case for the web tests: made in code, stored by the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers.court_case import make_inbox

INTAKE = Path(sys.executable).with_name("intake")


def intake(case: Path, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([str(INTAKE), "--case", str(case), *args], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def make_case(folder: Path, *, with_files: bool = True) -> Path:
    """A case folder (language English, so the tests read English words), its inbox
    stored: a WhatsApp chat with the night clocks go back, SMS, calls, e-mails, a
    logbook, a picture and an empty file (tests/chronology/court_case.py)."""
    case = folder / "case"
    intake(case.parent, "init", str(case))
    toml = case / "config" / "intake.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('language = "nl"',
                                                             'language = "en"'),
                    encoding="utf-8")
    if with_files:
        make_inbox(case / "inbox")
        intake(case, "ingest")
    return case

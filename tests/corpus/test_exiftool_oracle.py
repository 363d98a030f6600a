"""ExifTool as the oracle of capture times, file by file (issue 14, point 1).

Every picture of ``../shared/corpus/`` goes through the real pipeline (``intake
ingest``, ``intake chronology``); ExifTool, run here as a subprocess, says what
capture time each file holds (DateTimeOriginal, else CreateDate, with their
sub-seconds and offsets; QuickTime's CreateDate is UTC by the standard). For
each file with one, that time must be among intake's claims with the same wall
time and offset, and be the claim the chronology *chooses*, unless the file is
listed in ``DIFFERENCES`` with its reason. ExifTool is needed by this test only,
never by intake; `.ci/run` installs it (Debian ``libimage-exiftool-perl``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.case import chronology_doc, ingest

pytestmark = pytest.mark.corpus

INTAKE = Path(sys.executable).with_name("intake")
FOLDERS = ("images", "screenshots")

#: Files where intake rightly or knowingly differs from ExifTool: one line each, the reason.
DIFFERENCES: dict[str, str] = {}

_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def capture_time(tags: dict) -> tuple[str, str | None, str] | None:
    """(ISO wall time, offset or None, ExifTool tag) of a file's capture time, or None."""
    for name in ("DateTimeOriginal", "CreateDate"):
        found = [(k, str(v)) for k, v in tags.items() if k.split(":")[-1] == name
                 or k == f"Composite:SubSec{name}"]
        # the composite joins sub-seconds and offset; then EXIF, XMP, the rest
        found.sort(key=lambda kv: (not kv[0].startswith("Composite:"),
                                   not kv[0].startswith("ExifIFD:"),
                                   not kv[0].startswith("XMP"), kv[0]))
        for key, value in found:
            m = _TIME.match(value.strip())
            if not m:
                continue  # a blank placeholder ("    :  :  ") is no time
            y, mo, d, h, mi, s, frac, off = m.groups()
            local = f"{y}-{mo}-{d}T{h}:{mi}:{s}{frac or ''}"
            if off is None and key.startswith("QuickTime:"):
                off = "Z"
            if off == "Z":
                off = "+00:00"
            return local, off, key
    return None


def _same(claim: dict, local: str, offset: str | None) -> bool:
    if not claim["local"].startswith(local) or len(claim["local"]) > len(local) + 7:
        return False
    return offset is None or claim["offset"] == offset


@pytest.fixture(scope="module")
def compared(corpus: Path, tmp_path_factory) -> dict[str, dict]:
    """For each corpus picture: ExifTool's capture time and the chronology's entry."""
    if shutil.which("exiftool") is None:
        if os.environ.get("CI"):
            pytest.fail("exiftool is missing: .ci/run must install libimage-exiftool-perl")
        pytest.skip("exiftool is not installed")
    files = sorted(p for f in FOLDERS for p in (corpus / f).rglob("*") if p.is_file())
    tags = json.loads(subprocess.run(
        ["exiftool", "-time:all", "-G1", "-a", "-s", "-json", *map(str, files)],
        capture_output=True, text=True, timeout=300).stdout)
    by_path = {Path(t["SourceFile"]).resolve(): t for t in tags}

    root = tmp_path_factory.mktemp("oracle")
    case = root / "case"
    subprocess.run([str(INTAKE), "init", str(case)], check=True, capture_output=True)
    for p in files:
        target = case / "inbox" / p.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)
    ingest(case, timeout=600)
    doc = chronology_doc(case, root / "out", timeout=600)
    entries = {}
    for e in doc["entries"] + doc["undated"]:
        entries.setdefault(e["sources"][0]["exhibit"], e)  # the item the event was read from
    out = {}
    for p in files:
        sha = hashlib.sha256(p.read_bytes()).hexdigest()
        out[p.relative_to(corpus).as_posix()] = {
            "exiftool": capture_time(by_path[p.resolve()]), "entry": entries.get(sha)}
    return out


def _pictures(corpus_root: Path) -> list[str]:
    return sorted(p.relative_to(corpus_root).as_posix() for f in FOLDERS
                  for p in (corpus_root / f).rglob("*") if p.is_file())


_ROOT = Path(os.environ.get("INTAKE_CORPUS",
                            Path(__file__).resolve().parents[2].parent / "shared" / "corpus"))


@pytest.mark.parametrize("rel", _pictures(_ROOT) if _ROOT.is_dir() else [])
def test_the_capture_time_exiftool_reads_is_the_one_intake_chooses(compared, rel):
    seen = compared[rel]
    expected, entry = seen["exiftool"], seen["entry"]
    if expected is None:
        return  # no capture time in the file: nothing to compare (point 5 covers the words)
    if rel in DIFFERENCES:
        pytest.xfail(DIFFERENCES[rel])
    local, offset, tag = expected
    assert entry is not None, f"{rel}: no chronology entry"
    among = [c for c in entry["claims"] if _same(c, local, offset)]
    assert among, (tag, local, offset, [(c["source"], c["local"], c["offset"])
                                        for c in entry["claims"]])
    chosen = entry["claims"][0]
    assert chosen["chosen"] and _same(chosen, local, offset), (
        tag, local, offset, chosen["source"], chosen["local"], chosen["offset"])


def test_agreement_figure(compared):
    """How many files with a capture time agree; every difference is a listed one."""
    have = {rel: s for rel, s in compared.items() if s["exiftool"]}
    agree = {rel for rel, s in have.items()
             if s["entry"] and _same(s["entry"]["claims"][0], *s["exiftool"][:2])}
    print(f"\nExifTool agreement: {len(agree)} of {len(have)} files with a capture time")
    assert set(have) - agree == set(DIFFERENCES) & set(have)
    assert len(have) >= 30

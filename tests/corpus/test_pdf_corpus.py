"""The PDF plugin over the real corpus, checked against MANIFEST.tsv recorded_times."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

import pytest  # noqa: E402
from intake.builtin import fallback  # noqa: E402
from intake.builtin import pdf_letters as plugin  # noqa: E402

from intake.testing import run_plugin  # noqa: E402

CORPUS = Path(os.environ.get("INTAKE_CORPUS", ROOT.parent / "shared" / "corpus"))
FILES = sorted(str(p.relative_to(CORPUS)) for p in (CORPUS / "pdf").rglob("*") if p.is_file()) \
    if (CORPUS / "pdf").is_dir() else []

pytestmark = pytest.mark.corpus

# A reference reading of the manifest's raw strings, independent of the plugin:
# D:YYYYMMDDHHmmSS then Z, +HH'mm' or nothing.
_REF = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'\d{2}'?)?")


@functools.cache
def _read(path: Path):
    """The plugin's reading of one file, once per run (scans are read by OCR: seconds)."""
    return run_plugin(plugin, path)


def _is_pdf(path: Path) -> bool:
    return b"%PDF-" in path.read_bytes()[:1024]


def _recorded(manifest, rel: str) -> str:
    return manifest[rel]["recorded_times"]


def _raw(recorded: str, key: str) -> str | None:
    m = re.search(key + r"""=(?:'([^']*)'|"([^"]*)"|None)""", recorded)
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


@pytest.mark.parametrize("rel", FILES)
def test_every_pdf_file_yields_an_extraction(corpus, manifest, rel):
    path = corpus / rel
    result = _read(path)
    if not _is_pdf(path):
        # Not a PDF inside at all: not ours; the fallback still lists it.
        assert result.extraction is None
        assert [r.status for r in result.runs] == ["not-mine"]
        assert run_plugin(fallback, path).extraction is not None
        return
    assert result.extraction is not None, result.runs
    assert [r.status for r in result.runs] == ["ok"]
    event = result.events[0]
    assert event.kind == "letter" and event.key == "document"
    recorded = _recorded(manifest, rel)
    if recorded.startswith("open failed"):
        assert any("could not be opened" in w for w in result.warnings)
        assert "damaged" in event.flags


@pytest.mark.parametrize("rel", FILES)
def test_info_dates_match_manifest(corpus, manifest, rel):
    recorded = _recorded(manifest, rel)
    if recorded.startswith("open failed") or "opened with password '(none)'" not in recorded \
            and "encrypted" in recorded:
        pytest.skip("not readable without a password or not openable")
    result = _read(corpus / rel)
    claims = {c.source: c for c in result.events[0].claims}
    for key in ("CreationDate", "ModDate"):
        raw = _raw(recorded, key)
        source = f"PDF Info {key}"
        if raw is None:
            assert source not in claims
            continue
        assert result.events[0].facts["dates_as_written"][f"Info {key}"] == raw
        m = _REF.match(raw)
        if not m or m.group(1) == "0000":
            assert source not in claims
            assert any(key in w for w in result.warnings)
            continue
        y, mo, d, hh, mi, ss, zone = m.groups()
        claim = claims[source]
        assert claim.local == f"{y}-{mo}-{d}T{hh}:{mi}:{ss}"
        if zone is None:
            assert claim.zone == "assumed"
        elif zone == "Z":
            assert claim.offset == "+00:00" and claim.utc == f"{y}-{mo}-{d}T{hh}:{mi}:{ss}Z"
        else:
            assert claim.offset == f"{zone[:3]}:{zone[4:6]}" and claim.zone == "explicit"
    pages = re.search(r"pages=(\d+)", recorded)
    if pages:
        assert result.facts["pages"] == int(pages.group(1))


@pytest.mark.parametrize("rel", FILES)
def test_xmp_create_date_matches_manifest(corpus, manifest, rel):
    recorded = _recorded(manifest, rel)
    if "opened with password" in recorded and "opened with password '(none)'" not in recorded:
        pytest.skip("the XMP of this file is encrypted with a user password")
    raw = _raw(recorded, "XMP xmp:CreateDate")
    result = _read(corpus / rel)
    if result.extraction is None:
        return
    claims = {c.source: c for c in result.events[0].claims}
    if raw is None:
        # The manifest's tool saw none; where we read one (e.g. under the old
        # ``xap:`` prefix of the same namespace), it must be written in the file.
        if "XMP xmp:CreateDate" in claims:
            written = result.events[0].facts["dates_as_written"]["XMP xmp:CreateDate"]
            assert written.encode() in (corpus / rel).read_bytes()
        return
    claim = claims["XMP xmp:CreateDate"]
    assert claim.local == raw[:19]
    assert (claim.zone == "assumed") is (len(raw) == 19)


@pytest.mark.parametrize("rel", FILES)
def test_encryption_matches_manifest(corpus, manifest, rel):
    recorded = _recorded(manifest, rel)
    result = _read(corpus / rel)
    if not result.events:
        return
    facts = result.events[0].facts
    m = re.search(r"encrypted R(\d) V(\d) .*?bits=(\d+).*?opened with password '([^']*)'", recorded)
    if not m:
        assert facts["encrypted"] is False
        return
    r, v, bits, password = m.groups()
    assert facts["encrypted"] is True
    assert facts["encryption"].endswith(f"{bits}-bit (R{r}, V{v})")
    if password == "(none)":
        assert "encrypted" in result.events[0].flags
        assert facts["pages"] is not None
    else:
        assert "password-protected" in result.events[0].flags
        assert "the PDF is protected with a password; its dates could not be read" in result.warnings
        assert not [c for c in result.events[0].claims if c.source.startswith("PDF Info")]

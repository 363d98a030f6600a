"""The PDF plugin on documents built here with pikepdf: dates, XMP, revisions, passwords."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

import pikepdf  # noqa: E402
import pytest  # noqa: E402
from intake.builtin import pdf_letters as plugin  # noqa: E402

from intake.testing import run_plugin  # noqa: E402


def _new_pdf(path: Path, *, info: dict | None = None, xmp: dict | None = None,
             encryption: pikepdf.Encryption | None = None, **save) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.add_blank_page()
    for key, value in (info or {}).items():
        pdf.docinfo[key] = value
    if xmp:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key, value in xmp.items():
                meta[key] = value
    pdf.save(path, encryption=encryption or False, **save)
    pdf.close()
    return path


INFO = {"/CreationDate": "D:20210411154753+02'00'", "/ModDate": "D:20210412090000Z",
        "/Title": "Brief aan de buren", "/Author": "Jan Janssens",
        "/Producer": "LibreOffice 7.1", "/Creator": "Writer"}


def _claims(result) -> dict:
    return {c.source: c for c in result.events[0].claims}


def test_info_and_xmp_dates(tmp_path):
    path = _new_pdf(tmp_path / "brief.pdf", info=INFO,
                    xmp={"xmp:CreateDate": "2021-04-11T15:47:53+02:00",
                         "xmp:ModifyDate": "2021-04-12T11:00:00"})
    result = run_plugin(plugin, path)
    event = result.events[0]
    assert event.kind == "letter" and event.key == "document"
    assert event.who == "Jan Janssens"
    claims = _claims(result)
    created = claims["PDF Info CreationDate"]
    assert (created.meaning, created.local, created.offset, created.zone, created.utc) == (
        "created", "2021-04-11T15:47:53", "+02:00", "explicit", "2021-04-11T13:47:53Z")
    modified = claims["PDF Info ModDate"]
    assert (modified.meaning, modified.offset, modified.zone, modified.utc) == (
        "modified", "+00:00", "utc", "2021-04-12T09:00:00Z")
    assert claims["XMP xmp:CreateDate"].utc == "2021-04-11T13:47:53Z"
    xmp_mod = claims["XMP xmp:ModifyDate"]
    assert (xmp_mod.zone, xmp_mod.offset, xmp_mod.utc) == ("assumed", "+02:00", "2021-04-12T09:00:00Z")
    assert xmp_mod.confidence == "medium"
    facts = event.facts
    assert facts["title"] == "Brief aan de buren"
    assert facts["producer"] == "LibreOffice 7.1" and facts["creator"] == "Writer"
    assert facts["pages"] == 2
    assert facts["encrypted"] is False and facts["encryption"] is None
    assert facts["xmp_present"] is True
    assert facts["revisions"] == 1
    assert facts["dates_as_written"]["Info CreationDate"] == "D:20210411154753+02'00'"
    assert result.derived == () and result.warnings == []
    assert result.facts["pages"] == 2


def _append_update(original: bytes, new_info: str) -> bytes:
    """An incremental update as a PDF editor writes it: new Info, new xref, /Prev."""
    prev = int(re.findall(rb"startxref\s+(\d+)", original)[-1])
    with pikepdf.open(__import__("io").BytesIO(original)) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen[0]
    body = f"{size} 0 obj\n{new_info}\nendobj\n".encode()
    base = len(original)
    xref_at = base + len(body)
    xref = (f"xref\n0 1\n0000000000 65535 f \n{size} 1\n{base:010d} 00000 n \n"
            f"trailer\n<< /Size {size + 1} /Root {root} 0 R /Info {size} 0 R /Prev {prev} >>\n"
            f"startxref\n{xref_at}\n%%EOF\n").encode()
    return original + body + xref


def test_incremental_update_is_reported_and_kept(tmp_path):
    first = _new_pdf(tmp_path / "v1.pdf", info=INFO,
                     object_stream_mode=pikepdf.ObjectStreamMode.disable).read_bytes()
    updated = _append_update(first, "<< /Title (Gewijzigd) /CreationDate (D:20210411154753+02'00') "
                                    "/ModDate (D:20210501120000+02'00') >>")
    path = tmp_path / "v2.pdf"
    path.write_bytes(updated)
    result = run_plugin(plugin, path)
    event = result.events[0]
    assert "incremental-updates" in event.flags
    assert event.facts["revisions"] == 2
    assert event.facts["revision_ends"] == [len(first), len(updated)]
    assert event.facts["earlier_revisions"][0]["bytes"] == len(first)
    assert event.facts["title"] == "Gewijzigd"
    assert _claims(result)["PDF Info ModDate"].utc == "2021-05-01T10:00:00Z"
    assert len(result.derived) == 1
    earlier = result.derived[0]
    assert earlier.relation == "earlier-revision" and earlier.data == first
    assert earlier.event_key == "document" and earlier.mime == "application/pdf"
    assert any("2 revisions" in w for w in result.warnings)
    # The earlier revision read in turn shows the first ModDate.
    old = tmp_path / "old.pdf"
    old.write_bytes(earlier.data)
    again = run_plugin(plugin, old)
    assert _claims(again)["PDF Info ModDate"].utc == "2021-04-12T09:00:00Z"
    assert again.events[0].facts["revisions"] == 1


def test_password_protected_pdf(tmp_path):
    path = _new_pdf(tmp_path / "secret.pdf", info=INFO,
                    encryption=pikepdf.Encryption(user="geheim", owner="baas", R=6))
    result = run_plugin(plugin, path)
    event = result.events[0]
    assert result.extraction is not None
    assert "the PDF is protected with a password; its dates could not be read" in result.warnings
    assert event.facts["encrypted"] is True
    assert event.facts["encryption"] == "AES 256-bit (R6, V5)"
    assert {"password-protected", "no-date"} <= set(event.flags)
    assert event.claims == ()


def test_encrypted_with_empty_user_password_is_read(tmp_path):
    path = _new_pdf(tmp_path / "open.pdf", info=INFO,
                    encryption=pikepdf.Encryption(user="", owner="baas", R=4))
    result = run_plugin(plugin, path)
    event = result.events[0]
    assert event.facts["encrypted"] is True
    assert event.facts["encryption"] == "AES 128-bit (R4, V4)"
    assert "encrypted" in event.flags
    assert _claims(result)["PDF Info CreationDate"].utc == "2021-04-11T13:47:53Z"


def test_truncated_and_broken_pdfs_give_warnings(tmp_path):
    whole = _new_pdf(tmp_path / "whole.pdf", info=INFO).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[:300])
    result = run_plugin(plugin, cut)
    assert result.extraction is not None and result.events[0].kind == "letter"
    assert result.warnings
    assert [r.status for r in result.runs] == ["ok"]
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.3\nThis is not a valid PDF file\n%%EOF\n")
    broken = run_plugin(plugin, junk)
    assert any(w.startswith("the PDF is damaged and could not be opened:") for w in broken.warnings)
    assert "damaged" in broken.events[0].flags


def test_not_a_pdf_is_not_mine(tmp_path):
    path = tmp_path / "oops.pdf"
    path.write_bytes(b"oops\n")
    assert run_plugin(plugin, path).extraction is None


@pytest.mark.parametrize(("written", "local", "offset", "granularity", "malformed"), [
    ("D:20210411154753+02'00'", "2021-04-11T15:47:53", "+02:00", "second", False),
    ("D:20210411154753-05'30", "2021-04-11T15:47:53", "-05:30", "second", False),
    ("D:20210411154753Z", "2021-04-11T15:47:53", "Z", "second", False),
    ("D:20210411154753Z00'00'", "2021-04-11T15:47:53", "Z", "second", False),
    ("D:20210411154753", "2021-04-11T15:47:53", None, "second", False),
    ("20180611140829-04'00'", "2018-06-11T14:08:29", "-04:00", "second", False),
    ("D:202104111547", "2021-04-11T15:47:00", None, "minute", False),
    ("D:20210411", "2021-04-11", None, "day", False),
    ("D:2021", "2021-01-01", None, "year", False),
    ("D:20230410074654Z07'46'", "2023-04-10T07:46:54", "Z", "second", True),
    ("D:20210411154753+02'00'xyz", "2021-04-11T15:47:53", "+02:00", "second", True),
    ("D:20210411256000+02'00'", "2021-04-11", None, "day", True),
])
def test_pdf_date_strings(written, local, offset, granularity, malformed):
    claim, problem = plugin.parse_pdf_date(written, "PDF Info CreationDate", "created")
    assert (claim.local, claim.offset, claim.granularity) == (local, offset, granularity)
    assert bool(problem) is malformed
    assert ("malformed-date" in claim.flags) is malformed


@pytest.mark.parametrize("written", ["D:00000805034056", "D:20211341", "garbage", ""])
def test_unusable_pdf_dates_are_left_out(written):
    claim, problem = plugin.parse_pdf_date(written, "PDF Info CreationDate", "created")
    assert claim is None and problem


@pytest.mark.parametrize(("written", "local", "offset", "granularity"), [
    ("2016-01-19T12:38:47", "2016-01-19T12:38:47", None, "second"),
    ("2022-07-06T04:30:30-04:00", "2022-07-06T04:30:30", "-04:00", "second"),
    ("2022-07-06T04:30:30.25Z", "2022-07-06T04:30:30.250", "Z", "subsecond"),
    ("2022-07-06T04:30+01:00", "2022-07-06T04:30:00", "+01:00", "minute"),
    ("2022-07", "2022-07-01", None, "month"),
])
def test_xmp_date_strings(written, local, offset, granularity):
    claim, problem = plugin.parse_xmp_date(written, "XMP xmp:CreateDate", "created")
    assert (claim.local, claim.offset, claim.granularity, problem) == (local, offset, granularity, "")
    assert plugin.parse_xmp_date("0000-01-01T00:00:00Z", "XMP", "created")[0] is None

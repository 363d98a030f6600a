"""Small real audio, video and office containers, made in code for the tests."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import UTC, datetime

MAC_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def apple_meta(creationdate: str) -> bytes:
    """A QuickTime ``meta`` box (no version field) with Apple's creation date key."""
    key = b"com.apple.quicktime.creationdate"
    hdlr = _box(b"hdlr", b"\0" * 8 + b"mdta" + b"\0" * 13)
    keys = _box(b"keys", struct.pack(">II", 0, 1) + _box(b"mdta", key))
    value = creationdate.encode()
    data = _box(b"data", struct.pack(">II", 1, 0) + value)
    ilst = _box(b"ilst", struct.pack(">I", 8 + len(data)) + struct.pack(">I", 1) + data)
    return _box(b"meta", hdlr + keys + ilst)


def mp4(created: datetime | None, *, video: bool = False, brand: bytes = b"M4A ",
        seconds: int = 12, apple_created: str | None = None) -> bytes:
    """An MP4 with one sound (or video) track and mvhd creation time (UTC); with
    `apple_created`, an iPhone's ``com.apple.quicktime.creationdate`` too."""
    stamp = int((created - MAC_EPOCH).total_seconds()) if created else 0
    mvhd = _box(b"mvhd", struct.pack(">B3xIIII", 0, stamp, stamp, 1000, seconds * 1000)
                + struct.pack(">I", 0x00010000) + struct.pack(">H", 0x0100) + b"\0" * 10
                + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
                + b"\0" * 24 + struct.pack(">I", 2))
    handler = b"vide" if video else b"soun"
    mdhd = _box(b"mdhd", struct.pack(">B3xIIIIHH", 0, stamp, stamp, 44100, seconds * 44100,
                                     0x55C4, 0))
    hdlr = _box(b"hdlr", struct.pack(">B3xI", 0, 0) + handler + b"\0" * 12 + b"x\0")
    trak = _box(b"trak", _box(b"mdia", mdhd + hdlr))
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 0) + brand + b"isom")
    meta = apple_meta(apple_created) if apple_created else b""
    return ftyp + _box(b"moov", mvhd + trak + meta) + _box(b"mdat", b"\0" * 64)


def ogg_opus(tags: dict[str, str] | None = None) -> bytes:
    """An Ogg Opus voice note (as WhatsApp writes PTT-….opus), with Vorbis comments."""
    from mutagen.ogg import OggPage

    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    vendor = b"intake-test"
    comments = [f"{k}={v}".encode() for k, v in (tags or {}).items()]
    tags_packet = (b"OpusTags" + struct.pack("<I", len(vendor)) + vendor
                   + struct.pack("<I", len(comments))
                   + b"".join(struct.pack("<I", len(c)) + c for c in comments))
    out = io.BytesIO()
    for seq, (packet, granule, first) in enumerate(((head, 0, True), (tags_packet, 0, False),
                                                    (b"\xf8\xff\xfe", 48000 * 3, False))):
        page = OggPage()
        page.serial, page.sequence, page.position = 1234, seq, granule
        page.first, page.last = first, seq == 2
        page.packets = [packet]
        out.write(page.write())
    return out.getvalue()


def mp3(recorded: str | None = None) -> bytes:
    """A few silent MPEG-1 Layer III frames with an ID3v2 recording time (TDRC)."""
    frame = b"\xff\xfb\x90\x64" + b"\0" * 413
    data = frame * 40
    if recorded is None:
        return data
    from mutagen.id3 import ID3, TDRC

    tag = ID3()
    tag.add(TDRC(encoding=3, text=[recorded]))
    buf = io.BytesIO()
    tag.save(buf)
    return buf.getvalue() + data


def docx(created: str, modified: str, author: str) -> bytes:
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>Ingebrekestelling</dc:title><dc:creator>{author}</dc:creator>'
            f'<cp:lastModifiedBy>{author}</cp:lastModifiedBy>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{modified}</dcterms:modified>'
            '</cp:coreProperties>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://'
                   'schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document xmlns:w='urn:w'><w:body/></w:document>")
        z.writestr("docProps/core.xml", core)
    return buf.getvalue()


def odt(created: str, modified: str, author: str) -> bytes:
    meta = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
            ' xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"><office:meta>'
            f'<meta:initial-creator>{author}</meta:initial-creator><dc:creator>{author}</dc:creator>'
            f'<meta:creation-date>{created}</meta:creation-date><dc:date>{modified}</dc:date>'
            '</office:meta></office:document-meta>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
        z.writestr("meta.xml", meta, zipfile.ZIP_DEFLATED)
    return buf.getvalue()

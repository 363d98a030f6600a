"""Small real audio, video and office containers, made in code for the tests."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import UTC, datetime

MAC_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def apple_meta(creationdate: str | None = None, location: str | None = None) -> bytes:
    """A QuickTime ``meta`` box (no version field) with Apple's keys: the creation
    date and, with `location`, the place (``com.apple.quicktime.location.ISO6709``)."""
    values = [(b"com.apple.quicktime.creationdate", creationdate),
              (b"com.apple.quicktime.location.ISO6709", location)]
    values = [(k, v) for k, v in values if v is not None]
    hdlr = _box(b"hdlr", b"\0" * 8 + b"mdta" + b"\0" * 13)
    keys = _box(b"keys", struct.pack(">II", 0, len(values))
                + b"".join(_box(b"mdta", k) for k, _ in values))
    items = b""
    for n, (_, value) in enumerate(values, start=1):
        data = _box(b"data", struct.pack(">II", 1, 0) + value.encode())
        items += struct.pack(">I", 8 + len(data)) + struct.pack(">I", n) + data
    return _box(b"meta", hdlr + keys + _box(b"ilst", items))


def mp4(created: datetime | None, *, video: bool = False, brand: bytes = b"M4A ",
        seconds: int = 12, apple_created: str | None = None,
        apple_location: str | None = None) -> bytes:
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
    meta = (apple_meta(apple_created, apple_location) if apple_created or apple_location
            else b"")
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


def xyz_udta(iso6709: str) -> bytes:
    """A ``udta`` box with Android's ``©xyz`` place (ISO 6709 text)."""
    text = iso6709.encode()
    return _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(text), 0x15C7) + text))


def add_to_moov(movie: bytes, box: bytes) -> bytes:
    """`movie` with `box` appended inside its ``moov`` (which must be the last box,
    so that no chunk offset moves)."""
    pos = 0
    while pos + 8 <= len(movie):
        size = struct.unpack(">I", movie[pos:pos + 4])[0]
        if movie[pos + 4:pos + 8] == b"moov":
            assert pos + size == len(movie), "moov is not the last box"
            return movie[:pos] + struct.pack(">I", size + len(box)) + movie[pos + 4:] + box
        pos += size
    raise ValueError("no moov box")


def encoded_video(color: tuple[int, int, int], *, seconds: int = 2, created: str | None = None,
                  fmt: str = "mp4", size: tuple[int, int] = (64, 48)) -> bytes:
    """A real video (MPEG-4 Part 2 pictures, 10 frames a second, one colour) made
    with PyAV; `created` ("2024-10-05T19:14:30Z") is written as the movie header's time."""
    import tempfile
    from pathlib import Path

    import av
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"v.{fmt}"
        with av.open(str(path), "w", format=fmt) as out:
            if created:
                out.metadata["creation_time"] = created
            stream = out.add_stream("mpeg4", rate=10)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            picture = Image.new("RGB", size, color)
            for _ in range(seconds * 10):
                for packet in stream.encode(av.VideoFrame.from_image(picture)):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        return path.read_bytes()


def wav(seconds: int, rate: int = 8000) -> bytes:
    """Silent 16-bit mono PCM in a RIFF/WAVE file (a recorder app's .wav)."""
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * rate * seconds)
    return buf.getvalue()


def adts_aac(frames: int) -> bytes:
    """Raw AAC-LC in ADTS frames (44.1 kHz mono), as some recorders write .aac."""
    payload = b"\x21\x00\x49\x90\x02\x19\x00\x23\x80"
    size = 7 + len(payload)
    header = bytes([0xFF, 0xF1, (1 << 6) | (4 << 2), (1 << 6) | ((size >> 11) & 3),
                    (size >> 3) & 0xFF, ((size & 7) << 5) | 0x1F, 0xFC])
    return (header + payload) * frames


def amr(seconds: float, wide: bool = False) -> bytes:
    """AMR speech (Android's call and voice recorders): 50 frames a second of the
    highest mode, narrow-band (``#!AMR``) or wide-band (``#!AMR-WB``)."""
    frames = round(seconds * 50)
    if wide:
        return b"#!AMR-WB\n" + (bytes([8 << 3 | 4]) + b"\0" * 60) * frames
    return b"#!AMR\n" + (bytes([7 << 3 | 4]) + b"\0" * 31) * frames

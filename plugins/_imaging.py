"""Shared helpers of the photo and screenshot plugins (not a plugin itself).

Reads what an image file says about itself, without changing anything:

- EXIF (JPEG, TIFF, HEIC/HEIF, WebP, PNG ``eXIf``) through exifread;
- XMP packets, through the one XMP reader (plugins/_xmp.py);
- PNG chunks ``tIME``, ``tEXt``, ``zTXt``, ``iTXt`` and ``eXIf``;
- the pixel size and a structural check (is the file cut off?) through
  Pillow, with pillow-heif registered for HEIC/HEIF.

Every time found becomes a `TimeClaim` with the wall time as written and the
offset only when the file wrote one. Nothing here raises on a damaged file:
problems come back as plain-language warnings.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from intake import TimeClaim

from . import _iptc as iptc
from . import _jpeg as jpeg
from . import _makernotes as makernotes
from . import _xmp as xmp
from ._imagedates import (  # noqa: F401  (re-exported for the plugins and tests)
    _EXIF_DT,
    _ISO_DT,
    _OFFSET,
    _TEXT_DT,
    _TEXT_DT_MONTH_FIRST,
    _ZONE_ABBR,
    _month,
    _valid,
    clean_text,
    is_placeholder,
    norm_offset,
    parse_exif_datetime,
    parse_iso,
    parse_text_time,
)
from ._pil import pil  # Pillow (and pillow-heif) at the first picture, not at start-up

# exifread logs "no EXIF found" as a warning; that is not news for us.
logging.getLogger("exifread").setLevel(logging.ERROR)

#: The most XMP packets we look at in one picture (plugins/_xmp.py reads them).
MAX_XMP_PACKETS = 4
#: Largest decompressed PNG text chunk we read.
MAX_PNG_TEXT = 1024 * 1024

NON_IMAGE_MIMES = {"image/svg+xml"}


# (XMP property, source label, meaning, confidence)
XMP_TIMES = (
    ("exif:DateTimeOriginal", "XMP exif:DateTimeOriginal", "taken", "high"),
    ("exif:DateTimeDigitized", "XMP exif:DateTimeDigitized", "created", "high"),
    ("xmp:CreateDate", "XMP xmp:CreateDate", "created", "high"),
    ("photoshop:DateCreated", "XMP photoshop:DateCreated", "created", "medium"),
    ("xmp:ModifyDate", "XMP xmp:ModifyDate", "modified", "medium"),
)

# (date tag, sub-second tag, offset tag, source label, meaning, confidence)
EXIF_TIMES = (
    ("EXIF DateTimeOriginal", "EXIF SubSecTimeOriginal", "EXIF OffsetTimeOriginal",
     "EXIF DateTimeOriginal", "taken", "high"),
    ("EXIF DateTimeDigitized", "EXIF SubSecTimeDigitized", "EXIF OffsetTimeDigitized",
     "EXIF CreateDate", "created", "high"),
    ("Image DateTime", "EXIF SubSecTime", "EXIF OffsetTime",
     "EXIF ModifyDate", "modified", "medium"),
)

# PNG text keywords that hold a time: keyword -> (meaning, note)
PNG_TEXT_TIMES = {
    "creation time": ("created", "free text written by the program that saved the image"),
    "date:create": ("created", "written by ImageMagick: often when the file was converted"),
    "date:modify": ("modified", "written by ImageMagick: when the file was last changed"),
}


# --- reading ----------------------------------------------------------------


@dataclass
class ImageMeta:
    """Everything read from one image file."""

    mime: str
    exif: dict[str, Any] = field(default_factory=dict)  # exifread tags
    xmp: dict[str, str] = field(default_factory=dict)  # "exif:DateTimeOriginal" -> text
    png_text: dict[str, str] = field(default_factory=dict)  # keyword -> text
    png_time: str | None = None  # tIME as ISO (UTC)
    png_exif: bytes = b""
    width: int | None = None
    height: int | None = None
    image_format: str = ""
    user_comment: str = ""  # EXIF UserComment as Pillow reads it
    iptc: list[TimeClaim] = field(default_factory=list)  # IPTC-IIM creation times (_iptc)
    maker: makernotes.MakerNote | None = None  # a zone or time from the maker note
    warnings: list[str] = field(default_factory=list)
    opened: bool = False


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Pillow warns about odd EXIF on stderr; we report problems as warnings of our own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def is_image(mime: str) -> bool:
    return mime.startswith("image/") and mime not in NON_IMAGE_MIMES


def _tag_text(tags: dict[str, Any], key: str) -> str:
    tag = tags.get(key)
    if tag is None:
        return ""
    values = getattr(tag, "values", tag)
    if isinstance(values, list):
        if values and all(isinstance(v, int) for v in values) and len(values) > 1:
            try:
                return clean_text(bytes(values))
            except ValueError:
                return clean_text(getattr(tag, "printable", ""))
        return clean_text(getattr(tag, "printable", values))
    return clean_text(values)


def _read_exif(data: bytes) -> tuple[dict[str, Any], str | None]:
    import exifread  # at the first picture, not when the plugins load (every command)

    try:
        tags = exifread.process_file(io.BytesIO(data), details=False,
                                     extract_thumbnail=False)
    except Exception:  # exifread on a damaged block: the rest is still read
        return {}, "the EXIF block is damaged and could not be read"
    return dict(tags), None


def _read_maker_note(blob: bytes, meta: ImageMeta) -> None:
    """A zone or capture time from the maker note (_makernotes), for EXIF that has one."""
    make = _tag_text(meta.exif, "Image Make")
    if meta.exif and makernotes.may_hold_time(make):
        meta.maker = makernotes.read(blob, make)


def _png_chunks(data: bytes, meta: ImageMeta) -> str | None:
    """Read the PNG chunks we care about; return a damage message or None."""
    pos, end = 8, len(data)
    seen_iend = False
    bad_crc: list[str] = []
    while pos + 8 <= end:
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body_end = pos + 8 + length
        if body_end + 4 > end:
            return "the image is cut off (truncated): the file ends in the middle of the picture"
        body = data[pos + 8:body_end]
        crc = struct.unpack(">I", data[body_end:body_end + 4])[0]
        if zlib.crc32(ctype + body) != crc and ctype != b"IDAT":
            bad_crc.append(ctype.decode("latin-1"))
        name = ctype.decode("latin-1")
        try:
            if name == "tIME" and length == 7 and meta.png_time is None:
                y, mo, d, h, mi, s = struct.unpack(">HBBBBB", body)
                if _valid(y, mo, d, h, mi, min(s, 59)):
                    meta.png_time = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{min(s, 59):02d}"
            elif name == "tEXt":
                key, _, text = body.partition(b"\x00")
                _add_text(meta, key.decode("latin-1"), text.decode("latin-1"))
            elif name == "zTXt":
                key, _, rest = body.partition(b"\x00")
                text = _inflate(rest[1:])
                if text is not None:
                    _add_text(meta, key.decode("latin-1"), text.decode("latin-1"))
            elif name == "iTXt":
                key, _, rest = body.partition(b"\x00")
                compressed = rest[:1] == b"\x01"
                rest = rest[2:]
                _lang, _, rest = rest.partition(b"\x00")
                _tkey, _, text = rest.partition(b"\x00")
                if compressed:
                    text = _inflate(text) or b""
                _add_text(meta, key.decode("latin-1"), text.decode("utf-8", "replace"))
            elif name == "eXIf" and not meta.png_exif:
                meta.png_exif = body
        except (struct.error, UnicodeDecodeError):
            pass  # one odd chunk does not stop the others
        pos = body_end + 4
        if name == "IEND":
            seen_iend = True
            break
    if bad_crc:
        meta.warnings.append("some parts of the PNG file are damaged (checksum mismatch in "
                             + ", ".join(sorted(set(bad_crc))) + ")")
    if not seen_iend:
        return "the image is cut off (truncated): the file ends before its last part"
    return None


def _inflate(blob: bytes) -> bytes | None:
    try:
        obj = zlib.decompressobj()
        out = obj.decompress(blob, MAX_PNG_TEXT)
        return out
    except zlib.error:
        return None


def _add_text(meta: ImageMeta, key: str, text: str) -> None:
    if len(meta.png_text) < 200:
        meta.png_text.setdefault(key, text[:MAX_PNG_TEXT])


def _jpeg_damage(data: bytes) -> str | None:
    """Walk the JPEG's segments to its first scan; a scan with no end marker is cut off.

    Thumbnails inside APP1 are skipped with their segment, so their own end
    marker does not count.
    """
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return "the image is damaged: its structure cannot be followed"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker == 0xD9:
            return "the image is damaged: it has no picture data"
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2 or pos + 2 + length > end:
            return ("the image is cut off (truncated): the file ends in the middle of "
                    "the picture")
        pos += 2 + length
        if marker == 0xDA:  # start of scan: the picture data follows
            if data.find(b"\xff\xd9", pos) < 0:
                return ("the image is cut off (truncated): the file ends in the middle of "
                        "the picture")
            return None
    return "the image is cut off (truncated): the file ends before the picture data"


def _jpeg_exif(data: bytes) -> bytes | None:
    """The TIFF block of the first APP1 ``Exif`` segment of a JPEG, or None.

    Read here rather than left to exifread, which stops at an XMP APP1 that
    comes before the EXIF one.
    """
    for marker, body in jpeg.segments(data):
        if marker == 0xE1 and body[:6] == b"Exif\x00\x00":
            return body[6:]
    return None


def _heif_exif(data: bytes) -> bytes | None:
    """The TIFF block of a HEIC/AVIF picture's EXIF item as pillow(-heif) reads it, or None."""
    Image, _ImageOps = pil()
    try:
        with _quiet(), Image.open(io.BytesIO(data)) as im:
            raw = im.info.get("exif")
    except Exception:  # noqa: BLE001 - unreadable: exifread's answer stands
        return None
    if not isinstance(raw, bytes) or not raw:
        return None
    return raw[6:] if raw[:6] == b"Exif\x00\x00" else raw


def _heif_damage(data: bytes) -> str | None:
    pos, end = 0, len(data)
    while pos + 8 <= end:
        size = struct.unpack(">I", data[pos:pos + 4])[0]
        if size == 1 and pos + 16 <= end:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        elif size == 0:
            size = end - pos
        if size < 8:
            return "the image is damaged: its inner structure cannot be read"
        if pos + size > end:
            return "the image is cut off (truncated): the file ends before its last part"
        pos += size
    return None


def find_xmp_packets(data: bytes) -> list[bytes]:
    """Raw XMP packets found in the bytes (plugins/_xmp.py)."""
    return xmp.find_packets(data, MAX_XMP_PACKETS)


def parse_xmp(packet: bytes) -> dict[str, str]:
    """The known properties of an XMP packet, ``prefix:Name`` -> first text (plugins/_xmp.py)."""
    return xmp.first_values(packet)


def read_image(data: bytes, mime: str) -> ImageMeta:
    """Read the metadata of an image's bytes; never raises on bad input."""
    meta = ImageMeta(mime=mime)
    damage: str | None = None
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        damage = _png_chunks(data, meta)
        if meta.png_exif:
            exif_blob = meta.png_exif
            if exif_blob[:6] == b"Exif\x00\x00":
                exif_blob = exif_blob[6:]
            meta.exif, problem = _read_exif(exif_blob)
            if problem:
                meta.warnings.append(problem)
            _read_maker_note(exif_blob, meta)
        xmp_text = meta.png_text.get("XML:com.adobe.xmp", "")
        if xmp_text:
            meta.xmp = parse_xmp(xmp_text.encode("utf-8"))
    else:
        blob = data
        if data[:3] == b"\xff\xd8\xff":
            damage = _jpeg_damage(data)
            blob = _jpeg_exif(data) or data
            meta.iptc = iptc.iptc_claims(data, meta.warnings)
        elif data[4:8] == b"ftyp":
            damage = _heif_damage(data)
        meta.exif, problem = _read_exif(blob)
        if not meta.exif and data[4:8] == b"ftyp":
            # exifread cannot follow every HEIF/AVIF item layout (libheif's own, for one);
            # pillow-heif and pillow's AVIF reader hand over the EXIF block itself
            blob = _heif_exif(data) or blob
            if blob is not data:
                meta.exif, problem = _read_exif(blob)
        if problem:
            meta.warnings.append(problem)
        _read_maker_note(blob, meta)
    if not meta.xmp:
        for packet in find_xmp_packets(data):
            for k, v in parse_xmp(packet).items():
                meta.xmp.setdefault(k, v)
    _read_pixels(data, meta, check_decode=damage is None and not (
        data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n" or data[4:8] == b"ftyp"))
    if damage:
        meta.warnings.insert(0, damage + "; the times were read from what is there")
    return meta


def _read_pixels(data: bytes, meta: ImageMeta, check_decode: bool) -> None:
    """Pixel size (as stored, before rotation) and, for other formats, a decode check."""
    Image, _ImageOps = pil()
    try:
        with _quiet(), Image.open(io.BytesIO(data)) as im:
            meta.opened = True
            meta.image_format = im.format or ""
            width, height = im.size
            if im.format in ("HEIF", "AVIF") and im.info.get("original_orientation") in (5, 6, 7, 8):
                width, height = height, width  # pillow-heif has already turned it
            meta.width, meta.height = int(width), int(height)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    comment = im.getexif().get_ifd(0x8769).get(0x9286)
            except Exception:
                comment = None
            if isinstance(comment, bytes):
                comment = comment[8:] if comment[:8] in (b"ASCII\x00\x00\x00",
                                                        b"UNICODE\x00") else comment
            meta.user_comment = clean_text(comment)
            if check_decode and width * height <= Image.MAX_IMAGE_PIXELS:
                try:
                    im.load()
                except Exception:
                    meta.warnings.append("the image is damaged or cut off: its picture "
                                         "could not be read in full; the times were read "
                                         "from what is there")
    except Image.DecompressionBombError:
        meta.warnings.append("the image is too large to open safely; only its metadata "
                             "was read")
    except Exception:
        meta.warnings.append("the picture itself could not be opened (the file may be "
                             "damaged); its metadata was read where possible")


# --- claims -----------------------------------------------------------------


def _subsec(text: str) -> str:
    digits = clean_text(text)
    return digits[:6] if digits.isdigit() else ""


def exif_claims(meta: ImageMeta) -> list[TimeClaim]:
    """The EXIF date fields, each with its own sub-second and offset tag."""
    claims: list[TimeClaim] = []
    for tag, sub_tag, off_tag, source, meaning, confidence in EXIF_TIMES:
        raw = _tag_text(meta.exif, tag)
        in_ifd0 = False
        if not raw and tag not in meta.exif and tag.startswith("EXIF "):
            # some cameras of the 1990s wrote their capture time in IFD0 (ExifTool reads it)
            tag, sub_tag = tag.replace("EXIF ", "Image "), sub_tag.replace("EXIF ", "Image ")
            raw, in_ifd0 = _tag_text(meta.exif, tag), True
        if not raw and tag not in meta.exif:
            continue
        local = parse_exif_datetime(raw)
        if local is None:
            if not raw.replace(":", "").replace(" ", "").strip("0"):
                meta.warnings.append(f"{source} is blank or zero ({raw!r}): the camera's "
                                     "clock was probably never set")
            else:
                meta.warnings.append(f"{source} holds {raw!r}, which is not a date")
            continue
        granularity = "second"
        sub = _subsec(_tag_text(meta.exif, sub_tag))
        if sub:
            local = f"{local}.{sub}"
            granularity = "subsecond"
        offset = norm_offset(_tag_text(meta.exif, off_tag))
        flags: tuple[str, ...] = ()
        note = f"offset from {off_tag.split()[-1]}" if offset else ""
        if in_ifd0:
            note = "; ".join(n for n in (note, "written in IFD0, where some old cameras put it")
                             if n)
        if is_placeholder(local):
            flags = ("placeholder",)
            confidence = "low"
            note = "looks like a camera's default clock (never set)"
        claims.append(TimeClaim(local=local, offset=offset, source=source, meaning=meaning,
                                granularity=granularity, confidence=confidence, note=note,
                                flags=flags))
    return claims


def _fraction(value: Any) -> Fraction | None:
    try:
        if isinstance(value, Fraction):
            return value if value.denominator else None
        num, den = getattr(value, "num", None), getattr(value, "den", None)
        if num is not None and den:
            return Fraction(int(num), int(den))
        if isinstance(value, int):
            return Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError):
        return None
    return None


def _dms(tag: Any) -> Fraction | None:
    values = getattr(tag, "values", None)
    if not isinstance(values, list) or len(values) != 3:
        return None
    parts = [_fraction(v) for v in values]
    if any(p is None or p < 0 for p in parts):
        return None
    deg, mins, secs = parts
    return deg + mins / 60 + secs / 3600


def decimal_string(value: Fraction, places: int = 6) -> str:
    """A Fraction as a decimal string, rounded half-even, no floats involved."""
    scaled = round(value * 10**places)
    sign = "-" if scaled < 0 else ""
    scaled = abs(scaled)
    return f"{sign}{scaled // 10**places}.{scaled % 10**places:0{places}d}"


def gps_position(meta: ImageMeta) -> dict[str, str] | None:
    """GPS latitude/longitude as decimal strings, or None when absent or invalid."""
    tags = meta.exif
    if "GPS GPSLatitude" not in tags or "GPS GPSLongitude" not in tags:
        return None
    lat, lon = _dms(tags["GPS GPSLatitude"]), _dms(tags["GPS GPSLongitude"])
    lat_ref = _tag_text(tags, "GPS GPSLatitudeRef").upper()[:1]
    lon_ref = _tag_text(tags, "GPS GPSLongitudeRef").upper()[:1]
    if lat is None or lon is None or lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        meta.warnings.append("the GPS position in the file could not be read")
        return None
    if lat > 90 or lon > 180:
        meta.warnings.append("the GPS position in the file is out of range")
        return None
    if lat_ref == "S":
        lat = -lat
    if lon_ref == "W":
        lon = -lon
    return {"lat": decimal_string(lat), "lon": decimal_string(lon)}


def gps_claim(meta: ImageMeta) -> TimeClaim | None:
    """GPS date + time stamp (UTC by definition), or None."""
    tags = meta.exif
    date_raw = _tag_text(tags, "GPS GPSDate")
    stamp = tags.get("GPS GPSTimeStamp")
    if not date_raw or stamp is None:
        return None
    m = re.match(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})\s*$", date_raw)
    values = getattr(stamp, "values", None)
    parts = [_fraction(v) for v in values] if isinstance(values, list) and len(values) == 3 else []
    if not m or not parts or any(p is None or p < 0 for p in parts):
        meta.warnings.append(f"the GPS date and time ({date_raw!r}) could not be read")
        return None
    h, mi, sec = parts
    if h.denominator != 1 or mi.denominator != 1 or h >= 24 or mi >= 60 or sec >= 61:
        meta.warnings.append("the GPS time in the file could not be read")
        return None
    y, mo, d = (int(g) for g in m.groups())
    whole = int(sec)
    if whole > 59:
        whole = 59
    if not _valid(y, mo, d, int(h), int(mi), whole):
        meta.warnings.append(f"the GPS date ({date_raw!r}) is not a real date")
        return None
    local = f"{y:04d}-{mo:02d}-{d:02d}T{int(h):02d}:{int(mi):02d}:{whole:02d}"
    granularity = "second"
    rest = sec - whole
    if rest:
        digits = decimal_string(rest, 3).split(".")[1].rstrip("0") or "0"
        local += f".{digits}"
        granularity = "subsecond"
    return TimeClaim(local=local, offset="Z", zone="utc", source="EXIF GPS date and time (UTC)",
                     meaning="taken", granularity=granularity, confidence="medium",
                     note="the time of the GPS fix, in UTC; it can be a little older "
                          "than the photo")


def derive_gps_offset(local: str, gps: TimeClaim) -> tuple[str, timedelta] | None:
    """The offset between a camera wall time and the GPS UTC time, to 15 minutes.

    Returns (offset, residual) or None when they are more than 14 hours apart.
    """
    try:
        camera = datetime.fromisoformat(local)
        utc = datetime.fromisoformat(gps.local)
    except ValueError:
        return None
    diff = camera - utc
    if abs(diff) > timedelta(hours=14):
        return None
    quarter = timedelta(minutes=15)
    steps, rest = divmod(diff, quarter)
    if rest * 2 >= quarter:
        steps += 1
    offset = steps * quarter
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    return f"{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}", diff - offset


def apart(a: str, b: str) -> str:
    """How far apart two wall times are, in words (hours and minutes)."""
    delta = abs(datetime.fromisoformat(a) - datetime.fromisoformat(b))
    minutes = int(delta.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    text = f"{minutes // 60} h {minutes % 60} min"
    return f"{days} days {text}" if days else text


def xmp_claims(meta: ImageMeta) -> list[TimeClaim]:
    claims: list[TimeClaim] = []
    for prop, source, meaning, confidence in XMP_TIMES:
        raw = meta.xmp.get(prop)
        if not raw:
            continue
        parsed = parse_iso(raw)
        if parsed is None:
            meta.warnings.append(f"{source} holds {raw!r}, which is not a date")
            continue
        local, offset, granularity = parsed
        flags: tuple[str, ...] = ()
        note = ""
        conf = confidence
        if granularity in ("second", "subsecond") and is_placeholder(local[:19]):
            flags, conf, note = ("placeholder",), "low", "looks like a default clock (never set)"
        claims.append(TimeClaim(local=local, offset=offset, source=source, meaning=meaning,
                                granularity=granularity, confidence=conf, flags=flags, note=note))
    return claims


def png_claims(meta: ImageMeta) -> list[TimeClaim]:
    claims: list[TimeClaim] = []
    if meta.png_time:
        claims.append(TimeClaim(local=meta.png_time, offset="Z", zone="utc",
                                source="PNG tIME", meaning="modified", confidence="medium",
                                note="the PNG's last-modified time, in UTC by definition"))
    for key, text in meta.png_text.items():
        wanted = PNG_TEXT_TIMES.get(key.lower())
        if not wanted:
            continue
        meaning, why = wanted
        parsed = parse_text_time(text)
        if parsed is None:
            meta.warnings.append(f"the PNG text {key!r} holds {text[:60]!r}, "
                                 "which could not be read as a time")
            continue
        local, offset, granularity, note = parsed
        claims.append(TimeClaim(local=local, offset=offset, source=f'PNG text "{key}"',
                                meaning=meaning, granularity=granularity,
                                confidence="medium",
                                note="; ".join(n for n in (why, note) if n)))
    return claims


def maker_note_claims(meta: ImageMeta, claims: list[TimeClaim]) -> list[TimeClaim]:
    """The camera clock's claims with the maker note's offset where EXIF wrote none,
    and the capture time a maker note alone holds (Reconyx)."""
    maker = meta.maker
    if maker is None:
        return claims
    out = []
    for claim in claims:
        if maker.offset and not claim.offset and claim.source.startswith("EXIF "):
            note = "; ".join(n for n in (claim.note, maker.offset_note) if n)
            claim = replace(claim, offset=maker.offset, zone="explicit", note=note)
        out.append(claim)
    if maker.taken:
        placeholder = is_placeholder(maker.taken)
        out.append(TimeClaim(
            local=maker.taken, source=maker.taken_source, meaning="taken",
            confidence="low" if placeholder else "high",
            flags=("placeholder",) if placeholder else (),
            note="the capture time, written only in the camera maker's own block"))
    return out


def all_claims(meta: ImageMeta) -> list[TimeClaim]:
    """Every time the file states, side by side, with the GPS-derived zone applied.

    When EXIF DateTimeOriginal has no offset and a GPS UTC stamp lies within
    14 hours of it, the DateTimeOriginal claim gets the offset between the
    two (rounded to 15 minutes) with ``zone="gps"``.
    """
    claims = maker_note_claims(meta, exif_claims(meta))
    gps = gps_claim(meta)
    if gps:
        for n, claim in enumerate(claims):
            if claim.source != "EXIF DateTimeOriginal" or "placeholder" in claim.flags:
                continue
            derived = derive_gps_offset(claim.local, gps)
            if derived is None:
                meta.warnings.append(
                    f"the camera's clock ({claim.local}) and the GPS time ({gps.local} UTC) "
                    f"are {apart(claim.local, gps.local)} apart, more than any time zone: "
                    "one of them is wrong")
                continue
            offset, residual = derived
            if claim.offset:
                if abs(residual) > timedelta(minutes=15) or offset != claim.offset:
                    meta.warnings.append(
                        f"the offset written in the file ({claim.offset}) and the one the GPS "
                        f"time suggests ({offset}) differ")
                continue
            claims[n] = TimeClaim(
                local=claim.local, offset=offset, zone="gps", source=claim.source,
                meaning=claim.meaning, granularity=claim.granularity,
                confidence="high" if abs(residual) <= timedelta(minutes=2) else "medium",
                note=f"no offset in the file; {offset} derived from the GPS UTC time "
                     f"{gps.local} (camera time minus GPS time, rounded to 15 minutes)")
        claims.append(gps)
    claims += meta.iptc
    claims += xmp_claims(meta)
    claims += png_claims(meta)
    return claims


def fs_claims(fs_times: dict[str, str]) -> list[TimeClaim]:
    """The file system times, as low-confidence claims, for images with no time inside."""
    claims = []
    for key, label in (("mtime", "file modified time"), ("birthtime", "file created time")):
        value = fs_times.get(key)
        if value:
            claims.append(TimeClaim(local=value.rstrip("Z"), offset="Z", zone="utc",
                                    source=label, meaning="filed", confidence="low",
                                    note="the image holds no time of its own; this says only "
                                         "when the file was last written"))
    return claims


# --- facts ------------------------------------------------------------------


def image_facts(meta: ImageMeta) -> dict[str, Any]:
    """Plain-JSON facts: make, model, width, height, gps, software, orientation."""
    facts: dict[str, Any] = {}
    make = _tag_text(meta.exif, "Image Make") or meta.xmp.get("tiff:Make", "")
    model = _tag_text(meta.exif, "Image Model") or meta.xmp.get("tiff:Model", "")
    if make:
        facts["make"] = make[:200]
    if model:
        facts["model"] = model[:200]
    if meta.width and meta.height:
        facts["width"], facts["height"] = meta.width, meta.height
    gps = gps_position(meta)
    if gps:
        facts["gps"] = gps
    software = (_tag_text(meta.exif, "Image Software") or meta.xmp.get("xmp:CreatorTool", "")
                or meta.png_text.get("Software", ""))
    if software:
        facts["software"] = clean_text(software)[:200]
    orientation = meta.exif.get("Image Orientation")
    values = getattr(orientation, "values", None)
    if isinstance(values, list) and values and isinstance(values[0], int) and 1 <= values[0] <= 8:
        facts["orientation"] = values[0]
    if meta.image_format:
        facts["format"] = meta.image_format
    return facts


def camera_label(facts: dict[str, Any]) -> str:
    make, model = facts.get("make", ""), facts.get("model", "")
    if make and model.lower().startswith(make.lower().split()[0]):
        return model
    return " ".join(p for p in (make, model) if p)


# --- pictures -----------------------------------------------------------------


def thumbnail_png(data: bytes, size: int) -> bytes | None:
    """A PNG of the image, longest side `size`; None when it cannot be made safely."""
    if size <= 0:
        return None
    Image, ImageOps = pil()
    try:
        with _quiet(), Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            if width * height > Image.MAX_IMAGE_PIXELS:
                return None
            if im.format == "JPEG":
                im.draft("RGB", (size, size))
            im.load()
            pic = ImageOps.exif_transpose(im)
            if pic.mode not in ("RGB", "RGBA", "L", "LA"):
                pic = pic.convert("RGBA" if "transparency" in pic.info or "A" in pic.mode
                                  else "RGB")
            scale = Fraction(size, max(pic.size))
            new = (max(1, round(pic.size[0] * scale)), max(1, round(pic.size[1] * scale)))
            pic = pic.resize(new, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            pic.save(out, format="PNG", optimize=False)
            return out.getvalue()
    except Image.DecompressionBombError:
        return None
    except Exception:
        return None


#: A picture whose grey levels span less than this is flat (one colour): its
#: perceptual hash says nothing, and all flat pictures would look "the same".
FLAT_RANGE = 4


def perceptual_hash(data: bytes) -> str | None:
    """ImageHash's pHash of the picture, as hex; None when it cannot be decoded
    or is flat (a single colour, where every hash is alike)."""
    Image, _ImageOps = pil()
    try:
        import imagehash

        with _quiet(), Image.open(io.BytesIO(data)) as im:
            if im.size[0] * im.size[1] > Image.MAX_IMAGE_PIXELS:
                return None
            if im.format == "JPEG":
                im.draft("RGB", (512, 512))  # pHash looks at 32x32: decode small
            im.load()
            low, high = im.convert("L").getextrema()
            if high - low < FLAT_RANGE:
                return None
            return str(imagehash.phash(im))
    except Exception:
        return None

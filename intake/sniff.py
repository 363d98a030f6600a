"""The built-in content sniffer: magic numbers first, the name only for text.

Audio and video are told apart by their containers (an MP4 with only a sound
track is ``audio/mp4``, as phones write ``.m4a`` voice memos; Ogg Opus is
``audio/ogg``); a zip holding ``word/``, ``xl/`` or ``ppt/`` members, or an
OpenDocument ``mimetype``, is the office document it is.

Registered as a ``trylast`` implementation of ``intake_sniff`` so that any
plugin can recognise a type first.
"""

from __future__ import annotations

from pathlib import PurePath

from . import hookimpl

_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"PK\x05\x06", "application/zip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-outlook"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"BM", "image/bmp"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!", "application/vnd.rar"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"#!AMR", "audio/amr"),
)

#: Zip members that name an office document (the first 8 KiB hold the first
#: members' local headers; Word, Excel, PowerPoint and LibreOffice write
#: these near the start).
_OOXML = ((b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
          (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"))
_AUDIO_SUFFIXES = {".m4a", ".m4b", ".aac", ".mp3", ".opus", ".ogg", ".oga", ".amr", ".wav",
                   ".flac"}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}

_TEXT_BY_SUFFIX = {
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".eml": "message/rfc822",
    ".mbox": "application/mbox",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
}


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head:
        # UTF-16 text has NULs; accept it only with a byte order mark.
        return head[:2] in (b"\xff\xfe", b"\xfe\xff")
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # cut in the middle of a character
            return True
        # 8-bit legacy text (latin-1, cp1252): mostly printable bytes.
        printable = sum(1 for b in head if b >= 0x20 or b in b"\r\n\t")
        return printable / len(head) > 0.95


def _text_kind(head: bytes, name: str) -> str:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    lower = text[:2048].lower()
    if text.startswith(b"<?xml") or text.startswith(b"<smses") or text.startswith(b"<calls"):
        return "application/xml"
    if text.startswith(b"From ") and b"\n" in text:
        return "application/mbox"
    first_lines = text[:4096].split(b"\n", 30)
    header_like = sum(1 for line in first_lines[:30]
                      if line[:1] not in (b" ", b"\t") and b":" in line[:78]
                      and line.split(b":", 1)[0].replace(b"-", b"").isalnum())
    if (b"\nfrom:" in b"\n" + lower or b"\nreceived:" in b"\n" + lower
            or b"\nmessage-id:" in b"\n" + lower) and header_like >= 2:
        return "message/rfc822"
    if lower.startswith(b"<!doctype html") or lower.startswith(b"<html"):
        return "text/html"
    suffix = PurePath(name).suffix.lower()
    return _TEXT_BY_SUFFIX.get(suffix, "text/plain")


def _zip_kind(head: bytes) -> str:
    """An office document inside the zip container, or plain zip."""
    if head[30:38] == b"mimetype":  # OpenDocument: an uncompressed first member
        start = 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
        size = min(int.from_bytes(head[18:22], "little"), 100)
        mime = head[start:start + size].strip()
        if mime.startswith(b"application/vnd.oasis.opendocument."):
            return mime.decode("ascii", "replace")
    if b"[Content_Types].xml" in head:
        for member, mime in _OOXML:
            if b"PK\x03\x04" in head and member in head:
                return mime
    return "application/zip"


def _mp4_kind(head: bytes, brand: bytes, name: str) -> str:
    """Sound only (a voice memo, .m4a) or a film, from the brand and the tracks seen."""
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return "audio/mp4"
    if brand == b"qt  ":
        return "video/quicktime"
    film = {b"3gp": "video/3gpp", b"3g2": "video/3gpp2"}.get(brand[:3], "video/mp4")
    if b"vide" in head:
        return film
    if b"soun" in head or PurePath(name).suffix.lower() in _AUDIO_SUFFIXES:
        return "audio/mp4"
    return film


def _mpeg_audio(head: bytes) -> str:
    """MP3 or ADTS AAC frames without a tag in front; "" if neither."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return ""
    layer = (head[1] >> 1) & 0x3
    if layer == 0:
        return "audio/aac" if head[1] & 0xF6 == 0xF0 else ""
    version = (head[1] >> 3) & 0x3
    bitrate = head[2] >> 4
    if layer == 3 or version == 1 or bitrate in (0, 15) or (head[2] >> 2) & 0x3 == 3:
        return ""
    return "audio/mpeg"


def sniff_bytes(head: bytes, name: str = "") -> str:
    """The MIME type a file's first bytes show; ``application/octet-stream`` if unknown."""
    if not head:
        return "application/x-empty"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_kind(head)
    if head[:4] == b"OggS":
        return "video/ogg" if b"\x80theora" in head[:512] else "audio/ogg"
    for offset, magic, mime in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return mime
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image/avif" if brand == b"avif" else "image/heic"
        return _mp4_kind(head, brand, name)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    audio = _mpeg_audio(head)
    if audio:
        return audio
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if _looks_like_text(head):
        return _text_kind(head, name)
    return "application/octet-stream"


@hookimpl(trylast=True)
def intake_sniff(head: bytes, name: str) -> str | None:
    return sniff_bytes(head, name)

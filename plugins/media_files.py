"""Voice notes, audio and video: kept, their length and recording time read.

The sound and pictures are not transcribed or looked at: a person must
listen. What is cheap and reliable is read with mutagen, without decoding:
the container (MP4/M4A/MOV, Ogg Opus/Vorbis, MP3, AAC, FLAC, WAV...), the
length, the MP4 movie header's creation time (``mvhd``, UTC by the
standard), and recording dates in the tags (MP4 ``©day``, ID3 ``TDRC``,
Vorbis ``DATE``). A WhatsApp name (``PTT-20241005-WA0001.opus``,
``00000012-AUDIO-2024-10-05-21-14-00.opus``) gives its own claim. Every
item gets the warning "kept, not read: ..." so that ``status`` and the
report list it with the reason. A video's place (``©xyz``, Apple's ISO 6709
key) is a fact; its first picture, decoded with PyAV when installed, is its
thumbnail; AMR lengths are counted from the frames. See docs/plugins/audio.md
and docs/plugins/videos.md.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intake import N_, Event, Extraction, ItemView, TimeClaim, hookimpl

from . import _imaging as imaging
from . import _medianames as medianames
from . import _quicktime as quicktime

__version__ = "0.1.0"

_MAC_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
NOT_READ_AUDIO = ("kept, not read: the sound of a recording is not transcribed; listen to "
                  "it (only its length and times are read)")
NOT_READ_VIDEO = ("kept, not read: the pictures and sound of a video are not looked at; "
                  "watch it (only its length and times are read)")
UNREADABLE = ("kept, not read: the audio or video container could not be read (damaged, "
              "or a kind mutagen does not know)")


def _is_media(mime: str) -> bool:
    return mime.startswith("audio/") or mime.startswith("video/")


def _mvhd_created(path: Path) -> datetime | None:
    """The MP4 movie header's creation time (UTC), None when absent or zero."""
    from mutagen.mp4 import Atoms

    try:
        with open(path, "rb") as f:
            atoms = Atoms(f)
            mvhd = atoms.path(b"moov", b"mvhd")[-1]
            ok, data = mvhd.read(f)
    except Exception:
        return None
    if not ok or len(data) < 12:
        return None
    seconds = struct.unpack(">Q", data[4:12])[0] if data[0] == 1 else \
        struct.unpack(">I", data[4:8])[0]
    if not seconds:
        return None
    try:
        moment = _MAC_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None
    return moment if moment.year >= 1990 else None


def _tag_dates(tags) -> list[tuple[str, str]]:
    """(tag name, text) of the date tags a container holds."""
    found = []
    if tags is None:
        return found
    for key in ("\xa9day", "TDRC", "TDOR", "TDRL", "date", "DATE", "creation_time",
                "CREATION_TIME"):
        try:
            value = tags.get(key)
        except (KeyError, ValueError, TypeError):
            value = None
        if value is None:
            continue
        texts = getattr(value, "text", value)
        if isinstance(texts, str):
            texts = [texts]
        for text in texts or ():
            found.append((key, str(text)))
    return found


def _apple_claim(path: Path, video: bool) -> TimeClaim | None:
    """iPhone's ``com.apple.quicktime.creationdate``: the start, local, with its offset."""
    text = quicktime.creation_date(path)
    parsed = imaging.parse_iso(text) if text else None
    if not parsed:
        return None
    local, offset, granularity = parsed
    return TimeClaim(local=local, offset=offset,
                     source="QuickTime com.apple.quicktime.creationdate", meaning="taken" if video else "recorded", granularity=granularity,
                     confidence="high", note=f"as written: {text}")


def _local_in_utc_field(mvhd: datetime, apple: TimeClaim) -> bool:
    """True when the movie header holds the wall time of Apple's date (a device bug)."""
    if not apple.offset or apple.offset in ("Z", "+00:00", "-00:00"):
        return False
    wall = datetime.fromisoformat(apple.local[:19]).replace(tzinfo=UTC)
    return abs((mvhd - wall).total_seconds()) < 60


#: Bytes after the header byte of each AMR frame type (narrow- and wide-band); every
#: frame is 20 ms. Types not listed (reserved) end the count.
_AMR_NB = {0: 12, 1: 13, 2: 15, 3: 17, 4: 19, 5: 20, 6: 26, 7: 31, 8: 5, 15: 0}
_AMR_WB = {0: 17, 1: 23, 2: 32, 3: 36, 4: 40, 5: 46, 6: 50, 7: 58, 8: 60, 9: 5, 14: 0, 15: 0}
#: An AMR file longer than this is not counted frame by frame (about 5 hours).
AMR_MAX_BYTES = 64 * 1024 * 1024


def amr_seconds(path: Path) -> float | None:
    """The length of an AMR recording (Android's call and voice recorders), which
    mutagen does not read: its frames counted, 20 ms each; None if not AMR."""
    try:
        with open(path, "rb") as f:
            data = f.read(AMR_MAX_BYTES)
    except OSError:
        return None
    if data.startswith(b"#!AMR-WB\n"):
        sizes, pos = _AMR_WB, 9
    elif data.startswith(b"#!AMR\n"):
        sizes, pos = _AMR_NB, 6
    else:
        return None
    frames = 0
    while pos < len(data):
        size = sizes.get((data[pos] >> 3) & 0x0F)
        if size is None or pos + 1 + size > len(data):
            break
        pos += 1 + size
        frames += 1
    if not frames and pos < len(data):
        return None  # a header and then no frame at all: damaged, not a silent recording
    return frames * 0.02


def read_media(path: Path, video: bool = False,
               problems: list[str] | None = None) -> tuple[list[TimeClaim], dict, str]:
    """(claims, facts, problem) of an audio or video file; `problems` gets warnings."""
    import mutagen

    problems = [] if problems is None else problems

    try:
        media = mutagen.File(path)
    except Exception:
        media = None
    if media is None:
        seconds = amr_seconds(path)
        if seconds is None:
            return [], {}, UNREADABLE
        return [], {"container": "AMR", "duration_seconds": int(round(seconds)),
                    "duration_ms": int(round(seconds * 1000))}, ""
    facts: dict = {"container": type(media).__name__}
    length = getattr(getattr(media, "info", None), "length", None)
    if isinstance(length, int | float) and length >= 0:  # facts are plain JSON: no floats
        facts["duration_seconds"] = int(round(length))
        facts["duration_ms"] = int(round(length * 1000))
    claims: list[TimeClaim] = []
    mp4 = facts["container"] in ("MP4", "EasyMP4")
    created = _mvhd_created(path) if mp4 else None
    apple = _apple_claim(path, video) if mp4 else None
    if apple:
        claims.append(apple)
    if created:
        confidence, note = "medium", ("when the recording was written, in UTC by the MP4 "
                                      "standard (some devices write local time here)")
        if apple and _local_in_utc_field(created, apple):
            confidence, note = "low", ("this device wrote its local time into the movie "
                                       "header, which should hold UTC: the header is off by "
                                       f"the offset {apple.offset}")
            problems.append("the movie header (mvhd) holds local time, not UTC as the MP4 "
                            "standard says; the time in Apple's creation date is used")
        claims.append(TimeClaim(local=created.replace(tzinfo=None).isoformat(), offset="Z",
                                zone="utc", source="MP4 movie header (mvhd creation time)",
                                meaning="created", confidence=confidence, note=note))
    place = quicktime.location(path) if mp4 else None
    if place:  # ©xyz or Apple's ISO 6709 key: where the recording was made
        facts["gps"], facts["gps_source"] = place
    for key, text in _tag_dates(media.tags):
        parsed = imaging.parse_iso(text.replace(" ", "T", 1) if len(text) > 10 else text)
        if parsed:
            local, offset, granularity = parsed
            tag = key.replace(chr(0xa9), "©")
            claims.append(TimeClaim(local=local, offset=offset,
                                    source=f"{facts['container']} tag {tag}", meaning="created",
                                    granularity=granularity, confidence="medium",
                                    note=f"as written: {text}"))
    return claims, facts, ""


#: Packets read at most while looking for the first picture of a video.
FIRST_FRAME_PACKETS = 300


def first_frame_png(path: Path, size: int) -> bytes | None:
    """A PNG of a video's first picture, longest side `size`, or None.

    Decoded with PyAV (FFmpeg's libraries, bundled in its wheel) when it is
    installed; without it, or for a picture larger than pillow would open, or
    anything it cannot decode, there is simply no thumbnail.
    """
    try:
        import av
    except ImportError:
        return None
    from PIL import Image

    if size <= 0:
        return None
    try:
        with av.open(str(path), mode="r") as container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                return None
            ctx = stream.codec_context
            if (ctx.width or 0) * (ctx.height or 0) > Image.MAX_IMAGE_PIXELS:
                return None
            picture = None
            for n, packet in enumerate(container.demux(stream)):
                if n >= FIRST_FRAME_PACKETS:
                    break
                frames = packet.decode()
                if frames:
                    picture = frames[0].to_image()
                    break
    except Exception:  # noqa: BLE001 - a damaged or hostile video has no thumbnail
        return None
    if picture is None:
        return None
    picture.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()


@hookimpl
def intake_thumbnail(item: ItemView, size: int) -> bytes | None:
    if not item.mime.startswith("video/"):
        return None
    return first_frame_png(item.path, size)


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if not _is_media(item.mime):
        return None
    video = item.mime.startswith("video/")
    problems: list[str] = []
    claims, facts, problem = read_media(item.path, video, problems)
    named = medianames.media_kind(item.name)
    name_claim = medianames.name_claim(item.name) or medianames.device_claim(item.name)
    if name_claim:
        claims.append(name_claim)
    voice = named == "voice note" or (not video and item.mime == "audio/ogg"
                                      and item.suffix == ".opus")
    kind = "video" if video else "audio"
    facts["voice_note"] = voice
    facts["mime"] = item.mime
    warnings = [problem or (NOT_READ_VIDEO if video else NOT_READ_AUDIO), *problems]
    flags: tuple[str, ...] = ()
    if not claims:
        claims = imaging.fs_claims(dict(item.fs_times))
        flags = ("low-confidence-time",)
    what = "Voice message" if voice else "Video" if video else "Audio recording"
    seconds = facts.get("duration_seconds")
    timed = isinstance(seconds, int)
    summary = f"{what} ({seconds} s)" if timed else what
    if voice:
        message = N_("Voice message ({duration_seconds} s)") if timed else N_("Voice message")
    elif video:
        message = N_("Video ({duration_seconds} s)") if timed else N_("Video")
    else:
        message = (N_("Audio recording ({duration_seconds} s)") if timed
                   else N_("Audio recording"))
    event = Event(kind=kind, summary=summary, claims=tuple(claims), key="media",
                  facts=facts, flags=flags, message=message)
    return Extraction(events=(event,), warnings=tuple(warnings), facts=facts, kind=kind)

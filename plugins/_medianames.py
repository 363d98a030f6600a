"""The time a WhatsApp media file's name states (a helper, not a plugin).

Android names media ``IMG-20241005-WA0003.jpg`` (also ``VID-``, ``AUD-``,
``PTT-`` voice notes, ``DOC-``, ``STK-`` stickers): the day the file was
stored on the phone, sent or received. The iPhone export names its members
``00000007-PHOTO-2024-10-27-02-41-20.jpg``: the message's wall time to the
second. Neither says a zone: the claims carry no offset and the core reads
them in the case's zone (an hour repeated when clocks go back stays flagged
``dst-ambiguous``). Meaning ``sent``, confidence ``medium``: the chat
message the file is attached to gives the same time, to the minute or
second, and is preferred.
"""

from __future__ import annotations

import re
from datetime import datetime

from intake import TimeClaim

_ANDROID = re.compile(r"^(?P<kind>IMG|VID|AUD|PTT|DOC|STK)-(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})"
                      r"-WA\d{3,}", re.IGNORECASE)
_IPHONE = re.compile(r"^\d{8}-(?P<kind>PHOTO|VIDEO|AUDIO|GIF|STICKER|CONTACT|DOCUMENT|[A-Z]+)"
                     r"-(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})-(?P<h>\d{2})-(?P<mi>\d{2})"
                     r"-(?P<s>\d{2})")
KINDS = {"IMG": "photo", "VID": "video", "AUD": "audio", "PTT": "voice note", "DOC": "document",
         "STK": "sticker", "PHOTO": "photo", "VIDEO": "video", "AUDIO": "audio",
         "GIF": "animation", "STICKER": "sticker", "DOCUMENT": "document"}


#: Names phones' camera and recorder apps give (Android camera ``IMG_20241005_143012.jpg``,
#: ``VID_…``, Pixel ``PXL_20241005_143012345.mp4``, Samsung ``20241005_143012.mp4``, recorders
#: ``Recording_20241005_143012.m4a``, iOS Voice Memos in a backup ``20241005 143012-1A2B3C4D.m4a``).
_DEVICE = re.compile(
    r"^(?:(?P<prefix>IMG|VID|PXL|MVIMG|PANO|BURST\d*|AUD|REC|Recording|Voice|Sound"
    r"|Audio)[_ -]?)?(?P<y>(?:19|20)\d{2})(?P<mo>\d{2})(?P<d>\d{2})[_ -]"
    r"(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})(?!\d{4})", re.IGNORECASE)
#: Samsung's call recorder: ``Call recording Kevin_241005_143012.m4a`` (two-digit year).
_CALL = re.compile(r"^Call recording (?P<who>.+?)_(?P<yy>\d{2})(?P<mo>\d{2})(?P<d>\d{2})_"
                   r"(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})\b", re.IGNORECASE)
_AUDIO_PREFIXES = {"aud", "rec", "recording", "voice", "sound", "audio"}
AUDIO_SUFFIXES = (".m4a", ".opus", ".ogg", ".mp3", ".aac", ".wav", ".amr", ".3ga", ".flac")


def base_name(name: str) -> str:
    return re.split(r"[/\\]", name)[-1].strip()


def media_kind(name: str) -> str:
    """"voice note", "photo"... when the name is a WhatsApp media name, else ""."""
    base = base_name(name)
    m = _ANDROID.match(base) or _IPHONE.match(base)
    return KINDS.get(m.group("kind").upper(), "media") if m else ""


def name_claim(name: str) -> TimeClaim | None:
    """The claim of a WhatsApp media name, or None when the name is not one."""
    base = base_name(name)
    m = _ANDROID.match(base)
    if m:
        try:
            day = datetime(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
        except ValueError:
            return None
        return TimeClaim(local=day.date().isoformat(), source="WhatsApp media file name",
                         meaning="sent", granularity="day", confidence="medium",
                         note=f"as written in the name {m.group(0)!r}: the day WhatsApp stored "
                              "the file on the phone (sent or received); no zone")
    m = _IPHONE.match(base)
    if m:
        try:
            moment = datetime(*(int(m.group(k)) for k in ("y", "mo", "d", "h", "mi", "s")))
        except ValueError:
            return None
        return TimeClaim(local=moment.isoformat(), source="WhatsApp (iPhone) media file name",
                         meaning="sent", granularity="second", confidence="medium",
                         note=f"as written in the name {m.group(0)!r}: the message's wall "
                              "time on the phone; no zone")
    return None


def device_claim(name: str) -> TimeClaim | None:
    """The wall time a camera or recorder app wrote into the file's name, or None.

    Medium confidence, no zone: the app names the file from the phone's clock
    when it starts recording; a time inside the file, when there is one, is
    preferred. A copy keeps the name, so this is never a copy time.
    """
    base = base_name(name)
    m = _DEVICE.match(base)
    year = m and int(m.group("y"))
    audio = bool(m and ((m.group("prefix") or "").lower() in _AUDIO_PREFIXES
                        or base.lower().endswith(AUDIO_SUFFIXES)))
    if m is None:
        m = _CALL.match(base)
        year = m and 2000 + int(m.group("yy"))
        audio = True
    if m is None:
        return None
    try:
        moment = datetime(year, *(int(m.group(k)) for k in ("mo", "d", "h", "mi", "s")))
    except ValueError:
        return None
    return TimeClaim(local=moment.isoformat(), source="camera or recorder file name",
                     meaning="recorded" if audio else "taken", granularity="second",
                     confidence="medium",
                     note=f"as written in the name {m.group(0)!r} by the phone's camera or "
                          "recorder app when it started; no zone")

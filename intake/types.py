"""The data types every part of intake shares: plain, frozen values.

They depend on nothing else in the package, so plugins, the core and the
reports can all use them. Plugins build `TimeClaim`, `Event`, `DerivedItem`
and `Extraction`; the core builds `ItemView` and `CaseInfo` and resolves
claims into instants (see `intake.timeclaims`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: What a time claim says happened at that time.
MEANINGS = (
    "taken",  # a photo or screenshot was taken
    "sent",
    "received",
    "called",
    "written",  # a letter or logbook entry was written / dated
    "created",  # a document was created
    "modified",
    "recorded",  # a fact was recorded (logbook: when it was written down)
    "happened",  # the fact itself (logbook: when it happened)
    "filed",  # file system time: says only when a file was last touched
)

#: How precise the time as written is.
GRANULARITIES = ("subsecond", "second", "minute", "hour", "day", "month", "year")

#: How the zone of a claim was resolved.
ZONE_SOURCES = (
    "explicit",  # an offset written in the source (+02:00, Z, -0500)
    "utc",  # the source is UTC by definition (GPS, epoch milliseconds)
    "gps",  # the local time's offset was derived from a GPS UTC stamp
    "assumed",  # no offset in the source: read in the case's zone (core)
)

#: Categories of behaviour, set by plugins where they can tell, changeable
#: by the adviser. The empty string means "not categorised yet".
#: The zone local times without an offset are read in, unless the case's config names another.
DEFAULT_ZONE = "Europe/Brussels"

CATEGORIES = (
    "unwanted-communication",
    "following-or-waiting",
    "physical-approach-or-violence",
    "damage",
    "orders-in-victims-name",
    "contact-through-others",
)


@dataclass(frozen=True)
class TimeClaim:
    """A timestamp as a source states it, with where it came from.

    `local` is the wall-clock time as written, ISO 8601 without offset
    (``2021-04-11T15:47:53.054`` or ``2021-04-11`` for a day). `offset` is the
    offset written with it (``+02:00``, ``Z``) or None when the source gives
    none; the core then reads `local` in the case's zone and marks the claim
    ``assumed``. `utc`, `zone` and `flags` are filled in by the core when it
    resolves the claim; plugins may set `zone="gps"` or ``"utc"`` when they
    derived the offset themselves, and may add flags they can see (e.g.
    ``"placeholder"`` for a camera's default clock).
    """

    local: str
    source: str  # the field it was read from, e.g. "EXIF DateTimeOriginal"
    meaning: str  # one of MEANINGS
    offset: str | None = None
    granularity: str = "second"
    confidence: str = "high"
    zone: str = ""  # one of ZONE_SOURCES; "" = let the core decide
    note: str = ""
    flags: tuple[str, ...] = ()
    utc: str | None = None  # set by the core: ISO 8601 UTC with "Z"


@dataclass(frozen=True)
class Event:
    """Something that happened, for the timeline, as one item tells it.

    `key` identifies the event inside its item (message number, Message-ID,
    record number) so that derived items and other events can link to it.
    `facts` holds plain JSON values (str, int, bool, None, lists, dicts of
    those) read from the item: number, direction, duration, subject...
    """

    kind: str  # photo, screenshot, email, letter, message, sms, mms, call, logbook, file
    summary: str  # what happened, in plain words, as read
    claims: tuple[TimeClaim, ...] = ()
    key: str = ""
    who: str = ""  # sender / caller / author as written
    to: tuple[str, ...] = ()
    category: str = ""
    witnesses: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: What a reader is told, as a message id: English words marked with
    #: ``N_()`` whose ``{name}`` parameters are filled from `facts`, `who` and
    #: `to` (e.g. ``N_("Missed call from {number}")``). The reports translate it
    #: (intake/i18n.py); `summary` stays the English record of what was read.
    message: str = ""


@dataclass(frozen=True)
class DerivedItem:
    """Bytes found inside an item (an attachment, a zip member, an MMS part).

    The core stores them as an item of their own, linked to the parent, and
    reads them in turn. `name` is recorded as written and never used as a
    file path.
    """

    data: bytes
    name: str
    relation: str  # attachment, inline-image, zip-member, mms-part, ...
    event_key: str = ""  # the parent's event this belongs to, if any
    mime: str = ""  # as the parent declares it


@dataclass(frozen=True)
class Extraction:
    """What one plugin read from one item.

    `facts` are item-level values (camera make and model, page count, GPS
    position, perceptual hash); `warnings` are plain-language reasons why
    something could not be read.
    """

    events: tuple[Event, ...] = ()
    derived: tuple[DerivedItem, ...] = ()
    warnings: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    kind: str = ""  # what the plugin recognised the item as ("photo", "email"...)


@dataclass(frozen=True)
class ItemView:
    """What a plugin sees of an item: read-only access to its exact bytes.

    `path` is the read-only stored copy (never the inbox original). `name` is
    the original file name as received (for a derived item, the name its
    parent gave it); `mime` is what the content looks like (sniffed from the
    bytes, not the name); `head` is the first 8 KiB.
    """

    sha256: str
    path: Path
    name: str
    size: int
    mime: str
    head: bytes
    parent_sha256: str = ""
    relation: str = ""
    fs_times: Mapping[str, str] = field(default_factory=dict)  # mtime, ctime... UTC ISO
    received_at: str = ""  # UTC ISO, first receipt

    def read_bytes(self) -> bytes:
        """All of the item's bytes (plugins should prefer streaming for big files)."""
        return self.path.read_bytes()

    @property
    def suffix(self) -> str:
        """The lower-case extension of the original name, a hint only."""
        return Path(self.name).suffix.lower()


@dataclass(frozen=True)
class CaseInfo:
    """What a plugin may know of the case: its zone, language and OCR languages."""

    name: str = "case"
    timezone: str = DEFAULT_ZONE
    language: str = "nl"
    #: Tesseract's language codes for reading pictures (``[ocr] languages``); () = no OCR
    ocr_languages: tuple[str, ...] = ("nld", "fra", "eng")


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin, as `intake plugins` lists it."""

    name: str
    version: str
    origin: str  # builtin, entry-point, folder:<path>
    hooks: tuple[str, ...]

"""Photos: the times, camera and place an image file states about itself.

Reads EXIF (DateTimeOriginal with SubSecTimeOriginal and OffsetTimeOriginal;
CreateDate with its own sub-second and offset tags; ModifyDate with
OffsetTime; the GPS UTC date and time and position; make, model, software,
orientation) from JPEG, TIFF, HEIC/HEIF, WebP and PNG ``eXIf``; XMP dates;
PNG ``tIME`` and text times. Every time is one claim, side by side; when
DateTimeOriginal has no offset but a GPS UTC stamp is near it, the offset is
derived from GPS (``zone="gps"``). A WhatsApp media name
(``IMG-20241005-WA0003.jpg``, ``00000007-PHOTO-2024-10-27-02-41-20.jpg``)
adds its own claim. The perceptual hash (``phash``) of every picture is kept
so that the chronology links re-saved copies. See docs/plugins/photos.md.

A picture that looks like a page (mostly light, with ink) is read by OCR; when
it holds a letter's worth of text it becomes a ``letter`` event, and the date
written in it a claim (docs/plugins/ocr.md).

Screenshots are left to the ``screenshots`` plugin, which runs first.
"""

from __future__ import annotations

from intake import N_, Event, Extraction, ItemView, hookimpl

from . import _imaging as imaging
from . import _medianames as medianames
from . import _ocr as ocr
from . import _ocrdocs as ocrdocs

__version__ = "0.1.0"


def read_photo(item: ItemView) -> tuple[list, dict, list[str]]:
    """Claims, facts and warnings of an image item (shared with screenshots)."""
    data = item.read_bytes()
    meta = imaging.read_image(data, item.mime)
    claims = imaging.all_claims(meta)
    facts = imaging.image_facts(meta)
    phash = imaging.perceptual_hash(data)
    if phash:
        facts["phash"] = phash
    return claims, facts, list(dict.fromkeys(meta.warnings))


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if not imaging.is_image(item.mime):
        return None
    claims, facts, warnings = read_photo(item)
    name_claim = medianames.name_claim(item.name) or medianames.device_claim(item.name)
    if name_claim:
        claims.append(name_claim)
    camera = imaging.camera_label(facts)
    flags: tuple[str, ...] = ()
    if claims:
        what = "Photo taken" if any(c.meaning == "taken" for c in claims) else "Photo"
    else:
        claims = imaging.fs_claims(dict(item.fs_times))
        warnings.append("the image holds no date or time of its own")
        what, flags = "Photo", ("low-confidence-time",)
    summary = f"{what} ({camera})" if camera else what
    event_facts = {**facts, "camera": camera} if camera else dict(facts)
    taken = what == "Photo taken"
    message = ((N_("Photo taken with {camera}") if camera else N_("Photo taken")) if taken
               else (N_("Photo from {camera}") if camera else N_("Photo")))
    read = ocr.read_picture(item.read_bytes(), getattr(case, "ocr_languages", ()),
                            document_only=True)
    derived: list = []
    kind = "photo"
    if ocrdocs.is_letter(read):
        kind, summary, message = "letter", "Letter (picture of a page)", N_("Letter (picture of "
                                                                           "a page)")
    ocrdocs.add_reading(read, item, "photo", claims, event_facts, derived, warnings,
                        dated=kind == "letter")
    facts.update({k: v for k, v in read.facts().items() if k != "ocr_text"})
    event = Event(kind=kind, summary=summary, claims=tuple(claims), key="photo",
                  facts=event_facts, flags=flags, message=message)
    return Extraction(events=(event,), warnings=tuple(warnings), facts=facts, kind=kind,
                      derived=tuple(derived))


@hookimpl
def intake_thumbnail(item: ItemView, size: int) -> bytes | None:
    if not imaging.is_image(item.mime):
        return None
    return imaging.thumbnail_png(item.read_bytes(), size)

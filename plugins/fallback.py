"""Everything else: the file system times, as low-confidence claims.

``trylast``: it runs only when no other plugin recognised the item, so even a
file nobody understands gets a place on the timeline, clearly marked as
"only the file's own times".
"""

from __future__ import annotations

from intake import N_, Event, Extraction, ItemView, TimeClaim, hookimpl

from . import _medianames as medianames

FS_FIELDS = (("mtime", "file modified time"), ("birthtime", "file created time"))


@hookimpl(trylast=True)
def intake_extract(item: ItemView, case) -> Extraction:
    claims = []
    for key, label in FS_FIELDS:
        value = item.fs_times.get(key)
        if value:
            claims.append(TimeClaim(local=value.rstrip("Z"), offset="Z", source=label,
                                    meaning="filed", confidence="low", zone="utc",
                                    note="says only when the file was last written, "
                                         "not when the fact happened"))
    name_claim = medianames.name_claim(item.name)  # a WhatsApp DOC-… or sticker
    if name_claim:
        claims.insert(0, name_claim)
    warnings = []
    if item.size == 0:
        warnings.append("the file is empty (0 bytes)")
    event = Event(kind="file", summary=f"File {item.name} ({item.mime})", claims=tuple(claims),
                  key="file", flags=("low-confidence-time",),
                  facts={"name": item.name, "mime": item.mime, "size": item.size},
                  message=N_("File {name} ({mime})"))
    return Extraction(events=(event,), warnings=tuple(warnings), kind="file")

"""Where the copies really are: replicas grouped by the device that holds them.

Two folders on one disk protect against a flipped bit, not against a stolen or
broken laptop. Folder replicas are grouped by ``st_dev`` (shown with their
mount point), other kinds by their endpoint; a replica that is absent now (an
unplugged USB stick) counts as a device of its own. When every replica sits
on one device the case gets one plain warning, unless the config acknowledges
it (``store.one_device_ok = true``, for a test setup).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .messages import translate


@dataclass(frozen=True)
class Place:
    """The device of one replica."""

    replica: str
    key: str  # replicas with the same key share a device
    where: str  # mount point, endpoint, or the reason it is unknown
    free_bytes: int | None
    this_computer: bool  # the device that holds the case folder


def mount_point(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def place_of(rep: Any, case_dir: Path) -> Place:
    """The device a replica is on (folder kinds), or its endpoint (remote kinds)."""
    root = getattr(rep, "root", None)
    options = getattr(rep, "options", {}) or {}
    endpoint = options.get("endpoint_url") or options.get("endpoint")
    if root is None or endpoint:
        where = str(endpoint or options.get("bucket") or type(rep).__name__)
        return Place(rep.name, f"remote:{where}", where, None, False)
    try:
        dev = os.stat(root).st_dev
        free = shutil.disk_usage(root).free
    except OSError:
        return Place(rep.name, f"absent:{rep.name}", "not there now", None, False)
    here = os.stat(case_dir).st_dev == dev
    return Place(rep.name, f"dev:{dev}", str(mount_point(root)), free, here)


def where_copies_are(case: Any) -> dict[str, Any]:
    """The replicas grouped by device, and the one-device warning if it applies."""
    places = [place_of(rep, case.config.case_dir) for rep in case.replicas]
    groups: dict[str, list[Place]] = {}
    for p in places:
        groups.setdefault(p.key, []).append(p)
    devices = [{"where": ps[0].where, "replicas": [p.replica for p in ps],
                "free_bytes": ps[0].free_bytes, "this_computer": ps[0].this_computer}
               for ps in groups.values()]
    one = len(groups) == 1 and places[0].free_bytes is not None
    acknowledged = bool(getattr(case.config, "one_device_ok", False))
    warning = one_device_warning(len(places), places[0]) if one and not acknowledged else None
    return {"devices": devices, "one_device": one, "one_device_acknowledged": one and acknowledged,
            "one_device_warning": warning,  # English, like every reason in JSON
            "one_device_warning_shown": warning and translate(warning, case.config.language)}


def one_device_warning(copies: int, place: Place) -> str:
    """The warning in English (the record's language); `translate` gives nl and fr."""
    who = ("The only copy is" if copies == 1 else "Both copies are" if copies == 2
           else f"All {copies} copies are")
    if place.this_computer:
        return (f"{who} on this computer's disk. If the computer is lost or broken, the "
                "evidence is lost too. Add a USB stick or an archive (see docs/configuration.md).")
    return (f"{who} on one disk ({place.where}). If that disk is lost or broken, the "
            "evidence is lost too. Add a USB stick or an archive (see docs/configuration.md).")

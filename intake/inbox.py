"""What in the inbox is a candidate: the skip rules and the scan.

Temporary files of browsers, office programs and sync tools are skipped
until they become real files. Symbolic links are never followed (the
pipeline reports them and leaves them alone); ``ingested/`` is never scanned.
When a candidate is stable enough to take is decided by
``intake.runner.is_settled``.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

#: Names of files that are still being written by some program, or that a
#: system creates on its own. They are skipped, never stored.
TEMP_PATTERNS = (
    "*.part", "*.partial", "*.crdownload", "*.download", "*.opdownload", "*.tmp", "*.temp",
    "~$*", ".~lock.*#", "*.swp", "*.swx", "*.kate-swp", "*~", "*.!sync", "*.!qB", "*.aria2",
    ".DS_Store", "._*", "Thumbs.db", "desktop.ini", ".directory", "*.icloud",
    ".syncthing.*", "~syncthing~*", ".dropbox*", ".sync", ".~*", "*.sb-*",
    ".gitkeep", ".nomedia",
)


def is_temporary(name: str, extra: tuple[str, ...] = ()) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(name.lower(), p.lower())
               for p in TEMP_PATTERNS + extra)


def scan(inbox: Path, ignore: tuple[str, ...] = ()) -> Iterator[Path]:
    """Every candidate path under the inbox, without following links, sorted."""
    ingested = inbox / "ingested"
    half_made = inbox / ".ingested-new"  # inbox/ingested/ being made (intake.pipeline)
    stack = [inbox]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if (path == ingested and is_dir) or path == half_made:
                continue
            if is_dir:
                subdirs.append(path)
            elif not is_temporary(entry.name, ignore):
                yield path
        stack.extend(reversed(subdirs))

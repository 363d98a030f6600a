"""What in the inbox is ready to take: skip rules and the wait for stable files.

A file is taken once it is stable: its size and modification time have not
changed for ``settle_seconds``. Temporary files of browsers, office programs
and sync tools are skipped until they become real files. Symbolic links are
never followed (they are reported, and left alone); ``ingested/`` is never
scanned.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class Seen:
    size: int
    mtime_ns: int
    since: float


def scan(inbox: Path, ignore: tuple[str, ...] = ()) -> Iterator[Path]:
    """Every candidate path under the inbox, without following links, sorted."""
    ingested = inbox / "ingested"
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
            if path == ingested:
                continue
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(path)
            elif not is_temporary(entry.name, ignore):
                yield path
        stack.extend(reversed(subdirs))


class StabilityTracker:
    """Remembers when each path last changed; says which ones have settled."""

    def __init__(self, settle_seconds: float) -> None:
        self.settle = settle_seconds
        self.seen: dict[Path, Seen] = {}

    def observe(self, path: Path, now: float | None = None) -> bool:
        """True when `path` has not changed for settle_seconds (or is not a regular file)."""
        now = time.monotonic() if now is None else now
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            self.seen.pop(path, None)
            return False
        except OSError:
            return True  # unreadable: let the pipeline record why
        if not os.path.isfile(path) or os.path.islink(path):
            return True
        prev = self.seen.get(path)
        if prev is None or prev.size != st.st_size or prev.mtime_ns != st.st_mtime_ns:
            self.seen[path] = Seen(st.st_size, st.st_mtime_ns, now)
            return self.settle == 0
        return now - prev.since >= self.settle

    def forget(self, path: Path) -> None:
        self.seen.pop(path, None)

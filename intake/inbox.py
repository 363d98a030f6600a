"""What in the inbox is a candidate: the skip rules, the scan, and what is left.

Temporary files of browsers, office programs and sync tools are skipped
while they may still be written: a temporary-looking name is taken once it
has been unchanged for ``inbox.temporary_seconds`` (a victim may well name
evidence ``threat.tmp``, and a download may be abandoned half-way). Names
matching the adviser's ``inbox.ignore`` are never taken. Symbolic links are
never followed (the pipeline reports them and leaves them alone);
``ingested/`` is never scanned. Whatever stays in the inbox is listed, with
its reason, by `left_in_inbox` (``intake status``). When a candidate is
stable enough to take is decided here too, by `is_settled`.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .names import readable

#: Names of files that are still being written by some program, or that a
#: system creates on its own. They are taken only once unchanged for a while.
TEMP_PATTERNS = (
    "*.part", "*.partial", "*.crdownload", "*.download", "*.opdownload", "*.tmp", "*.temp",
    "~$*", ".~lock.*#", "*.swp", "*.swx", "*.kate-swp", "*~", "*.!sync", "*.!qB", "*.aria2",
    ".DS_Store", "._*", "Thumbs.db", "desktop.ini", ".directory", "*.icloud",
    ".syncthing.*", "~syncthing~*", ".dropbox*", ".sync", ".~*", "*.sb-*",
    ".gitkeep", ".nomedia",
)

HALF_MADE = ".ingested-new"  # inbox/ingested/ being made in place of a file of that name


def _match(name: str, patterns: tuple[str, ...]) -> str | None:
    if not _any_of(patterns).match(name) and not _any_of(patterns, lower=True).match(
            name.lower()):
        return None  # the usual answer, from one regular expression instead of ~60 fnmatch
    return next((p for p in patterns if fnmatch.fnmatchcase(name, p)
                 or fnmatch.fnmatchcase(name.lower(), p.lower())), None)


@functools.lru_cache(maxsize=64)
def _any_of(patterns: tuple[str, ...], lower: bool = False) -> re.Pattern[str]:
    """One expression matching what any of the patterns matches (as fnmatchcase)."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{fnmatch.translate(p.lower() if lower else p)})"
                               for p in patterns))


def is_temporary(name: str, extra: tuple[str, ...] = ()) -> bool:
    return _match(name, TEMP_PATTERNS + extra) is not None


def scan(inbox: Path, ignore: tuple[str, ...] = (),
         unreadable: list[tuple[Path, str]] | None = None) -> Iterator[Path]:
    """Every candidate path under the inbox, without following links, sorted.

    Temporary-looking names are included (the caller waits longer for them);
    names matching `ignore` are not. Folders that cannot be read are added to
    `unreadable` with the reason, when a list is given.
    """
    ingested = inbox / "ingested"
    half_made = inbox / HALF_MADE
    stack = [inbox]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            if unreadable is not None:
                unreadable.append((folder, exc.strerror or str(exc)))
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if (path == ingested and is_dir) or path == half_made:
                continue
            if is_dir:
                subdirs.append(path)
            elif not _match(entry.name, ignore):
                yield path
        stack.extend(reversed(subdirs))


def left_in_inbox(inbox: Path, ignore: tuple[str, ...], temporary_seconds: float,
                  settled_to: set[str], explained: set[str], rel: Any,
                  now: float | None = None) -> list[dict[str, str]]:
    """Everything the pipeline has not taken (yet) that no other list explains.

    Temporary-looking names (with when they will be taken), names the
    adviser's ``inbox.ignore`` skips, folders that cannot be read, files
    dropped straight into ``inbox/ingested/`` (where only stored originals
    belong), and files simply not looked at yet. Paths in `explained` (files
    not taken, originals waiting for copies: listed elsewhere with their
    reason) are left out. `rel` turns a path into its recorded form. Read-only.
    """
    now = time.time() if now is None else now
    out: list[dict[str, str]] = []
    unreadable: list[tuple[Path, str]] = []
    for path in scan(inbox, (), unreadable):
        name = path.name
        pattern = _match(name, ignore)
        if pattern:
            out.append({"path": readable(rel(path)), "kind": "ignored",
                        "reason": f"skipped: the name matches inbox.ignore pattern {pattern!r}"})
            continue
        pattern = _match(name, TEMP_PATTERNS)
        if pattern:
            try:
                st = os.lstat(path)
            except OSError:
                continue
            wait = temporary_seconds - (now - max(st.st_mtime, st.st_ctime))
            when = (f"in about {max(1, round(wait / 60))} minutes" if wait > 0
                    else "at the next run")
            out.append({"path": readable(rel(path)), "kind": "temporary",
                        "reason": f"the name looks like a file still being written ({pattern}); "
                                  f"it is taken once unchanged for {temporary_seconds:g} s "
                                  f"({when})"})
            continue
        recorded = readable(rel(path))
        if recorded not in explained and path != inbox / HALF_MADE:
            out.append({"path": recorded, "kind": "not-yet",
                        "reason": "not taken yet: the watcher takes it, or the next "
                                  "'intake ingest'"})
    for folder, why in unreadable:
        out.append({"path": readable(rel(folder)), "kind": "unreadable-folder",
                    "reason": f"this folder cannot be read ({why}); the files in it cannot be "
                              "taken until it can"})
    ingested = inbox / "ingested"
    if ingested.is_dir() and not ingested.is_symlink():
        for root, dirs, files in os.walk(ingested, onerror=lambda e: out.append(
                {"path": readable(rel(Path(e.filename))), "kind": "unreadable-folder",
                 "reason": f"this folder cannot be read ({e.strerror})"})):
            dirs.sort()
            for f in sorted(files):
                path = Path(root) / f
                recorded = readable(rel(path))
                if recorded in settled_to:
                    continue
                try:
                    if not stat.S_ISREG(os.lstat(path).st_mode):
                        continue
                except OSError:
                    continue
                out.append({"path": recorded, "kind": "in-ingested",
                            "reason": "dropped into inbox/ingested/, where intake only puts "
                                      "originals it has stored; it is not taken there: move "
                                      "it to the inbox"})
    return sorted(out, key=lambda e: e["path"])


def settle_time(path: Path, settle_seconds: float, temporary_seconds: float) -> float:
    """How long a file must stay unchanged: longer for a temporary-looking name."""
    return max(settle_seconds, temporary_seconds) if is_temporary(path.name) else settle_seconds


def is_settled(path: Path, settle_seconds: float, now: float | None = None) -> bool:
    """A file is ready when neither its content nor its metadata changed for a while."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    now = time.time() if now is None else now
    last = max(st.st_mtime, st.st_ctime)
    return now - last >= settle_seconds

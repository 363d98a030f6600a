"""Recovery: finishing what an interrupted run left (a drop stored but not yet
moved, ``reconcile``), making ``inbox/ingested/`` ready, and giving a replica
that was away or full what it lacks (``catch_up``)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from ..case import Case
from ..inbox import HALF_MADE
from ..names import candidates, readable
from ..recording import Step, record_line
from ..replica import copy_object, verified_copy, verified_meta


class Recovery:
    """What a run does first: finish the last run's work (a part of `Pipeline`)."""

    case: Case

    def prepare_inbox(self) -> bool:
        """Make inbox/ingested/ a real folder, whatever the victim dropped under that name.

        A regular file named ``ingested`` is evidence: it is taken like any file,
        before the others (see `first_ingested`), and settles into
        ``ingested/ingested``. A link or anything else of that name is set aside
        as ``ingested (link)``, with a custody line, so that no original is ever
        moved through it. False while the folder cannot be made.
        """
        cfg = self.case.config
        ingested = cfg.ingested_dir
        half = cfg.inbox / HALF_MADE
        if half.is_dir() and not half.is_symlink() and not os.path.lexists(ingested):
            os.rename(half, ingested)  # finish a move of a file named "ingested"
        try:
            st = os.lstat(ingested)
        except FileNotFoundError:
            try:
                ingested.mkdir()  # never parents: an inbox that vanished is not made again
            except FileExistsError:
                pass
            except OSError:
                return False
            return True
        if stat.S_ISDIR(st.st_mode):
            return True
        if stat.S_ISREG(st.st_mode):
            return False
        kind = "link" if stat.S_ISLNK(st.st_mode) else "special file"
        aside = cfg.inbox / f"ingested ({kind})"
        n = 2
        while os.path.lexists(aside):
            aside = cfg.inbox / f"ingested ({kind} {n})"
            n += 1
        os.rename(ingested, aside)
        self.case.log.event("warned", source=cfg.rel(ingested),
                            reason=f"a {kind} named 'ingested' was in the way of inbox/ingested/; "
                                   f"it was renamed to '{aside.name}' and left in the inbox")
        ingested.mkdir()
        return True

    def _move_file_named_ingested(self, path: Path) -> Path:
        """Put a file named "ingested" into a folder that then becomes inbox/ingested/."""
        half = path.parent / HALF_MADE
        half.mkdir(exist_ok=True)
        inside = half / "ingested"
        os.rename(path, inside)
        os.rename(half, path)  # the folder now stands where the file was
        return path / "ingested"

    def reconcile(self) -> int:
        """Finish drops whose original was moved to ingested/ by a run that was killed
        before it could log the move (the "settled" line); returns how many.

        The original is recognised by its place in ingested/ (the same sub-folders,
        perhaps with " (n)"), its size and modification time (a rename keeps both)
        and its SHA-256. Nothing is moved: only the missing line is written.
        """
        case = self.case
        cfg = case.config
        half = cfg.inbox / HALF_MADE
        if half.is_dir() and not half.is_symlink() and not os.path.lexists(cfg.ingested_dir):
            os.rename(half, cfg.ingested_dir)  # finish a move of a file named "ingested"
        prefix = cfg.rel(cfg.inbox) + "/"
        claimed = case.index.settled_to_paths()
        n = 0
        for r in case.index.unsettled_receipts(prefix):
            sources = [cfg.case_dir / c for c in candidates(r["source"])]
            if any(os.path.lexists(p) and not (p == cfg.ingested_dir and p.is_dir())
                   for p in sources):
                continue  # still in the inbox: the pipeline will take it
            target = next(filter(None, (self._moved_original(p, r, claimed) for p in sources)),
                          None)
            if target is None:
                continue
            rel_to = readable(cfg.rel(target))
            claimed.add(rel_to)
            with Step(case) as step:
                step.line("settled", sha256=r["sha256"], receipt=r["id"], source=r["source"],
                          moved_to=rel_to, reason="the move was finished before an "
                                                  "interruption; recorded on restart")
                step.index(lambda idx, rid=r["id"], to=rel_to: idx.settle_receipt(rid, to))
            n += 1
        # folders the originals were moved out of, left behind by a run killed just
        # after a move: nothing else is left at the top of a settled inbox
        folders = {(cfg.case_dir / s).parent for s in case.index.settled_sources(prefix)}
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != cfg.inbox and cfg.inbox in folder.parents and not folder.is_dir():
                folder = folder.parent  # removed already; its parent may not be
            if folder != cfg.inbox and not folder.is_symlink():
                remove_empty_parents(folder, cfg.inbox)
        return n

    def _moved_original(self, source: Path, r: dict[str, Any], claimed: set[str]) -> Path | None:
        cfg = self.case.config
        try:
            first = cfg.ingested_dir / source.relative_to(cfg.inbox)
        except ValueError:
            return None
        candidate, k = first, 1
        while candidate.exists() or k == 1:
            rel_to = readable(cfg.rel(candidate))
            try:
                st = os.lstat(candidate)
            except OSError:
                st = None
            if (st is not None and stat.S_ISREG(st.st_mode) and rel_to not in claimed
                    and st.st_size == r["size"] and st.st_mtime_ns == r["mtime_ns"]):
                with open(candidate, "rb") as f:
                    if hashlib.file_digest(f, "sha256").hexdigest() == r["sha256"]:
                        return candidate
            k += 1
            candidate = first.with_name(f"{first.stem} ({k}){first.suffix}")
        return None


def first_ingested(paths: list[Path], ingested: Path) -> list[Path]:
    """A file named "ingested" goes first: inbox/ingested/ can be made only once it is stored."""
    return sorted(paths, key=lambda p: p != ingested)


def settle_target(ingested: Path, inbox: Path, path: Path) -> Path:
    """Where an original goes in inbox/ingested/: same sub-folders, never over another file."""
    target = ingested / path.relative_to(inbox)
    if not target.exists():
        return target
    stem, suffix = target.stem, target.suffix
    n = 2
    while True:
        candidate = target.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def remove_empty_parents(folder: Path, inbox: Path) -> None:
    """Remove folders the victim dropped once they are empty (never the inbox itself)."""
    while folder != inbox and inbox in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def catch_up(case: Case) -> int:
    """Copy items to replicas that lack them (a replica came back, or was full)."""
    n = 0
    for rep in case.available:
        for sha in case.index.all_items():
            if rep.has_object(sha):
                continue
            # the same rule as repair: only from a copy re-hashed just now
            source = verified_copy(case.available, sha, exclude=rep)
            if source is None:
                continue
            try:
                copy_object(source, rep, sha)
            except OSError as exc:
                case.log.event("warned", sha256=sha, replica=rep.name,
                               reason=f"could not catch up ({exc.strerror})")
                break
            with Step(case) as step:
                step.line("stored", sha256=sha, replica=rep.name, verified=True,
                          reason="caught up from another replica", meta={})
                step.index(lambda idx, s=sha, name=rep.name: idx.set_copy(s, name))
            n += 1
    # metadata files a replica lacks (it was full or pulled out between the object and
    # its metadata): copied from a replica whose copy matches the hash in the custody log
    expected = case.index.meta_hashes()
    for rep in case.available:
        for rel in sorted(expected):
            if rep.read_meta(rel) is not None:
                continue
            data = verified_meta(case.available, rel, expected[rel], exclude=rep)
            if data is None:
                continue
            try:
                rep.write_meta(rel, data)
            except OSError as exc:
                case.log.event("warned", replica=rep.name, meta=rel,
                               reason=f"could not catch up ({exc.strerror})")
                break
            record_line(case, "stored", replica=rep.name, meta={rel: expected[rel]},
                        reason="metadata caught up from another replica")
            n += 1
    return n

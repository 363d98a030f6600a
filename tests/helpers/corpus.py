"""Helpers of the reliability suite: picking corpus files and the "nothing lost" check."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from .case import custody_records, replica, stored_objects

SKIP = {"MANIFEST.tsv", "README.md"}


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.name not in SKIP)


def pick(corpus: Path, n: int | None, seed: int = 1) -> list[Path]:
    """`n` corpus files (all when None), a few of every kind, the small ones first."""
    files = corpus_files(corpus)
    if n is None or n >= len(files):
        return files
    rng = random.Random(seed)
    by_kind: dict[str, list[Path]] = {}
    for p in files:
        by_kind.setdefault(p.relative_to(corpus).parts[0], []).append(p)
    chosen: list[Path] = []
    pools = [sorted(v, key=lambda p: (p.stat().st_size, p.as_posix())) for v in by_kind.values()]
    for pool in pools:  # small ones, so that the bounded form stays fast
        del pool[max(3, len(pool) // 2):]
        rng.shuffle(pool)
    while len(chosen) < n and any(pools):
        for pool in pools:
            if pool and len(chosen) < n:
                chosen.append(pool.pop())
    return sorted(chosen)


def copy_into_inbox(case: Path, corpus: Path, files: list[Path],
                    prefix: str = "") -> dict[str, str]:
    """Drop corpus files into the inbox (sub-folders kept); returns {inbox rel: sha256}."""
    dropped = {}
    for src in files:
        rel = prefix + src.relative_to(corpus).as_posix()
        target = case / "inbox" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        dropped[rel] = hashlib.sha256(target.read_bytes()).hexdigest()
    return dropped


def sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(case: Path) -> list[str]:
    """Temporary files a run may leave: half-written copies and metadata."""
    store = case / "store"
    found = [p for p in store.glob("*/tmp/*") if p.is_file()]
    found += [p for p in store.glob("*/meta/**/.*.tmp")]
    found += [p for p in store.glob("*/.*.tmp")]
    return sorted(p.relative_to(case).as_posix() for p in found)


def check_nothing_lost(case: Path, dropped: dict[str, str], *, min_copies: int = 2,
                       replicas: tuple[str, ...] = ("a", "b"),
                       settled: bool = True) -> dict[str, Any]:
    """The crash-consistency promises, checked on the files themselves (not the index).

    - every dropped file is in >= min_copies replicas, or still in the inbox
      (with ``settled=True``: in every replica, and moved to inbox/ingested/);
    - every object hashes to its name (nothing corrupt or half-written);
    - no temporary file is left behind;
    - each drop has exactly one receipt, in every replica, and one
      "received" line in the custody log.
    """
    objects = {name: stored_objects(replica(case, name)) for name in replicas}
    for name, objs in objects.items():
        for sha, path in objs.items():
            assert sha_file(path) == sha, f"replica {name}: object {sha} is corrupt"
    for rel, sha in dropped.items():
        holders = [n for n in replicas if sha in objects[n]]
        in_inbox = (case / "inbox" / rel).is_file()
        assert len(holders) >= min_copies or in_inbox, f"{rel} ({sha}) is lost: {holders}"
        if settled:
            assert len(holders) == len(replicas), (rel, holders)
            assert not in_inbox, f"{rel} is still in the inbox"
    assert leftovers(case) == []
    # receipts: one per drop, in every replica (the index is only a cache)
    for name in replicas:
        per_source: Counter[str] = Counter()
        for f in (replica(case, name) / "meta").glob("*/*/receipts/*.json"):
            r = json.loads(f.read_bytes())
            per_source[r["source"]] += 1
        for rel, sha in dropped.items():
            if sha in objects[name]:
                assert per_source[f"inbox/{rel}"] == 1, \
                    f"replica {name}: {rel} has {per_source[f'inbox/{rel}']} receipts"
        extra = set(per_source) - {f"inbox/{rel}" for rel in dropped}
        assert not extra, f"receipts for files never dropped: {extra}"
    received = Counter(r["source"] for r in custody_records(replica(case, replicas[0]))
                       if r["event"] == "received")
    for rel, sha in dropped.items():
        if sha in objects[replicas[0]]:
            assert received[f"inbox/{rel}"] == 1, (rel, received[f"inbox/{rel}"])
    if settled:
        moved = sorted(p.relative_to(case / "inbox" / "ingested").as_posix()
                       for p in (case / "inbox" / "ingested").rglob("*") if p.is_file())
        assert moved == sorted(dropped), "inbox/ingested/ does not hold exactly the drops"
        tops = sorted(p.name for p in (case / "inbox").iterdir())
        assert tops == ["ingested"], tops
    return {"files": len(dropped), "objects": len(objects[replicas[0]])}

"""Rebuilding the index (a cache) from one replica alone: ``intake reindex``.

Only metadata files whose SHA-256 the custody log recorded are read. Kept
apart from ``checks`` so that opening a case (which rebuilds an index that
fell behind its log) does not need the checks, and the checks need no case
to be importable: no import circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import verified
from .custody_chain import check_chain, records
from .index import Index

if TYPE_CHECKING:
    from .case import Case


def reindex(case: Case, replica: str | None = None) -> dict[str, int]:
    """Rebuild the index from one replica alone (the first healthy one by default)."""
    candidates = [r for r in case.available if replica in (None, r.name)]
    if not candidates:
        raise ValueError(f"replica {replica!r} is not available" if replica
                         else "no replica is available")
    source = None
    for rep in candidates:
        if not check_chain(case.log.copy_of(rep)).problem:
            source = rep
            break
    source = source or candidates[0]
    chain = check_chain(case.log.copy_of(source))
    recs = records(chain.lines)
    path = case.index.path
    case.index.close()
    Index.remove_files(path)
    case.index = idx = Index(path)
    # Only metadata files whose SHA-256 the log recorded are read: the source replica's
    # copy first, another replica's matching copy when that one was altered.
    readers = [source] + ([r for r in case.available if r is not source] if replica is None
                          else [])
    unverified = verified.fill(idx, recs, readers, list(case.available))
    counts = idx.counts()
    counts["source_replica"] = source.name  # type: ignore[assignment]
    counts["unverified"] = unverified  # type: ignore[assignment]
    return counts

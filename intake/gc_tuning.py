"""Garbage-collector settings for processes that hold many small objects at once.

A phone backup of 100,000 messages is about 1.5 million small objects alive
at the same time (events, claims, facts, their plain copies). With Python's
default thresholds the collector walks them over and over while they are
built: about a third of the CPU time of taking such a backup (issue 19). The
objects are acyclic data; collections can be rarer without holding memory.
"""

from __future__ import annotations

import gc

#: Young-generation threshold: a collection after this many new container
#: objects instead of 700. Cyclic garbage waits a little longer; live data is
#: walked far less often.
YOUNG = 50_000


def tune(freeze: bool = False) -> None:
    """Collect less often; with `freeze` (a plugin worker, once its plugins are
    loaded) never again walk what start-up loaded: `gc.freeze` moves it out of
    the collector's sight for the life of the process."""
    if freeze:
        gc.freeze()
    gc.set_threshold(YOUNG, 20, 20)


def give_back() -> None:
    """Return the freed heap to the system after a big build (the chronology of
    50,000 e-mails frees some 300 MB of small objects before the PDF is typeset):
    a full collection, then glibc's `malloc_trim`, which releases free pages in
    the middle of the heap too. Without glibc, only the collection."""
    import ctypes

    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return
    trim(0)

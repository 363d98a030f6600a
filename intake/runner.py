"""Feeding the pipeline: the inbox once (``intake ingest``), or given paths.

The watcher (`intake.watcher`) uses the same `take_ready` step, so a file is
treated the same way whichever way it arrives. Both take their files as group
commits (``Pipeline.begin_batch``/``commit_batch``, issue 19): one barrier per
replica per batch, and the originals leave the inbox only after it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .case import Case
from .inbox import is_settled, is_temporary, scan, settle_time
from .ingest import Pipeline, Task, catch_up, first_ingested


def ingest_inbox(case: Case, pipeline: Pipeline, *, max_wait: float = 300.0,
                 on_total: Callable[[int], None] | None = None) -> list[Task]:
    """Take everything in the inbox once, waiting for files still being written."""
    cfg = case.config
    cfg.inbox.mkdir(parents=True, exist_ok=True)
    case.refresh_replicas()
    catch_up(case)
    pipeline.reconcile()
    pipeline.extract_missing()
    pipeline.reread_changed()  # new or changed plugins: in the background (issue 17)
    pipeline.prepare_inbox()
    tasks: list[Task] = []
    pipeline.begin_batch()  # group commit: one barrier per batch, then the moves
    deadline = time.monotonic() + max_wait
    retry: set[Path] = set()
    first = True
    while True:
        candidates = first_ingested(list(scan(cfg.inbox, cfg.ignore)), cfg.ingested_dir)
        if not first:
            candidates = [p for p in candidates if p in retry]
        if first and on_total:
            on_total(len(candidates))
        first = False
        retry = set()
        this_round: list[Task] = []
        for path in candidates:
            if is_temporary(path.name):
                if not is_settled(path, settle_time(path, cfg.settle_seconds,
                                                    cfg.temporary_seconds)):
                    continue  # may still be written; listed by `intake status`
            elif not is_settled(path, cfg.settle_seconds):
                retry.add(path)
                continue
            task = pipeline.process(path, from_inbox=True)
            tasks.append(task)
            this_round.append(task)
        # the batch's barrier, then its originals move; a file found replaced at
        # its move ("changed") is taken again as a new drop
        pipeline.commit_batch()
        retry.update(t.path for t in this_round if t.outcome == "changed")
        pipeline.begin_batch()
        if not retry or time.monotonic() > deadline:
            break
        time.sleep(min(1.0, max(0.1, cfg.settle_seconds / 2)))
    pipeline.record_finished_extractions(block=True)
    pipeline.commit_batch()
    return tasks


def ingest_paths(case: Case, pipeline: Pipeline, paths: Iterable[Path],
                 on_total: Callable[[int], None] | None = None) -> list[Task]:
    """Take files or folders from anywhere, leaving them where they are."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir() and not p.is_symlink():
            for root, dirs, names in os.walk(p):
                dirs.sort()
                files.extend(Path(root) / n for n in sorted(names) if not is_temporary(n)
                             or is_settled(Path(root) / n, settle_time(
                                 Path(n), 0, case.config.temporary_seconds)))
        else:
            files.append(p)
    if on_total:
        on_total(len(files))
    pipeline.extract_missing()  # items a worker could not read last time
    pipeline.reread_changed()  # new or changed plugins: in the background (issue 17)
    inbox = case.config.inbox.resolve()
    tasks = []
    pipeline.begin_batch()
    for f in files:
        absolute = f.absolute()
        in_inbox = inbox in absolute.parents and (inbox / "ingested") not in absolute.parents
        tasks.append(pipeline.process(absolute, from_inbox=in_inbox))
    pipeline.commit_batch()
    pipeline.begin_batch()
    pipeline.record_finished_extractions(block=True)
    pipeline.commit_batch()
    return tasks

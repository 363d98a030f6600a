"""Ingesting: the session (``session.Pipeline``), its stages, extraction and recovery.

The watcher and ``intake ingest`` both feed ``Pipeline.process``; the stages are
listed once, in ``Pipeline.__init__``.
"""

from .recovery import catch_up, first_ingested, remove_empty_parents, settle_target
from .session import Pipeline
from .task import MAX_DEPTH, MAX_DERIVED, Refused, Task, meta_dir, now_utc, ns_to_iso

__all__ = ["MAX_DEPTH", "MAX_DERIVED", "Pipeline", "Refused", "Task", "catch_up", "first_ingested",
           "meta_dir", "now_utc", "ns_to_iso", "remove_empty_parents", "settle_target"]

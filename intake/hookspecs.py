"""The plugin contract: every hook intake calls, grouped by pipeline phase.

A plugin is a module (or object) with functions named like the hooks below
and marked with ``@hookimpl`` (``from intake import hookimpl``). A plugin
module may set ``__version__``; it is recorded with everything it reads
(with the SHA-256 of a single-file plugin's code: a changed plugin reads
again what it may read better, docs/writing-plugins.md). It may set
``MIME_TYPES`` (``("application/json",)``, ``"image/*"`` for a family): it is
then offered only items of those types by ``intake_extract`` and
``intake_thumbnail``; without it, every item.

How the core calls plugins (see ``intake.extract``): the hooks that read a
stored file's bytes (``intake_sniff``, ``intake_extract``,
``intake_thumbnail``: the bytes may be crafted by the person the victim is
protected from) run in a plugin worker process with a time limit and a memory
limit, and each implementation is called on its own, so that one plugin's
exception, hang, crash or garbage cannot hide another's result. A failure is
recorded with a plain reason and the next implementation is tried. Wrappers
(``wrapper=True``) are never called as readers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pluggy

from .types import CaseInfo, Extraction, ItemView

hookspec = pluggy.HookspecMarker("intake")


# --- Phase 1: recognise --------------------------------------------------


@hookspec(firstresult=True)
def intake_sniff(head: bytes, name: str) -> str | None:
    """Say what kind of content a file holds, from its first bytes.

    Content decides, not the name: `name` is a hint for formats that have no
    magic number (plain text, CSV). First result wins; the built-in sniffer
    is ``trylast``, so a plugin can teach intake a new type.

    :param head: the first 8 KiB of the file.
    :param name: the original file name, a hint only.
    :return: a MIME type such as ``"image/jpeg"``, or None if unknown.
    """


# --- Phase 2: extract ------------------------------------------------------


@hookspec
def intake_extract(item: ItemView, case: CaseInfo) -> Extraction | None:
    """Read events, facts and derived items from one stored item.

    Implementations are tried in pluggy's order (``tryfirst`` ones first,
    ``trylast`` ones last); the **first that returns an Extraction wins**.
    Return None when the item is not of your format (that is not a failure).
    Raise, or return an Extraction with warnings, when it is your format but
    damaged: the core records the reason on the item and, after an
    exception, tries the next plugin. The built-in fallback (file system
    times) is ``trylast``.

    Report what the item says; do not decide the timeline. Time claims keep
    the wall time as written and the offset only if the source wrote one.

    :param item: the stored, read-only item (path, name, sniffed MIME, head).
    :param case: the case's zone, language and OCR languages.
    :return: an Extraction, or None for "not mine".
    """


@hookspec(firstresult=True)
def intake_thumbnail(item: ItemView, size: int) -> bytes | None:
    """Make a small PNG picture of an item for the reports.

    :param item: the stored item.
    :param size: the longest side in pixels.
    :return: PNG bytes, or None if this plugin cannot picture the item.
    """


# --- Phase 3: store --------------------------------------------------------


@hookspec
def intake_storage_backends() -> Mapping[str, Callable[..., Any]]:
    """Offer kinds of replica, by the ``kind`` name used in the config.

    Each value is called as ``factory(name: str, location: str, options:
    dict)`` and must return an object implementing the ``intake.replica.Replica``
    protocol (put an object from a stream, open, list, stat, hash, metadata
    files, the custody log's segments, set aside, health); the test suite
    ``intake.conformance.ReplicaConformance`` says whether it does. Results of
    all plugins are merged; the built-in kind is ``"folder"``.

    :return: a mapping of kind name to factory.
    """


# --- Phase 4: report --------------------------------------------------------


@hookspec
def intake_report_formats() -> Mapping[str, Callable[..., Any]]:
    """Offer output formats for ``intake chronology --format``.

    Each value is called as ``writer(chronology: dict, out_dir: Path,
    context: intake.reports.context.ReportContext) -> list[Path]`` and returns
    the files it wrote. Results of all plugins are merged; later plugins do
    not replace a built-in format of the same name.

    :return: a mapping of format name to writer.
    """


HOOK_NAMES = ("intake_sniff", "intake_extract", "intake_thumbnail",
              "intake_storage_backends", "intake_report_formats")

__all__ = ["hookspec", "HOOK_NAMES", "CaseInfo", "Extraction", "ItemView"]

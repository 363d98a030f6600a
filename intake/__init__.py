"""intake: evidence intake for victims of stalking and their advisers.

Plugin authors use only what this module exports: ``hookimpl``, the data
types and small helpers (``epoch_ms_to_iso``, ``N_`` to mark a message id). Everything else in the package
is the core's own business.
"""

from importlib.metadata import PackageNotFoundError, version

import pluggy

from .i18n import N_
from .timeclaims import epoch_ms_to_iso
from .types import (
    CATEGORIES,
    CaseInfo,
    DerivedItem,
    Event,
    Extraction,
    ItemView,
    TimeClaim,
)

try:  # one version, from the package metadata (pyproject.toml), printed in every output
    __version__ = version("intake")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

hookimpl = pluggy.HookimplMarker("intake")

__all__ = [
    "CATEGORIES",
    "CaseInfo",
    "DerivedItem",
    "Event",
    "Extraction",
    "ItemView",
    "N_",
    "TimeClaim",
    "epoch_ms_to_iso",
    "hookimpl",
    "__version__",
]

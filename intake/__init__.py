"""intake: evidence intake for victims of stalking and their advisers.

Plugin authors use only what this module exports: ``hookimpl`` and the data
types. Everything else in the package is the core's own business.
"""

import pluggy

from .types import (
    CATEGORIES,
    CaseInfo,
    DerivedItem,
    Event,
    Extraction,
    ItemView,
    TimeClaim,
)

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("intake")

__all__ = [
    "CATEGORIES",
    "CaseInfo",
    "DerivedItem",
    "Event",
    "Extraction",
    "ItemView",
    "TimeClaim",
    "hookimpl",
    "__version__",
]

"""The pipeline moved to ``intake/ingest/`` (issue 11); this name stays for imports."""

from .ingest import *  # noqa: F403
from .ingest import __all__  # noqa: F401

"""The core's own hook implementations: the folder replica and the report formats.

Registered first, like any plugin, so that ``intake plugins`` shows them and
an adviser's plugin can add kinds of replica and formats beside them.
"""

from __future__ import annotations

from . import hookimpl


@hookimpl
def intake_storage_backends():
    from .store import FolderReplica

    return {"folder": FolderReplica}

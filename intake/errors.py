"""The few exceptions that reach a person, each with a plain one-line reason.

Only the CLI turns them into messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path


class IntakeError(Exception):
    """A problem the user can act on; its message is shown as is."""

    exit_code = 1


class ConfigError(IntakeError):
    """The config file is wrong: the message names the file, the key and the fix."""

    exit_code = 2

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path  # the config file, when there is one: its case's language words it


class PluginLoadError(IntakeError):
    """A plugin could not be loaded (bad file, unknown hook, wrong arguments)."""

    exit_code = 3


class CaseLockedError(IntakeError):
    """Another intake process is writing to this case."""

    exit_code = 4


class VerifyFailed(IntakeError):
    """Verification found problems; they have been printed one per line."""

    exit_code = 5


class CustodyRollback(IntakeError):
    """The custody log is shorter than, or differs from, a head recorded earlier."""

    exit_code = 6

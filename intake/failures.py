"""How an unexpected failure is told: a full disk is named as such, in the case's language.

Kept out of the command module so that ``main()`` stays a short list of
what becomes which exit code.
"""

from __future__ import annotations

import os


def case_language(exc: BaseException | None = None) -> str:
    """The language of the case this process opened, or of the case whose config
    file `exc` (a ConfigError) is about: for a message after a failure."""
    from .case import OPENED
    from .config import CONFIG_NAME, language_of, load_config
    from .errors import ConfigError

    if isinstance(exc, ConfigError) and exc.path is not None:
        return language_of(exc.path)  # the config failed to load: read it leniently
    if not OPENED:
        return "en"
    try:
        return load_config(OPENED[-1]).language
    except Exception:  # the config itself may be unreadable now
        return language_of(OPENED[-1] / CONFIG_NAME)


def disk_full(exc: BaseException) -> bool:
    """A full disk (or quota), however it reached us: OSError ENOSPC or SQLite's words."""
    import errno
    import sqlite3

    for e in (exc, exc.__cause__, exc.__context__):
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(e, sqlite3.OperationalError) and "disk is full" in str(e):
            return True
        if isinstance(e, sqlite3.OperationalError) and "disk I/O error" in str(e):
            # SQLite says "I/O error" for a write refused by a full disk: look at the disk
            from .case import OPENED

            for folder in OPENED:
                try:
                    st = os.statvfs(folder)
                except OSError:
                    continue
                if st.f_bavail * st.f_frsize < 256 * 1024:
                    return True
    return False

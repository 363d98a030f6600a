"""Which inbox files were closed after writing and left alone since (early settle).

The settle rule (``inbox.is_settled``) waits ``settle_seconds`` after a file's
last change, because on its own a quiet file may still be open by a writer
that pauses. Where the platform reports opens and closes (Linux inotify:
watchdog's ``FileOpenedEvent``, ``FileClosedEvent`` for a close after writing,
``FileClosedNoWriteEvent``), the watcher knows more: a file whose every open
we saw closed again, the last writer's close after writing, nothing changed
since (same size, times and inode as at that close) and quiet for
`CLOSE_QUIET` seconds is complete now. It is taken then, without waiting out
``settle_seconds``.

Anything that leaves doubt falls back to the settle rule: a file we saw no
open for (opened before the watcher started, moved in, or a platform without
these events; files there before the watcher started are not trusted
either: a writer may hold them open unseen), one still open by anyone (a writer, or a reader such as a
thumbnailer), one changed after its close (written through another handle,
renamed over, its attributes changed). The pipeline itself still compares
the file before and after copying it and never moves a file that changed.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: How long a closed file must stay quiet (no open, no change) before it is taken:
#: long enough for a writer that closes and opens again at once (an append in
#: several opens) to be seen opening, short against the settle time.
CLOSE_QUIET = 0.1


@dataclass
class _State:
    born: bool = False  # seen created: no open of it can have been missed
    opens: int = 0  # opens seen minus closes seen
    doubt: bool = False  # an event we cannot account for: use the settle rule
    closed_at: float | None = None  # monotonic time of the last close after writing
    last_event: float = 0.0
    signature: tuple[int, int, int, int] | None = None  # (ino, size, mtime_ns, ctime_ns)


def _signature(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Closes:
    """Open/close bookkeeping per path, fed by the watcher's event handler (its own
    thread) and asked by the watcher's loop; thread-safe."""

    def __init__(self, quiet: float = CLOSE_QUIET) -> None:
        self.quiet = quiet
        self._lock = threading.Lock()
        self._paths: dict[Path, _State] = {}

    def _state(self, path: Path) -> _State:
        state = self._paths.get(path)
        if state is None:
            state = self._paths[path] = _State()
        state.last_event = time.monotonic()
        return state

    def created(self, path: Path) -> None:
        """A new file: from here on we see every open of it (none was missed)."""
        with self._lock:
            self._paths[path] = _State(born=True, last_event=time.monotonic())

    def opened(self, path: Path) -> None:
        with self._lock:
            state = self._state(path)
            state.opens += 1

    def closed(self, path: Path, wrote: bool) -> None:
        signature = _signature(path) if wrote else None
        with self._lock:
            state = self._state(path)
            if state.opens == 0:  # a close of an open we never saw: someone else may hold it
                state.doubt = True
                return
            state.opens -= 1
            if wrote:
                state.closed_at = state.last_event
                state.signature = signature

    def changed(self, path: Path) -> None:
        """Modified (or attributes changed) outside an open we saw: the settle rule decides."""
        with self._lock:
            state = self._state(path)
            if state.opens == 0:
                state.doubt = True

    def forget(self, path: Path) -> None:
        """Gone, renamed or taken: whatever comes at this path next starts afresh."""
        with self._lock:
            self._paths.pop(path, None)

    def ready(self, path: Path, now: float | None = None) -> bool:
        """Closed after writing, nobody has it open, quiet since, unchanged since the close."""
        now = time.monotonic() if now is None else now
        with self._lock:
            state = self._paths.get(path)
            if (state is None or not state.born or state.doubt or state.opens or state.closed_at is None
                    or now - state.last_event < self.quiet):
                return False
            signature = state.signature
        return signature is not None and _signature(path) == signature

    def next_due(self, now: float | None = None) -> float | None:
        """Seconds until the next closed file's quiet time is over (None: none waiting)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            due = [s.last_event + self.quiet - now for s in self._paths.values()
                   if s.born and s.closed_at is not None and not s.opens and not s.doubt
                   and s.last_event + self.quiet > now]
        return min(due) if due else None

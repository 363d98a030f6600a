"""A running watcher: the real one in a thread of the test, or `intake watch` as a process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .case import INTAKE


class WatcherThread:
    """The real `intake.watcher.Watcher` on a case, in a thread of this process.

    SQLite connections belong to the thread that made them, so the thread
    opens the Case and the Pipeline itself; everything else is the real thing.
    """

    def __init__(self, case_dir: Path, *, rescan: float = 1.0, poll: float = 0.05) -> None:
        self.case_dir = case_dir
        self.rescan = rescan
        self.poll = poll
        self.tasks: list[Any] = []
        self.error: BaseException | None = None
        self.watcher: Any = None
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._main, name="watcher", daemon=True)

    def _main(self) -> None:
        from intake.case import Case
        from intake.ingest import Pipeline
        from intake.watcher import Watcher

        try:
            with Case.open(self.case_dir) as case, Pipeline(case, sandbox=False) as pipeline:
                self.watcher = Watcher(case, pipeline, rescan_seconds=self.rescan,
                                       poll_seconds=self.poll, on_task=self.tasks.append)
                self._ready.set()
                self.watcher.run()
        except BaseException as exc:  # reported by stop()
            self.error = exc
            self._ready.set()

    def start(self) -> WatcherThread:
        self.thread.start()
        assert self._ready.wait(30), "the watcher did not start"
        if self.error:
            raise self.error
        return self

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the watcher did not stop within 30 s"
        if self.error:
            raise self.error

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


@contextlib.contextmanager
def watching(case_dir: Path, **kwargs: Any) -> Iterator[WatcherThread]:
    w = WatcherThread(case_dir, **kwargs).start()
    try:
        yield w
    finally:
        w.stop()


def start_watch(case: Path, log: Path, *, new_session: bool = False) -> subprocess.Popen:
    """`intake watch --no-chronology --rescan 1` in `case`, its output appended to `log`.

    `new_session`: in a process group of its own, so a test can kill it and its workers.
    """
    env = dict(os.environ)
    env.pop("INTAKE_LOAD_PLUGINS", None)
    return subprocess.Popen([str(INTAKE), "watch", "--no-chronology", "--rescan", "1"],
                            cwd=case, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=new_session)


def stop_watch(proc: subprocess.Popen) -> int:
    """Ctrl+C's polite cousin (SIGTERM); killed if it has not ended within 30 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)

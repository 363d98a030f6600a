"""`intake watch`: ask the TSA in a thread, write the token in the watcher's own thread.

The watcher calls ``tick(idle)`` on every turn of its loop. Only the network
request runs in the thread (it reads no case file and writes nothing), so a
TSA that is down or slow never holds up a file dropped meanwhile. After a
failure the batch waits ``[seal] retry_seconds`` before the next try.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..i18n import translator
from . import batches


class Sealer:
    def __init__(self, case: Any, say: Callable[[str], None] = lambda _s: None) -> None:
        self.case = case
        self.say = say
        self._words = translator(case.config.language)
        self._thread: threading.Thread | None = None
        self._batch: batches.Batch | None = None
        self._answer: bytes | str = ""
        self._next_try = 0.0
        self._looked_at = -1  # the custody line count when we last looked for receipts

    def tick(self, idle: bool) -> None:
        if self._thread is not None and not self._thread.is_alive():
            self._thread = None
            self._finish()
        if self._thread is not None or not idle or time.monotonic() < self._next_try:
            return
        if self.case.log.seq == self._looked_at:
            return
        self._looked_at = self.case.log.seq
        self._batch = batches.prepare(self.case)
        if self._batch is None:
            return
        self._thread = threading.Thread(target=self._ask, args=(self._batch,), daemon=True,
                                        name="intake-tsa")
        self._thread.start()

    def _ask(self, batch: batches.Batch) -> None:
        try:
            self._answer = batches.ask(self.case, batch)
        except Exception as exc:  # any failure: the batch waits, the watcher goes on
            self._answer = str(exc)

    def _finish(self) -> None:
        batch, answer = self._batch, self._answer
        if batch is None:
            return
        if isinstance(answer, bytes):
            batches.commit(self.case, batch, answer)
            self.say(self._words.ngettext("timestamped: {n} receipt (batch {batch})",
                                          "timestamped: {n} receipts (batch {batch})",
                                          len(batch.leaves), batch=batch.number))
        else:
            retry = self.case.config.seal.retry_seconds
            seconds = f"{retry:g}"
            self.say(self._words.ngettext(
                "{n} receipt waits for a timestamp: {reason} (next try in {seconds} s)",
                "{n} receipts wait for a timestamp: {reason} (next try in {seconds} s)",
                len(batch.leaves), reason=answer, seconds=seconds))
            self._next_try = time.monotonic() + retry
            self._looked_at = -1  # look again then, even if nothing new came in

    def wait(self, seconds: float) -> None:
        """Let a request in flight end (tests; a clean stop), then record its answer."""
        if self._thread is not None:
            self._thread.join(seconds)
            self.tick(False)

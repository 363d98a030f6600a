"""Reading a big case's simple events on both cores (issue 19, point 4).

Reading the events (fast.py) is most of a chronology's time and splits by
chunks of events: a helper process (``python -m intake.chronology.split``)
reads some chunks while this process reads the others. What crosses the pipe
is cheap to make and to take apart, so that the second core pays:

- to the helper: the chunk's events as the JSON text the index holds
  (``Index.item_record_texts``), their item's few shared fields and the zone,
  one msgpack frame; this process neither parses nor pickles them;
- back: the chunk's `FastEvent`s (msgspec Structs) or None where an event is
  not simple, one msgpack frame decoded in C; this process reads the
  None ones itself (the general path);
- no threads: non-blocking pipes, pumped between chunks.

At most `IN_FLIGHT` chunks are away at a time; the others are read here, so a
busy or slow helper costs nothing but its own start. A helper that dies, or
never starts, loses nothing: its chunks are read here, with the same bytes.
No helper below `MIN_EVENTS` events (its start costs more than it saves),
and none when the load average leaves no core free (`MAX_LOAD`): the helper's
CPU would then come out of this build's share.
"""

from __future__ import annotations

import os
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .fast import FastEvent, read_event_text
from .readings import ItemContext

#: Set to False to read every chunk in this process.
ENABLED = True
#: Events read before the helper is started (a small case never starts one).
MIN_EVENTS = 10_000
#: Events per chunk handed to the helper.
CHUNK = 500
#: The highest 1-minute load average at which the helper starts (None: the
#: number of cores less a half: this build itself keeps one core busy, about 1.0).
MAX_LOAD: float | None = None
#: Bytes a pipe holds (Linux's default most: /proc/sys/fs/pipe-max-size).
PIPE_SIZE = 1 << 20
#: Chunks away at a time (one being read, one waiting in the pipe).
IN_FLIGHT = 2
#: Seconds the end of the reading waits for the helper's answers before reading
#: its chunks here too (0: none; the tests wait, to know what it answered).
PATIENCE = 0.0
#: How the helper is started (a test replaces it with one that dies).
COMMAND = [sys.executable, "-m", "intake.chronology.split"]

_HEAD = struct.Struct("<I")
#: The last build's figures (for bench_chronology.py): chunks read here and in
#: the helper, the helper's own peak RSS in KiB (0 without a helper).
LAST: dict[str, int] = {}


class _Job(msgspec.Struct, array_like=True):
    n: int
    sha: str
    plugin: str
    version: str
    overridden: list[str]  # event keys whose override is a mapping: not simple
    zone: str
    start: int
    events: bytes  # the chunk's events as one JSON array


class _Done(msgspec.Struct, array_like=True, gc=False):
    n: int
    events: list[FastEvent | None]
    peak_kib: int = 0  # the helper's own peak so far (VmHWM: see `_own_peak`)


def _settle(ev: FastEvent, sha: str, shared: dict[str, str]) -> FastEvent:
    """An event back from the helper as this process would have read it: its
    merge key as tuples (msgpack gives lists), its exhibit the item's one text
    and its repeating texts shared (msgpack gives a copy each: 12 MB at
    100,000 events)."""
    ev.exhibit = sha
    kind = ev.kind = shared.setdefault(ev.kind, ev.kind)
    m = ev.mkey
    if m is None:
        return ev
    if len(m) == 5:  # SMS, MMS, calls: (kind, number, direction, instant, (tag, value))
        number, direction = m[1], m[2]
        ev.mkey = (kind, shared.setdefault(number, number),
                   shared.setdefault(direction, direction), m[3], tuple(m[4]))
    else:
        ev.mkey = tuple(m)
    return ev


class Helper:
    """The helper process and its pipes, for one build. No threads: the pipes
    are non-blocking and pumped by the main thread between chunks (a pipe
    thread in a CPU-bound process waits for the GIL and makes the main thread
    wait for it in turn: on a loaded machine that cost more than the helper
    saved)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self._to, self._from = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        import fcntl  # (POSIX only, as the helper: `_a_core_is_free`)

        for fd in (self._to, self._from):
            os.set_blocking(fd, False)
            try:  # a whole job or answer fits in the pipe: neither side waits on the other
                fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
            except OSError:
                pass
        self.pending = bytearray()  # frames not yet written
        self.got = bytearray()  # bytes read, not yet whole frames
        self.stopping = False
        self.peak_kib = 0
        self.alive = True
        self.away = 0  # chunks sent and not yet back
        self._enc = msgspec.msgpack.Encoder()
        self._dec = msgspec.msgpack.Decoder(_Done)

    def send(self, job: _Job) -> None:
        frame = self._enc.encode(job)
        self.away += 1
        self.pending += _HEAD.pack(len(frame)) + frame
        self._pump()

    def stop(self) -> None:
        """No more jobs: the helper answers those it has, then ends."""
        self.stopping = True
        self._pump()

    def _pump(self) -> None:
        """Write what the pipe takes, read what has come, without waiting."""
        try:
            while self.pending:
                n = os.write(self._to, self.pending)
                del self.pending[:n]
            if self.stopping and not self.proc.stdin.closed:
                self.proc.stdin.close()
        except BlockingIOError:
            pass
        except OSError:  # the helper is gone
            self.alive = False
        try:
            while True:
                data = os.read(self._from, PIPE_SIZE)
                if not data:
                    self.alive = False
                    break
                self.got += data
        except BlockingIOError:
            pass
        except OSError:
            self.alive = False

    def take(self, wait: float = 0) -> dict[int, list[FastEvent | None]]:
        """The chunks back so far (waiting up to `wait` s for all of them)."""
        self._pump()
        out: dict[int, list[FastEvent | None]] = {}
        end = time.monotonic() + wait
        while True:
            while len(self.got) >= 4:
                size = _HEAD.unpack_from(self.got)[0]
                if len(self.got) < 4 + size:
                    break
                frame = bytes(self.got[4:4 + size])
                del self.got[:4 + size]
                self.away -= 1
                try:
                    done = self._dec.decode(frame)
                except msgspec.DecodeError:  # the chunk is then read here
                    continue
                self.peak_kib = max(self.peak_kib, done.peak_kib)
                out[done.n] = done.events
            left = end - time.monotonic()
            if not wait or self.away <= 0 or not self.alive or left <= 0:
                return out
            select.select([self._from], [self._to] if self.pending else [], [], left)
            self._pump()

    def close(self) -> None:
        """End the helper: its answers are no longer needed."""
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.alive = False


class Reader:
    """Reads the simple events of a build's items, some chunks in the helper.

    `events` gives an item's events with the chunks sent away as None at
    first; `finish` fills them in (or reads them here if the helper is gone).
    """

    def __init__(self, zone: str, read_here: Callable[[ItemContext, int, Any], Any]) -> None:
        self.zone = zone
        self.read_here = read_here  # (ctx, idx, text) -> the event, read in this process
        self.seen = 0
        self.helper: Helper | None = None
        self.failed = False
        self.chunks: dict[int, tuple[ItemContext, int, Sequence[Any], list]] = {}
        self.next = 0
        self.here = self.there = 0  # chunks read in this process, in the helper
        self.shared: dict[str, str] = {}  # kinds, numbers, directions: one text each
        LAST.clear()
        LAST.update(here=0, there=0, helper_peak_kib=0)

    def events(self, ctx: ItemContext, texts: Sequence[Any]) -> list:
        out: list = []
        for start in range(0, len(texts), CHUNK):
            part = texts[start:start + CHUNK]
            self._collect()
            if self._can_send():
                n = self.next
                self.next += 1
                self.chunks[n] = (ctx, start, part, out)
                self.helper.send(_Job(n, ctx.sha, ctx.plugin, ctx.version, _overridden(ctx),
                                      self.zone, start,
                                      b"[" + b",".join(part) + b"]"))
                out.extend([None] * len(part))
            else:
                self.here += 1
                out.extend(self.read_here(ctx, start + i, t) for i, t in enumerate(part))
            self.seen += len(part)
        return out

    def _can_send(self) -> bool:
        if not ENABLED or self.failed or self.seen < MIN_EVENTS:
            return False
        if self.helper is None:
            if not _a_core_is_free():
                self.failed = True  # not this build: the machine is busy
                return False
            try:
                self.helper = Helper()
            except OSError:
                self.failed = True
                return False
        return self.helper.alive and self.helper.away < IN_FLIGHT

    def _collect(self, wait: float = 0) -> None:
        if self.helper is None:
            return
        for n, evs in self.helper.take(wait).items():
            if n not in self.chunks or len(evs) != len(self.chunks[n][2]):
                continue  # read here meanwhile, or not this chunk's answer (read here)
            ctx, start, part, out = self.chunks.pop(n)
            self.there += 1
            for i, ev in enumerate(evs):
                out[start + i] = (_settle(ev, ctx.sha, self.shared) if ev is not None
                                  else self.read_here(ctx, start + i, part[i]))

    def finish(self) -> None:
        """Every chunk sent away back in its item's events; the helper ended.
        Chunks still away are read here too, the last sent first, while the
        helper works on the first ones: the end never waits for a helper that
        is still starting (its imports take about 0.3 s of CPU)."""
        if self.helper is not None:
            self.helper.stop()
            self._collect(PATIENCE)
            while True:
                self._collect()
                if not self.chunks:
                    break
                n = max(self.chunks)  # the helper reaches it last
                self._here(*self.chunks.pop(n))
            self.helper.close()
            LAST["helper_peak_kib"] = self.helper.peak_kib
        LAST.update(here=self.here, there=self.there)

    def _here(self, ctx: ItemContext, start: int, part: Sequence[Any], out: list) -> None:
        self.here += 1
        for i, t in enumerate(part):
            out[start + i] = self.read_here(ctx, start + i, t)


def _a_core_is_free() -> bool:
    """Whether the load average leaves a core for the helper. On a busy machine
    the helper's CPU comes out of this process's share: measured at load 5 on
    2 cores, 17 % less CPU here but 5 to 10 % more wall time."""
    if os.name != "posix":  # non-blocking pipes and select on them: POSIX only
        return False
    limit = MAX_LOAD if MAX_LOAD is not None else (os.cpu_count() or 1) - 0.5
    try:
        return os.getloadavg()[0] <= limit
    except OSError:
        return False


def _overridden(ctx: ItemContext) -> list[str]:
    from collections.abc import Mapping

    o = ctx.overrides
    return [k for k, v in o.items() if isinstance(v, Mapping)] if isinstance(o, Mapping) else []


def _own_peak() -> int:
    """This process's peak RSS in KiB since it started: VmHWM of its own memory.
    Not ru_maxrss, which Linux carries over from the parent at exec (the
    spawning process's RSS: about 220 MiB at 100,000 events, which session 8
    took for the helper's)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _serve() -> None:
    """The helper's loop: a job in, its events read, the answer out."""
    from .build import merge_key_of as merge_key  # (build imports this module)

    jobs = msgspec.msgpack.Decoder(_Job)
    enc = msgspec.msgpack.Encoder()
    events = msgspec.json.Decoder(list[msgspec.Raw])
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while (head := inp.read(4)) and len(head) == 4:
        job = jobs.decode(inp.read(_HEAD.unpack(head)[0]))
        ctx = ItemContext(job.sha, job.plugin, job.version,
                          dict.fromkeys(job.overridden, {}), {}, {})
        read = [read_event_text(ctx, job.start + i, t, job.zone, merge_key)
                for i, t in enumerate(events.decode(job.events))]
        frame = enc.encode(_Done(job.n, read, _own_peak()))
        out.write(_HEAD.pack(len(frame)) + frame)
        out.flush()


if __name__ == "__main__":
    _serve()

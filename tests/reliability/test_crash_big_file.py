"""A crash at every write point of a big file's store, segments included.

A big file's copies are pushed to the disk and read back segment by segment
while they are written (``intake.put._ReadBack``). The write points of
``test_crash.py`` are taken here with one more: each ``sync_file_range``
(starting a segment's writing, and waiting for it before its read-back). The
segment size is 1 MiB so a 3 MiB file has four segments per copy. After each
crash a normal run finishes: the file is in both replicas, verified, or still
in the inbox; no temporary copy is left; ``verify`` passes.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from pathlib import Path

from intake import put
from intake.files import has_sync_file_range
from tests.helpers import FULL, check_nothing_lost, drop, new_case, set_config
from tests.reliability import test_crash as crash

MiB = 1 << 20


def test_crash_at_every_write_point_of_a_big_file(tmp_path: Path, monkeypatch, figures) -> None:
    monkeypatch.setattr(put, "SEGMENT", MiB)  # the forked children inherit it
    monkeypatch.setattr(crash, "_WRITES",
                        (*crash._WRITES, ("intake.files", None, "sync_file_range")))
    template = new_case(tmp_path / "template")
    set_config(template, "settle_seconds = 0.2", "settle_seconds = 0.0")
    data = os.urandom(3 * MiB + 5_000)
    drop(template, "video.mp4", data)
    dropped = {"video.mp4": hashlib.sha256(data).hexdigest()}
    report = tmp_path / "report.json"
    dry = tmp_path / "dry"
    shutil.copytree(template, dry, symlinks=True)
    run = crash._run(dry, None, report)
    total, names = run["points"], run["names"]
    check_nothing_lost(dry, dropped)
    pushes = names.count("before sync_file_range")
    if has_sync_file_range():  # four segments, two copies, started then waited for
        assert pushes == 16, names
    points = list(range(1, total + 1))
    if not FULL:  # bounded: every segment point, an even spread of the others, the last few
        seg = {i for i, n in enumerate(names, 1) if "sync_file_range" in n}
        step = max(1, total // 20)
        points = sorted(set(points[::step]) | set(points[-3:]) | seg)
    rng = random.Random(8)
    double = 0
    for n in points:
        case = tmp_path / f"crash{n}"
        shutil.copytree(template, case, symlinks=True)
        assert crash._run(case, n, report) == {"crashed": True}, f"point {n} was not reached"
        if FULL and rng.random() < 0.3:  # crash the recovery too
            double += crash._run(case, rng.randint(1, total), report).get("crashed", False)
        crash._run(case, None, report)
        try:
            check_nothing_lost(case, dropped)
            assert crash._verify_in_process(case) == []
        except AssertionError as exc:
            raise AssertionError(f"after a crash at write point {n} of {total} "
                                 f"({names[n - 1]}): {exc}") from exc
        shutil.rmtree(case)
    figures(write_points=total, segment_points=pushes * 2, crashes=len(points),
            crashes_in_recovery=double, lost=0)

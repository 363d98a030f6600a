"""A plugin worker that cannot start (issue 9, point 13).

When no plugin could even run, that is not the item's extraction: the item
is recorded as "not extracted yet", `intake status` says so and why, and the
next start reads it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.helpers import (
    custody_records,
    drop,
    ingest,
    ingested,
    make_jpeg,
    meta_dir,
    new_case,
    ok,
    replica,
    run_intake,
    set_config,
    sha256,
    status,
    verify,
    with_plugins,
)

# Loads fine in the main process; kills the fresh interpreter of every worker, as a
# broken library, a missing module in the worker's path or a full /tmp would.
BROKEN_IN_WORKER = '''
import multiprocessing

__version__ = "1.0"

if multiprocessing.parent_process() is not None:
    raise SystemExit("this plugin cannot be loaded in a worker")
'''


def test_a_worker_that_cannot_start_leaves_the_item_not_extracted_and_it_is_retried(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    broken = with_plugins(case, {"broken_in_worker.py": BROKEN_IN_WORKER}) / "broken_in_worker.py"
    set_config(case, 'language = "nl"', 'language = "en"')
    photo = make_jpeg(exif_time="2024:03:01 20:00:00")
    drop(case, "photo.jpg", photo)
    time.sleep(0.3)
    answer = ingest(case, in_process=False)
    assert answer["outcomes"] == {"settled": 1}  # stored and settled all the same
    sha = sha256(photo)
    for rep in ("a", "b"):
        assert not (meta_dir(replica(case, rep), sha) / "extraction.json").exists()
    s = status(case)
    (item,) = s["not_extracted"]
    assert item["sha256"] == sha and item["names"] == ["photo.jpg"]
    assert item["reason"] == ("not extracted yet: the plugin worker stopped before any plugin "
                              "ran; tried again at the next start")
    assert s["counts"]["events"] == 0
    out = ok(run_intake("status", "--case", case)).stdout
    assert "1 item stored but not read by the plugins yet" in out
    ok(verify(case))
    # the cause is gone: the next start reads the item
    broken.unlink()
    assert ingest(case, in_process=False)["files"] == 0
    s = status(case)
    assert s["not_extracted"] == [] and s["counts"]["events"] == 1
    extraction = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    assert extraction["plugin"] == "photos" and len(extraction["events"]) == 1
    extracted = [r for r in custody_records(replica(case, "a")) if r["event"] == "extracted"]
    assert [r["sha256"] for r in extracted] == [sha]
    assert ingested(case) == ["photo.jpg"]
    ok(verify(case))

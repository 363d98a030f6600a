"""The reports of a big chronology (issue 19, point 5): HTML, CSV, XLSX and PDF.

    python bench/bench_reports.py [--entries N] [--formats html,csv,xlsx,pdf]

Each format is written in a fresh Python process from a chronology of N
entries built in that process (``bench_chronology.records``: SMS and calls of
a phone backup), with the writer the CLI uses (``intake.reports.*``). Printed
per format, one JSON line: the writer's wall and CPU seconds, the file's size
and SHA-256 (to compare two versions of a writer on the same input),
the process's resident memory before the writer (the chronology itself) and
its peak (``ru_maxrss``), and the peak's growth over the chronology: what the
writer itself holds. Target (issue 19): HTML and spreadsheets of 100,000
entries in 10 s at most; the PDF prints at most ``PDF_MAX_ENTRIES`` entries
and says how many there are.

``measure(entries, formats)`` returns the rows (dicts) for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT  # noqa: E402

TARGET_SECONDS = 10.0
FORMATS = ("html", "csv", "xlsx", "pdf")


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child(fmt: str, n: int) -> None:
    """Build the chronology, write one format, print one JSON line."""
    import resource
    import shutil
    import tempfile

    import orjson
    from bench_chronology import records

    from intake.chronology.build import build_chronology
    from intake.reports.context import ReportContext
    from intake.reports.csv_report import write_csv
    from intake.reports.html_report import write_html
    from intake.reports.pdf_report import write_pdf
    from intake.reports.xlsx_report import write_xlsx

    blobs = [orjson.dumps(r) for r in records(n)]
    doc = build_chronology((orjson.loads(b) for b in blobs), tool_version="bench",
                           case={"name": "bench", "timezone": "Europe/Brussels", "language": "nl"})
    del blobs
    writer = {"html": write_html, "csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}[fmt]
    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    ctx = ReportContext(case_name="bench", language="nl", generated_at="2024-11-28T10:00:00Z")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss = _rss_kib()
    cpu, t = time.process_time(), time.perf_counter()
    paths = writer(doc, out / fmt, ctx)
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(p.stat().st_size for p in paths)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()
    shutil.rmtree(out)
    print(json.dumps({
        "format": fmt, "entries": len(doc["entries"]) + len(doc["undated"]),
        "seconds": round(took, 2), "cpu_seconds": round(cpu, 2), "bytes": size,
        "sha256": digest,
        "rss_before_mib": rss // 1024, "peak_before_mib": before // 1024,
        "peak_mib": peak // 1024, "writer_growth_mib": max(0, peak - max(before, rss)) // 1024,
        "target_seconds": TARGET_SECONDS if fmt != "pdf" else None,
        "verdict": ("PASS" if took <= TARGET_SECONDS else "MISS") if fmt != "pdf" else "INFO",
    }), flush=True)


def measure(entries: int = 100_000, formats: tuple[str, ...] = FORMATS) -> list[dict]:
    """One fresh process per format; the rows as dicts."""
    rows = []
    for fmt in formats:
        res = subprocess.run([sys.executable, __file__, "--child", fmt, str(entries)],
                             capture_output=True, text=True, cwd=ROOT)
        if res.returncode != 0:
            raise RuntimeError(f"report {fmt} failed:\n{res.stderr[-3000:]}")
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> int:
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    rows = measure(args.entries, tuple(args.formats.split(",")))
    return 0 if all(r["verdict"] != "MISS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

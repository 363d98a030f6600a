"""Figure 4: building the chronology (JSON, hash chain, Merkle root) and the PDF.

Python API, not the CLI: the CLI would add reading the SQLite index and
writing files, and these sizes do not exist in a real case to read from.
Synthetic item records in the shape docs/chronology-format.md gives: phone
backups ("SMS Backup & Restore") of 500 events each, 80 % SMS and 20 %
calls, with numbers (2,000 distinct, as a phone holds), directions, bodies and one resolved time claim each; 5 %
of the events appear again in a second, overlapping backup (so merging
runs). Records are made with a fixed seed, outside the timer.

Timed: ``build_chronology`` (order, merge, choose, number, entry hashes,
hash chain, RFC 6962 Merkle root, root hash) fed with the records as JSON
texts (as ``Index.item_record_texts`` hands them over; the build parses them,
reading the simple events from their texts, some chunks in its helper
process on the second core), + writing
chronology.json with ``write_json`` (streamed from the entries' bytes, fsynced).
Reference, same process: the floor of touching every field once,
``sha256(json.dumps(record, sort_keys=True))`` record by record.
Each run is a fresh Python process, so its peak RSS (getrusage) is its own;
the peak reported is that plus the helper process's own peak (VmHWM, which
it reports: its ru_maxrss would count the parent's memory at the spawn), the
sum, as if both peaks fell at the same moment.

The PDF: ``intake.reports.pdf_report.write_pdf`` for a 1,000-entry
chronology with a ReportContext that has no store (no exhibits to attach,
no thumbnails). Reference: typst compiling a one-line document, the fixed
cost of the typesetter.

A side measurement: photo entries carrying perceptual hashes go through a
pairwise "same picture" comparison; it is timed at three sizes to show how
it grows.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import OUT, ROOT, Figure, Series, log, rm, verdict  # noqa: E402

PER_ITEM = 500
T0 = 1_600_000_000  # 2020-09-13


def _sha(rnd: random.Random) -> str:
    return f"{rnd.getrandbits(256):064x}"


def _claim(ts: int, meaning: str) -> dict:
    from datetime import UTC, datetime, timedelta, timezone

    moment = datetime.fromtimestamp(ts, UTC)
    off = timedelta(hours=2) if 3 < moment.month < 11 else timedelta(hours=1)
    local = moment.astimezone(timezone(off)).replace(tzinfo=None)
    sign = f"+{off.seconds // 3600:02d}:00"
    return {"local": local.isoformat(timespec="seconds"), "offset": sign,
            "utc": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "zone": "explicit", "source": "SMS Backup & Restore date", "meaning": meaning,
            "granularity": "second", "confidence": "high", "note": "", "flags": []}


#: The people a phone exchanged messages with over a few years: 2,000 numbers
#: (earlier runs drew a new number for every event, 100,000 distinct numbers,
#: which no phone holds and which measured libphonenumber's parser, not intake).
NUMBERS = [f"+32470{n:06d}" for n in random.Random(3).sample(range(10**6), 2000)]


def _event(rnd: random.Random, n: int) -> dict:
    ts = T0 + n * 37 + rnd.randrange(30)
    number = NUMBERS[rnd.randrange(len(NUMBERS))]
    direction = rnd.choice(("incoming", "outgoing"))
    if rnd.random() < 0.8:
        body = " ".join(rnd.choice(("waar", "ben", "je", "ik", "zie", "jou", "morgen", "nu",
                                    "antwoord", "bel", "me", "terug")) for _ in range(8))
        return {"kind": "sms", "summary": f"SMS {direction}", "key": f"sms-{n}",
                "who": number, "to": [], "category": "", "witnesses": [], "flags": [],
                "facts": {"number": number, "contact": "", "direction": direction,
                          "body": body, "withheld": False},
                "claims": [_claim(ts, "sent" if direction == "outgoing" else "received")]}
    return {"kind": "call", "summary": f"Call {direction}", "key": f"call-{n}",
            "who": number, "to": [], "category": "", "witnesses": [], "flags": [],
            "facts": {"number": number, "contact": "", "direction": direction,
                      "duration_seconds": rnd.randrange(300), "withheld": False},
            "claims": [_claim(ts, "called")]}


def records(n_events: int, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    events = [_event(rnd, i) for i in range(n_events)]
    items = []
    for start in range(0, n_events, PER_ITEM):
        evs = events[start:start + PER_ITEM]
        if start and rnd.random() < 0.5:  # an overlapping backup: 5 % of events again
            evs = evs + events[start - PER_ITEM // 10:start - PER_ITEM // 20]
        sha = _sha(rnd)
        items.append({
            "sha256": sha, "sha512": f"{rnd.getrandbits(512):0128x}", "md5": f"{rnd.getrandbits(128):032x}", "size": 1000 * len(evs), "mime": "application/xml",
            "names": [f"sms-{start // PER_ITEM:05d}.xml"],
            "receipts": [{"id": _sha(rnd)[:32], "received_at": "2024-11-28T10:00:00.000Z",
                          "source": f"inbox/sms-{start // PER_ITEM:05d}.xml",
                          "name": f"sms-{start // PER_ITEM:05d}.xml",
                          "fs_times": {"mtime": "2024-11-27T10:00:00Z"}}],
            "parents": [],
            "extraction": {"plugin": "sms_backup", "version": "0.1.0", "kind": "sms-backup",
                           "facts": {}, "warnings": [], "runs": [], "events": evs},
            "warnings": [], "overrides": {},
        })
    return items


def photo_records(n: int, seed: int = 2) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        ev = {"kind": "photo", "summary": "Photo taken", "key": "photo", "who": "", "to": [],
              "category": "", "witnesses": [], "flags": [],
              "facts": {"phash": f"{rnd.getrandbits(64):016x}"},
              "claims": [_claim(T0 + i * 600, "taken") | {"source": "EXIF DateTimeOriginal"}]}
        out.append({"sha256": _sha(rnd), "size": 1, "mime": "image/jpeg",
                    "names": [f"IMG_{i:05d}.jpg"], "receipts": [], "parents": [],
                    "extraction": {"plugin": "photos", "version": "0.1.0", "kind": "photo",
                                   "facts": {}, "warnings": [], "runs": [], "events": [ev]},
                    "warnings": [], "overrides": {}})
    return out


def child(kind: str, n: int) -> None:
    """One measurement in this fresh process; prints a JSON line.

    The records reach the build as the index hands them over: one JSON text per
    item, parsed as it streams in (``Index.item_records`` reads them from SQLite
    one by one), so the input is never all Python objects at once. Timed: the
    build and writing chronology.json the way ``intake chronology`` does
    (``write_json``: streamed out, fsynced).
    """
    import gc
    import hashlib
    import resource
    import tempfile

    import orjson

    from intake.chronology import split
    from intake.chronology.build import build_chronology
    from intake.files import sha256_file
    from intake.reports.context import ReportContext
    from intake.reports.json_report import write_json

    case = {"name": "bench", "timezone": "Europe/Brussels", "language": "nl"}
    recs = records(n) if kind == "sms" else photo_records(n)
    t = time.perf_counter()
    floor = hashlib.sha256()
    for rec in recs:  # the floor, record by record: its memory does not set the peak
        floor.update(json.dumps(rec, sort_keys=True).encode())
    floor.hexdigest()
    ref = time.perf_counter() - t
    blobs = [orjson.dumps(r) for r in recs]
    del recs
    gc.collect()
    out = Path(tempfile.mkdtemp(prefix="bench-chronology-"))
    cpu, t = time.process_time(), time.perf_counter()
    doc = build_chronology(iter(blobs), case=case, tool_version="bench")
    path = write_json(doc, out, ReportContext(case_name="bench", language="nl"))[0]
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
    size, digest = path.stat().st_size, sha256_file(path)
    rm(out)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the helper (waited for)
    helper = split.LAST.get("helper_peak_kib", 0)
    print(json.dumps({"ref": ref, "build": took, "cpu": cpu, "entries": len(doc["entries"]) +
                      len(doc["undated"]), "bytes": size, "sha256": digest,
                      "maxrss_kib": own + helper, "own_kib": own, "helper_kib": helper,
                      "helper_chunks": split.LAST.get("there", 0),
                      "helper_cpu": kids.ru_utime + kids.ru_stime,
                      "chunks": split.LAST.get("here", 0) + split.LAST.get("there", 0)}))


def pdf_child(n: int) -> None:
    import typst

    from intake.chronology.build import build_chronology
    from intake.reports.context import ReportContext
    from intake.reports.pdf_report import write_pdf

    out = OUT / "pdf"
    rm(out)
    out.mkdir(parents=True)
    (out / "min.typ").write_text("Hello.\n")
    t = time.perf_counter()
    typst.compile(str(out / "min.typ"), output=str(out / "min.pdf"))
    ref = time.perf_counter() - t
    doc = build_chronology(records(n), case={"name": "bench", "timezone": "Europe/Brussels",
                                             "language": "nl"}, tool_version="bench")
    entries = len(doc["entries"]) + len(doc["undated"])
    ctx = ReportContext(case_name="bench", language="nl", generated_at="2024-11-28T10:00:00Z")
    t = time.perf_counter()
    paths = write_pdf(doc, out / "report", ctx)
    took = time.perf_counter() - t
    size = sum(p.stat().st_size for p in paths)
    rm(out)
    print(json.dumps({"ref": ref, "build": took, "entries": entries, "bytes": size}))


def _spawn(args: list[str]) -> dict:
    res = subprocess.run([sys.executable, __file__] + args, capture_output=True, text=True,
                         cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"chronology child {args} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure(quick: bool, runs: int) -> list[Figure]:
    # INTAKE_BENCH_NO_MILLION=1 leaves out the 1,000,000-event run (8 GB, several
    # minutes): for a machine shared with other work; its rows then stay the earlier run's
    big = [] if quick or os.environ.get("INTAKE_BENCH_NO_MILLION") else [1_000_000]
    sizes = [10_000, 100_000] + big
    figs = []
    per_event = {}
    for n in sizes:
        build, ref, ratio, rss = Series(), Series(), Series(), []
        k = runs
        if n >= 1_000_000 and per_event and runs * n * max(per_event.values()) > 900:
            # projected over 15 minutes: one run, said so in the table
            k = 1
        for i in range(k):
            r = _spawn(["--child", "sms", str(n)])
            build.add(r["build"])
            ref.add(r["ref"])
            ratio.add(r["build"] / r["ref"])
            rss.append(r["maxrss_kib"])
            log(f"chronology {n} events run {i + 1}/{k}: build {r['build']:.2f} s, "
                f"floor {r['ref']:.2f} s, {r['entries']} entries, peak {r['maxrss_kib'] // 1024} MB")
        per_event[n] = build.median / n
        target = ("< 3 s and ≤ 400 MB peak RSS" if n == 100_000 else
                  ("linear growth" if n > 100_000 else "reported"))
        ok = build.median < 3 and max(rss) / 1024 <= 400 if n == 100_000 else None
        notes = "" if k == runs else f" (1 run only: {runs} would take over 15 min)"
        figs.append(Figure(
            {10_000: "4a", 100_000: "4b", 1_000_000: "4c"}[n], f"Chronology, {n:,} events{notes} (build + hash chain + Merkle + canonical JSON)",
            build.fmt(), f"json.dumps + sha256 of the records: {ref.fmt()}",
            f"{ratio.median:.1f}× the floor, peak {max(rss) / 1024:.0f} MB", target,
            verdict(ok) if ok is not None else "INFO",
            details=[f"{n:,} events ({r['entries']:,} entries after merging, "
                     f"{r['bytes'] / 1e6:.0f} MB of canonical JSON): build {build.fmt()}; "
                     f"floor {ref.fmt()}; peak RSS of the process {max(rss) / 1024:.0f} MB "
                     "(records, document and JSON together), plus its helper's "
                     "(the second core's reader, split.py)."]))
    base = per_event[sizes[0]]
    growth = ", ".join(f"{n:,}: {1e6 * per_event[n]:.1f} µs/event ({per_event[n] / base:.2f}×)"
                       for n in sizes)
    lin_ok = all(per_event[n] / base < 1.5 for n in sizes)
    figs.append(Figure("4d", "Chronology growth (time per event against 10k)", growth,
                       "10k events", f"{per_event[sizes[-1]] / base:.2f}× at "
                       f"{sizes[-1]:,}", "close to linear (≤ 1.5× per event)",
                       verdict(lin_ok)))
    pdf, pref = Series(), Series()
    for i in range(runs):
        r = _spawn(["--pdf", "1000"])
        pdf.add(r["build"])
        pref.add(r["ref"])
        log(f"pdf 1000 run {i + 1}/{runs}: {r['build']:.2f} s ({r['bytes'] // 1024} KiB)")
    figs.append(Figure("4e", f"PDF/A report, {r['entries']:,} entries", pdf.fmt(),
                       f"typst, one-line document: {pref.fmt()}",
                       f"{pdf.median / pref.median:.1f}× the typst floor", "< 10 s",
                       verdict(pdf.median < 10),
                       details=[f"write_pdf, {r['entries']} entries, no exhibits attached: "
                                f"{pdf.fmt()}, {r['bytes'] / 1024:.0f} KiB written."]))
    # photos: the pairwise same-picture pass
    ph = []
    for n in ((500, 1000, 2000) if quick else (1000, 2000, 4000)):
        r = _spawn(["--child", "photo", str(n)])
        ph.append((n, r["build"]))
        log(f"chronology {n} photos: {r['build']:.2f} s")
    grow = ", ".join(f"{n:,} photos {t:.2f} s" for n, t in ph)
    exponent = __import__("math").log(ph[-1][1] / ph[0][1]) / __import__("math").log(
        ph[-1][0] / ph[0][0])
    figs.append(Figure("4f", "Chronology of photos with perceptual hashes (side measure)", grow,
                       "", f"grows as n^{exponent:.1f}", "linear", verdict(exponent < 1.3),
                       details=[f"One run each: {grow}. The 'same picture' links compare every "
                                "pair of photo entries (build.py, the links loop)."]))
    return figs


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 2 and sys.argv[1] == "--pdf":
        pdf_child(int(sys.argv[2]))
    else:
        for f in measure("--quick" in sys.argv, int(os.environ.get("BENCH_RUNS", 5))):
            print(f)

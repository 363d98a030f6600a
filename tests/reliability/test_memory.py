"""Memory that must not grow without bound (issue 9, point 10).

Bounded form (``make test``): the custody log keeps nothing per line; a case
of more entries than the PDF prints gives a PDF that says so and points to
the attached chronology.json; more exhibits than the PDF lists are counted;
embedded files over the per-file limit are named in ``status`` ("not taken").
No timing and no RSS figure is asserted here.

Full form (``make reliability``): the inputs of the issue, written in code
(bench/bench_memory.py), run as a user runs them, each command's peak resident
memory asserted under 500 MB. The watcher over 20,000 files is measured by
``python bench/bench_memory.py --only watch`` (it takes long), figures in
docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import mailbox
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest

from intake.custody import CustodyLog, check_chain, line_hash
from intake.reports import pdf_report
from intake.reports.context import ReportContext
from tests.helpers import FULL, ingest, ok, run_intake, status

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _pdftotext(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         text=True, check=True)
    return " ".join(out.stdout.split())


def test_custody_log_keeps_nothing_per_line(tmp_path):
    a, b = tmp_path / "a" / "custody", tmp_path / "b" / "custody"
    for folder in (a, b):
        folder.parent.mkdir()
    log = CustodyLog([a, b])
    for n in range(200):  # warm up: structlog, the open segments
        log.event("received", sha256=f"{n:064x}", source=f"inbox/{n}.txt")
    log.sync()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(200, 3200):
            log.event("received", sha256=f"{n:064x}", source=f"inbox/{n}.txt")
        log.sync()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # 3,000 lines of ~200 bytes: holding them would take more than 600 kB
    assert grown < 64 * 1024, f"the custody log grew by {grown} bytes over 3,000 lines"
    assert log.seq == 3200
    lines = list(log.lines)  # read back from a replica's copy
    assert len(lines) == len(log.lines) == 3200
    assert line_hash(lines[-1]) == log.head == check_chain(b).head
    assert json.loads(log.lines[2999])["source"] == "inbox/2999.txt"
    log.close()
    reopened = CustodyLog([a, b])
    assert (reopened.seq, reopened.head) == (3200, log.head)


def _mbox(path: Path, n: int) -> None:
    box = mailbox.mbox(str(path), create=True)
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = "stalker@example.org"
        msg["To"] = "victim@example.org"
        msg["Subject"] = f"subject-{i:04d}-x"
        # one message a minute from 1 March 2024 08:00 (+01:00): message i is entry i + 1
        msg["Date"] = f"Fri, 01 Mar 2024 {8 + i // 60:02d}:{i % 60:02d}:00 +0100"
        msg.set_content(f"message {i}")
        box.add(msg)
    box.close()


def test_pdf_of_more_entries_than_the_limit_says_so(tmp_path):
    limit = pdf_report.PDF_MAX_ENTRIES
    total = limit + 20
    case = tmp_path / "case"
    ok(run_intake("init", case))
    _mbox(tmp_path / "many.mbox", total)
    ingest(case, tmp_path / "many.mbox")
    out = tmp_path / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json,pdf",
                  timeout=600))
    doc = json.loads((out / "chronology.json").read_bytes())
    assert len(doc["entries"]) == total
    with pikepdf.open(out / "chronology.pdf") as pdf:
        attached = json.loads(pdf.attachments["chronology.json"].get_file().read_bytes())
    assert len(attached["entries"]) == total  # every entry is in the attached JSON
    text = _pdftotext(out / "chronology.pdf")
    assert (f"Deze PDF drukt de eerste {limit} van {total} vermeldingen volledig af "
            f"(hoogstens {limit} per PDF); alle {total} vermeldingen, ook de 20 die hier niet "
            "afgedrukt zijn, staan in het bijgevoegde chronology.json") in text
    assert "subject-0000-x" in text and f"subject-{limit - 1:04d}-x" in text
    assert f"subject-{limit:04d}-x" not in text and f"subject-{total - 1:04d}-x" not in text


def test_pdf_lists_at_most_the_exhibit_limit(tmp_path):
    limit = pdf_report.PDF_MAX_EXHIBITS
    exhibits = [{"number": n, "label": f"A{n}", "sha256": f"{n:064x}", "size": 10,
                 "mime": "text/plain", "names": [f"m{n}.txt"], "parents": [], "warnings": []}
                for n in range(1, limit + 13)]
    doc = {"case": {"name": "c", "language": "en"}, "exhibits": exhibits, "entries": [],
           "undated": [], "root_hash": "0" * 64}
    root = tmp_path / "root"
    root.mkdir()
    data = pdf_report.build_data(doc, ReportContext(language="en"), root, attach=False)
    assert [e["label"] for e in data["exhibits"]] == [f"A{n}" for n in range(1, limit + 1)]
    assert data["counts"]["exhibits"] == str(limit + 12)
    assert data["limit_exhibits"] == (
        f"Exhibits A1 to A{limit} of {limit + 12} are listed and attached here (at most "
        f"{limit} per PDF); the other 12 are listed in the attached chronology.json and are "
        "in the evidence bundle.")
    assert data["limit_entries"] == ""


def test_embedded_files_over_the_limit_are_named_in_status(tmp_path, monkeypatch):
    """Over MAX_DERIVED members of one zip: "not taken: N of M", first in status."""
    from intake.case import Case
    from intake.ingest import Pipeline, extraction

    monkeypatch.setattr(extraction, "MAX_DERIVED", 5)  # the real limit is 20,000
    case_dir = tmp_path / "case"
    ok(run_intake("init", case_dir))
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("WhatsApp Chat with Alex.txt",
                    "01/02/2024, 10:00 - Alex: hello\n01/02/2024, 10:01 - Alex: again\n")
        for i in range(8):
            zf.writestr(f"IMG-{i}.txt", f"member {i}\n")
    with Case.open(case_dir) as case, Pipeline(case, sandbox=False) as p:
        task = p.process(export, from_inbox=False)
    assert task.outcome == "stored"
    s = status(case_dir)
    assert s["counts"]["derived_items"] == 5
    zipped = next(w for w in s["items_with_warnings"] if "export.zip" in w["names"])
    assert zipped["warnings"][0] == ("not taken: 3 of 8 embedded files, reason: more than 5 "
                                     "in one file (the limit per file); they stay inside the "
                                     "stored original")
    shown = ok(run_intake("status", "--case", case_dir)).stdout
    # the record keeps the English; the Dutch case is told in Dutch
    assert "export.zip: niet opgenomen: 3 van 8 ingebedde bestanden" in " ".join(shown.split())


@pytest.mark.skipif(not FULL, reason="the full form (make reliability) only: minutes")
def test_big_inputs_stay_under_500_mb(tmp_path, figures):
    sys.path.insert(0, str(BENCH))
    import bench_memory as memory  # bench/bench_memory.py: the same inputs and measurement

    rows = memory.bench_commands(tmp_path, 50_000, 2_000, {"ingest", "pdf"})
    figures(**{r["figure"]: {k: r[k] for k in ("seconds", "maxrss_mib", "tree_peak_mib")}
               for r in rows})
    for r in rows:
        assert r["verdict"] == "PASS", r

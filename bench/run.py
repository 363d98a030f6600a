"""Run every benchmark and write docs/PERFORMANCE.md.

    python bench/run.py [--quick] [--runs N]
        [--only large,small,watch,chronology,verify,reports,web,ocr,s3,phone]

``make bench`` runs it in full. --quick uses small sizes for development; its
figures are not the ones to quote. Benchmarks are not tests: CI runs none.

Each figure is measured against issue 19's reference in the same run (the
durable floor, the Python durable loop, ExifTool, sha256sum per replica) and
marked PASS or MISS against the issue's target. A missing reference tool
stops the run with a message (exiftool is installed with apt-get when it can
be; sha256sum, dd and xargs are GNU coreutils/findutils).

The reports figure (HTML and spreadsheet of 100,000 entries, issue 19 point 5)
comes from ``bench/bench_reports.py`` (written on the ``chrono`` branch):
``measure(entries) -> list[dict]``, one row per format (``format``,
``seconds``, ``cpu_seconds``, ``peak_mib``, ...), turned into figures 6a-6d
here; until the module is there the run says so in the table (figure 6, not
measured).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_chronology as chronology  # noqa: E402
import bench_large_file as large_file  # noqa: E402
import bench_ocr as ocr  # noqa: E402
import bench_phone_backup as phone_backup  # noqa: E402
import bench_s3_upload as s3_upload  # noqa: E402
import bench_small_files as small_files  # noqa: E402
import bench_verify as verify  # noqa: E402
import bench_watcher_latency as watcher_latency  # noqa: E402
import bench_web_timeline as web_timeline  # noqa: E402
from bench_common import OUT, ROOT, Figure, log, machine, rm  # noqa: E402

try:  # issue 19, point 5: written on another branch (chrono); the hook waits for it
    import bench_reports as reports  # noqa: E402
except ImportError:
    reports = None

ALL = "large,small,watch,chronology,verify,reports,web,ocr,s3,phone"
#: the slow figures run fewer times, so that `make bench` stays near half an hour
SLOW_RUNS = {"chronology": 3, "phone": 3, "reports": 1}

DOC = ROOT / "docs" / "PERFORMANCE.md"
NOTES = Path(__file__).resolve().parent / "profile-notes.md"


def reports_missing() -> Figure:
    """Figure 6's row while bench/bench_reports.py does not exist yet."""
    return Figure("6", "HTML and spreadsheet of 100,000 entries", "not measured",
                  "–", "bench/bench_reports.py is not there yet (issue 19, point 5)",
                  "≤ 10 s each", "MISS")


def report_figures(quick: bool, runs: int) -> list[Figure]:
    """Figures 6a-6d from bench_reports' rows: each format's writer, median of `runs`."""
    if reports is None:
        return [reports_missing()]
    from bench_common import Series, verdict

    entries = 10_000 if quick else 100_000
    rows: dict[str, list[dict]] = {}
    for _ in range(runs):
        for row in reports.measure(entries):
            rows.setdefault(row["format"], []).append(row)
    figs = []
    for i, (fmt, got) in enumerate(rows.items()):
        letter = "abcdefgh"[i]
        secs = Series([r["seconds"] for r in got])
        peak = max(r["peak_mib"] for r in got)
        timed = fmt != "pdf"
        figs.append(Figure(
            f"6{letter}", f"Report {fmt.upper()}, {got[0]['entries']:,} entries (writer alone)",
            secs.fmt(), f"CPU {Series([r['cpu_seconds'] for r in got]).fmt()}",
            f"{secs.median:.1f} s, peak {peak} MiB", "≤ 10 s" if timed else "reported",
            verdict(secs.median <= 10) if timed else "INFO"))
    return figs


def table(figs: list[Figure]) -> list[str]:
    out = ["| # | figure | intake | reference | ratio / figure | target | |",
           "|---|---|---|---|---|---|---|"]
    for f in figs:
        cells = [f.number, f.name, f.measured, f.reference or "–", f.ratio, f.target, f.verdict]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return out


def earlier_rows(figs: list[Figure]) -> list[Figure]:
    """With --only, the rows of the figures not run this time, carried from the
    doc as it was and marked as from an earlier run (their details are not)."""
    if not DOC.is_file():
        return []
    text = DOC.read_text(encoding="utf-8")
    date = next((line.split("|")[2].strip() for line in text.splitlines()
                 if line.startswith("| Date |")), "an earlier run")
    date = date.removeprefix("earlier run, ")
    have = {f.number for f in figs}
    out = []
    in_table = False
    for line in text.splitlines():
        if line.startswith("| # | figure |"):
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            break
        if not in_table or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) != 7 or cells[0] in have:
            continue
        name = cells[1] if "(earlier run" in cells[1] else f"{cells[1]} (earlier run, {date})"
        out.append(Figure(cells[0], name, *cells[2:7], details=_details(text, cells[0])))
    return out


def _details(text: str, number: str) -> list[str]:
    """The detail lines of figure `number` in the doc as it was."""
    lines = text.split("\n## Details\n", 1)[-1].split("\n## ", 1)[0].splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"**{number}. ")), None)
    if start is None:
        return []
    out = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        out.append(line[2:] if line.startswith("- ") else line)
    return out


def _figure_order(f: Figure) -> tuple:
    digits = "".join(ch for ch in f.number if ch.isdigit())
    return (int(digits) if digits else 99, f.number)


def write_doc(figs: list[Figure], info: dict[str, str], quick: bool, runs: int,
              seconds: float, command: str) -> None:
    lines = ["# Performance", "",
             "Written by `make bench` (`bench/run.py`); do not edit by hand: edit "
             "`bench/profile-notes.md` for the analysis, and run the benchmarks again.", ""]
    if quick:
        lines += ["> **Quick run** (`--quick`): small sizes for development. These are not "
                  "the figures to quote; run `make bench`.", ""]
    lines += ["## The machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", f"Whole run: {seconds / 60:.1f} min, `{command}`.", "",
              "## Figures", "",
              f"Every figure is a ratio against a reference run in the same invocation "
              f"(absolute times drift on a shared machine): median of {runs} runs (figure 1: "
              f"{3 * runs} pairs; chronology and phone backup: {min(runs, 3)} runs; "
              f"reports: 1 run), with min and max. Ratios are intake's speed over the reference's (above 1: intake is "
              "faster), except where the column says otherwise. PASS/MISS compares the "
              "median with the target of the issue; INFO has no target.", ""]
    figs = sorted(figs + earlier_rows(figs), key=_figure_order)
    lines += table(figs)
    lines += ["", "## Details", ""]
    for f in figs:
        if f.details:
            lines += [f"**{f.number}. {f.name}**", ""]
            lines += [f"- {d}" if not d.startswith("  ") else f"  {d.strip()}"
                      for d in f.details]
            lines.append("")
    lines += ["## How each figure is measured", ""]
    for mod in (large_file, small_files, watcher_latency, chronology, verify, reports,
                web_timeline, ocr, s3_upload, phone_backup):
        if mod is None:
            continue
        doc = (mod.__doc__ or "").strip()
        title, _, body = doc.partition("\n")
        lines += [f"**`bench/{Path(mod.__file__).name}`**: {title}", "", body.strip(), ""]
    if NOTES.is_file():
        lines += [NOTES.read_text(encoding="utf-8").strip(), ""]
    lines += ["## How to reproduce", "",
              "On a fresh clone, with `python3` (3.11+), `make`, GNU coreutils (`sha256sum`, "
              "`dd`) and findutils (`xargs`), and the corpus "
              "beside the checkout (`../shared/corpus`, or set `INTAKE_CORPUS`):", "",
              "```sh",
              "make bench                         # installs .venv, runs everything, writes this file",
              ".venv/bin/python bench/run.py --quick            # small sizes, a few minutes",
              ".venv/bin/python bench/run.py --only small,verify # some figures only",
              "```", "",
              "`exiftool` (a reference of figure 2) is installed by the benchmark with "
              "`apt-get install libimage-exiftool-perl` when it is missing and the user is root "
              "(or has password-less sudo); otherwise it stops with a message saying how to "
              "install it. Scratch files go to `bench/out/` (git-ignored) and are removed after "
              "each figure; the large-file figure needs about 5 GiB free for its 1 GiB "
              "memory run and two replicas. The run takes about half an hour; nothing else should run "
              "on the machine meanwhile (the load average at the start is recorded above).", ""]
    DOC.write_text("\n".join(lines), encoding="utf-8")
    log(f"wrote {DOC}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default=ALL)
    ap.add_argument("--no-doc", action="store_true", help="print, do not write the doc")
    args = ap.parse_args()
    if args.runs < 5:
        log("fewer than 5 runs: the figures will not meet the issue's rule")
    only = set(args.only.split(","))
    started = time.monotonic()
    info = machine()
    small_files.ensure_exiftool()
    info = machine()  # again, with exiftool's version
    figs: list[Figure] = []
    try:
        def n(name: str) -> int:
            return min(args.runs, SLOW_RUNS.get(name, args.runs))

        if "large" in only:
            figs += large_file.measure(args.quick, args.runs)
        if "small" in only:
            figs += small_files.measure(args.quick, args.runs)[0]
        if "watch" in only:
            figs += watcher_latency.measure(args.quick, args.runs)
        if "chronology" in only:
            figs += chronology.measure(args.quick, n("chronology"))
        if "verify" in only:
            figs += verify.measure(args.quick, args.runs)
        if "reports" in only:
            figs += report_figures(args.quick, n("reports"))
        if "web" in only:
            figs += web_timeline.measure(args.quick, args.runs)
        if "ocr" in only:
            figs += ocr.measure(args.quick, args.runs)
        if "s3" in only:
            figs += s3_upload.measure(args.quick, args.runs)
        if "phone" in only:
            figs += phone_backup.measure(args.quick, n("phone"))
    except Exception as exc:  # the figures measured so far still go into the doc
        failed = exc
        log(f"a benchmark failed: {exc!r}; writing the figures measured before it")
    else:
        failed = None
    finally:
        rm(OUT)
    for f in figs:
        print(f"{f.number:>3} {f.verdict:4} {f.name}: {f.ratio} (target {f.target})")
    if not args.no_doc:
        cmd = "python bench/run.py" + (" --quick" if args.quick else "") + (
            f" --runs {args.runs}" if args.runs != 5 else "") + (
            f" --only {args.only}" if only != set(ALL.split(",")) else "")
        write_doc(figs, info, args.quick, args.runs, time.monotonic() - started, cmd)
    if failed is not None:
        raise failed


if __name__ == "__main__":
    main()

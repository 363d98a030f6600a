"""OCR: pictures read per second, intake with OCR on and off, the text-link thresholds.

Three measurements on pictures drawn in code (``tests/helpers/ocr_pictures.py``):

- **OCR speed**: the 1080×2400 chat screenshot read by the plugins' own
  function (Tesseract, nld+fra+eng, one core), pictures per second;
- **intake with OCR on and off**: ``intake ingest`` of screenshots (each with
  its own clock, so distinct items) in a case with ``[ocr] languages`` as
  default and as ``[]``; files per second for the whole command (which waits
  for the plugins) and for storing alone (first ``received`` to last
  ``settled`` line of the custody log: OCR runs in the plugin workers and
  must not slow storing);
- **link thresholds**: rapidfuzz scores of each bubble's text against the
  OCR text of the screenshot that shows it (PNG and JPEG), of other
  sentences against it, and of a letter's JPEG against its PDF scan and
  against a chat; the thresholds in ``intake/chronology/textlinks.py`` lie
  between the lowest true and the highest false score.

    .venv/bin/python bench/ocr.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests" / "helpers"))

import ocr_pictures as pictures  # noqa: E402
from bench_common import INTAKE, OUT, Figure, Series, log, new_case, rm, run  # noqa: E402

#: Sentences no screenshot shows (Dutch, French), in the style of the bubbles.
OTHER = ("Morgen om acht uur sta ik weer aan je deur.", "Je sais où tu travailles maintenant.",
         "Waarom heb je mijn nummer geblokkeerd?", "Tu ne peux pas te cacher de moi.",
         "Ik zag je gisteren met je vriendin in de stad.", "On se voit demain au marché.")


def _at(line: dict) -> float:
    return datetime.fromisoformat(line["at"].replace("Z", "+00:00")).timestamp()


def storing_seconds(case: Path) -> float:
    lines = [json.loads(x) for seg in sorted((case / "store" / "a" / "custody").glob("*.jsonl"))
             for x in seg.read_text(encoding="utf-8").splitlines()]
    received = [_at(x) for x in lines if x["event"] == "received"]
    settled = [_at(x) for x in lines if x["event"] == "settled"]
    return max(settled) - min(received)


def ocr_speed(runs: int) -> Figure:
    from plugins import _ocr

    grey = _ocr.open_picture(pictures.chat_screenshot())
    _ocr.read(grey, ["nld", "fra", "eng"])  # warm: the models into the page cache
    s = Series()
    for _ in range(runs):
        t = time.perf_counter()
        result = _ocr.read(grey, ["nld", "fra", "eng"])
        s.add(1 / (time.perf_counter() - t))
    return Figure("O1", "OCR of a 1080×2400 chat screenshot (nld+fra+eng, one core)",
                  s.fmt("pictures/s", 2), "–", f"{s.median:.2f} pictures/s",
                  "about 1 s per picture", "INFO",
                  details=[f"{result.engine}, {result.words} words, mean confidence "
                           f"{result.mean_confidence} %; {1 / s.median:.2f} s per picture."])


def on_off(quick: bool, runs: int) -> Figure:
    n = 8 if quick else 24
    work = OUT / "ocr"
    rm(work)
    whole = {"on": Series(), "off": Series()}
    storing = {"on": Series(), "off": Series()}
    for i in range(runs):
        for mode in (("on", "off") if i % 2 == 0 else ("off", "on")):
            case = new_case(work / f"{mode}{i}", settle_seconds=0.2)
            if mode == "off":
                cfg = case / "config" / "intake.toml"
                cfg.write_text(cfg.read_text(encoding="utf-8").replace(
                    'languages = ["nld", "fra", "eng"]', "languages = []"), encoding="utf-8")
            for k in range(n):
                clock = f"{8 + k // 60:02d}:{k % 60:02d}"
                (case / "inbox" / f"Screenshot_20241012-{8 + k // 60:02d}{k % 60:02d}00.png"
                 ).write_bytes(pictures.chat_screenshot(clock=clock))
            time.sleep(0.5)
            t = time.perf_counter()
            run([INTAKE, "ingest", "--case", str(case), "--json"])
            whole[mode].add(n / (time.perf_counter() - t))
            storing[mode].add(n / max(storing_seconds(case), 1e-3))
            rm(case)
        log(f"ocr on/off run {i + 1}/{runs}: on {whole['on'].values[-1]:.2f} files/s, "
            f"off {whole['off'].values[-1]:.2f} files/s")
    rm(work)
    return Figure("O2", f"intake ingest of {n} chat screenshots, OCR on / off",
                  f"on {whole['on'].fmt('files/s', 2)}", f"off {whole['off'].fmt('files/s', 2)}",
                  f"{whole['on'].median / whole['off'].median:.2f} (on/off, whole command)",
                  "storing not slowed", "INFO",
                  details=[f"Storing alone (first received to last settled line): on "
                           f"{storing['on'].fmt('files/s', 1)}, off "
                           f"{storing['off'].fmt('files/s', 1)}; ratio "
                           f"{storing['on'].median / storing['off'].median:.2f}.",
                           "The whole command waits until the plugin workers have read "
                           "every file; storing does not wait for them."])


def thresholds() -> Figure:
    from rapidfuzz import fuzz

    from intake.chronology.textlinks import normalise
    from plugins import _ocr

    read = {fmt: _ocr.read(_ocr.open_picture(pictures.chat_screenshot(fmt=fmt)),
                           ["nld", "fra", "eng"]).text for fmt in ("PNG", "JPEG")}
    true = [fuzz.partial_ratio(normalise(t), normalise(text))
            for text in read.values() for _s, t in pictures.BUBBLES]
    false = [fuzz.partial_ratio(normalise(t), normalise(text))
             for text in read.values() for t in OTHER]
    calls = _ocr.read(_ocr.open_picture(pictures.call_list_screenshot()), ["nld", "fra", "eng"])
    false += [fuzz.partial_ratio(normalise(t), normalise(calls.text))
              for _s, t in pictures.BUBBLES]
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pictures.letter_pdf())
    scan = _ocr.read(pdf[0].render(scale=200 / 72).to_pil().convert("L"), ["nld", "fra", "eng"])
    pdf.close()
    photo = _ocr.read(_ocr.open_picture(pictures.letter_jpeg()), ["nld", "fra", "eng"])
    same_letter = fuzz.token_sort_ratio(normalise(scan.text), normalise(photo.text))
    other_letter = fuzz.token_sort_ratio(normalise(photo.text), normalise(read["PNG"]))
    return Figure("O3", "text-link scores (rapidfuzz, 0-100)",
                  f"message in its screenshot: lowest {min(true):.0f}",
                  f"not shown: highest {max(false):.0f}",
                  f"letter and its scan {same_letter:.0f}, letter and a chat {other_letter:.0f}",
                  "threshold between true and false", "INFO",
                  details=[f"partial_ratio of {len(true)} true pairs: {sorted(round(x) for x in true)}",
                           f"partial_ratio of {len(false)} false pairs: "
                           f"{sorted(round(x) for x in false)}",
                           f"token_sort_ratio: same letter {same_letter:.1f}, other "
                           f"{other_letter:.1f}"])


def measure(quick: bool, runs: int) -> list[Figure]:
    return [ocr_speed(runs), on_off(quick, runs), thresholds()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    for f in measure(args.quick, args.runs):
        print(f"{f.number} {f.name}: {f.measured} | {f.reference} | {f.ratio}")
        for d in f.details:
            print(f"    {d}")


if __name__ == "__main__":
    main()

"""Letters on paper: OCR of scanned or photographed pages and of image-only PDFs.

A PDF that carries its own text is not read again; a PDF made of page
pictures (a scanner's output) is rendered with pypdfium2 (PDFium, a wheel:
no system package) and read page by page. The date the letter says it was
written becomes a claim; see docs/plugins/ocr.md.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from . import _ocr as ocr
from . import _ocrtext as ocrtext

MAX_PAGES = 5  # a long scanned file: the first pages hold the letter's date
SECONDS = 30  # pages are read until this much time is spent (the plugin's limit is 60 s)
DPI = 200
MIN_TEXT_CHARS = 20  # a PDF with fewer characters of its own on its pages is taken as a scan
#: A page picture is taken as a letter when OCR found this much text with this confidence,
#: in lines of running text (a poster's few big words are no letter).
LETTER_WORDS, LETTER_CONFIDENCE, LETTER_WORDS_PER_LINE = 20, 60, 2.5


def read_pdf(path, languages: Sequence[str]) -> ocr.OcrResult | None:
    """OCR of an image-only PDF's pages; None when the PDF has text of its own."""
    if not languages:
        return ocr.OcrResult("off", "OCR is off for this case ([ocr] languages = [])")
    if ocr.engine() is None:
        return ocr.OcrResult("unavailable", ocr.NOT_INSTALLED)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # PDFium refuses what pikepdf may still have read
        return ocr.OcrResult("failed", f"the pages could not be rendered ({type(exc).__name__})")
    try:
        total = len(pdf)
        pages = [pdf[n] for n in range(min(total, MAX_PAGES))]
        if sum(p.get_textpage().count_chars() for p in pages) >= MIN_TEXT_CHARS:
            return None
        results = []
        start = time.monotonic()
        for page in pages:
            if time.monotonic() - start > SECONDS:
                break
            results.append(ocr.read(page.render(scale=DPI / 72).to_pil().convert("L"),
                                    languages))
    finally:
        pdf.close()
    result = combine(results)
    if result.status == "read" and len(results) < total:
        result = dataclasses.replace(result, reason=f"only the first {len(results)} of "
                                                    f"{total} pages were read")
    return result


def combine(results: list[ocr.OcrResult]) -> ocr.OcrResult:
    """One result for several pages: texts one after the other, TSV rows with their page."""
    read = [r for r in results if r.status == "read"]
    if not read:
        return results[0] if results else ocr.OcrResult("skipped", "the PDF has no pages")
    tsv_rows = []
    for page, r in enumerate(results, 1):
        rows = r.tsv.splitlines()
        if not tsv_rows and rows:
            tsv_rows.append(rows[0])
        for row in rows[1:]:
            cols = row.split("\t")
            if len(cols) > 1:
                cols[1] = str(page)
            tsv_rows.append("\t".join(cols))
    conf = [r.mean_confidence for r in read if r.words]
    return ocr.OcrResult(
        "read", text="\n\n".join(r.text for r in read if r.text),
        lines=read[0].lines, tsv="\n".join(tsv_rows) + "\n", engine=read[0].engine,
        languages=read[0].languages, words=sum(r.words for r in read),
        mean_confidence=round(sum(conf) / len(conf), 1) if conf else 0.0, size=read[0].size,
        missing_languages=read[0].missing_languages)


def is_letter(result: ocr.OcrResult) -> bool:
    return (result.status == "read" and result.words >= LETTER_WORDS
            and result.mean_confidence >= LETTER_CONFIDENCE
            and result.words / max(1, len(result.lines)) >= LETTER_WORDS_PER_LINE)


def add_reading(result: ocr.OcrResult, item, event_key: str, claims: list, facts: dict,
                derived: list, warnings: list, dated: bool = True) -> None:
    """Put what OCR read of a document into the plugin's claims, facts and derived items.

    With `dated`, the date the text says it was written becomes a claim.
    """
    facts.update(result.facts())
    if result.status == "failed":
        warnings.append(f"the text in the pages could not be read: {result.reason}")
    if result.status != "read" or not result.text:
        return
    claim = ocrtext.written_claim(result.text) if dated else None
    if claim:
        claims.append(claim)
        facts["date_written"] = claim.local
    found = ocrtext.identifiers(result.text)
    if found:
        facts["ocr_identifiers"] = found
    record = ocr.derived_record(result, item, event_key)
    if record:
        derived.append(record)

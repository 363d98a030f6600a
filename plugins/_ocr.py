"""OCR with Tesseract: the words a picture shows, each with its box and confidence.

Tesseract runs as its own process (pytesseract calls the ``tesseract``
program): a crash or a hang on a hostile picture ends that process, not the
plugin worker, and ``ENGINE_SECONDS`` stops it before the plugin's own time
limit. Lines are put in reading order (top to bottom, then left to right) so
that chat bubbles read as the conversation does. See docs/plugins/ocr.md.
"""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._pil import pil  # Pillow at the first picture, not at start-up

if TYPE_CHECKING:
    from PIL import Image

ENGINE_SECONDS = 30  # below the plugins' default time limit of 60 s
MIN_SIDE = 48  # a picture smaller than this holds no readable text
MAX_SIDE = 4000  # larger pictures are scaled down first (a 12 MP photo of a letter)
MIN_WORD_CONFIDENCE = 30  # words Tesseract itself doubts below this are left out of the text
RECORD_NAME = ".ocr.json"  # the derived record's name: the picture's name + this
RELATION = "ocr-text"


@dataclass(frozen=True)
class Line:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float


@dataclass(frozen=True)
class OcrResult:
    """What Tesseract read from one picture (or the pages of one document)."""

    status: str  # read, unavailable, failed, skipped, off
    reason: str = ""
    text: str = ""
    lines: tuple[Line, ...] = ()
    tsv: str = ""
    engine: str = ""
    languages: str = ""
    words: int = 0
    mean_confidence: float = 0.0
    size: tuple[int, int] = (0, 0)
    missing_languages: tuple[str, ...] = field(default_factory=tuple)

    def record(self, picture_name: str, picture_sha256: str) -> bytes:
        """The derived record kept beside the picture: text, word boxes, engine."""
        return json.dumps({
            "what": "text read from the picture by OCR (a machine reading, not the exhibit)",
            "picture": picture_name, "picture_sha256": picture_sha256,
            "engine": self.engine, "languages": self.languages,
            "words": self.words, "mean_confidence": self.mean_confidence,
            "text": self.text, "tsv": self.tsv,
        }, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")

    def facts(self) -> dict:
        """The plain facts kept on the item and its event."""
        if self.status != "read":
            return {"ocr": self.status, "ocr_reason": self.reason}
        facts: dict = {"ocr": "read", "ocr_engine": self.engine,
                       "ocr_languages": self.languages, "ocr_words": self.words,
                       "ocr_mean_confidence": round(self.mean_confidence)}
        if self.text:
            facts["ocr_text"] = self.text
        if self.reason:
            facts["ocr_note"] = self.reason
        if self.missing_languages:
            facts["ocr_missing_languages"] = list(self.missing_languages)
        return facts


NOT_INSTALLED = ("the text in pictures is not read: the OCR program Tesseract is not "
                 "installed (see docs/plugins/ocr.md); everything else is kept and read")


def read_picture(data: bytes, languages: Sequence[str], document_only: bool = False,
                 ) -> OcrResult:
    """Read the picture in `data` in the case's languages (none: OCR is off).

    With `document_only`, only a picture that looks like paper (a scanned or
    photographed letter) is read: a photo of a street is not worth the time.
    """
    if not languages:
        return OcrResult("off", "OCR is off for this case ([ocr] languages = [])")
    if engine() is None:
        return OcrResult("unavailable", NOT_INSTALLED)
    if document_only:  # a quick look at a small decoding first: most photos stop here
        small = open_picture(data, draft=(800, 800))
        if small is None:
            return OcrResult("failed", "the picture could not be decoded for OCR")
        if not looks_like_paper(small):
            return OcrResult("skipped", "the picture does not look like a page of text")
    grey = open_picture(data)
    if grey is None:
        return OcrResult("failed", "the picture could not be decoded for OCR")
    return read(grey, languages)


def looks_like_paper(grey: Image.Image) -> bool:
    """Mostly light, with some dark ink: a page, not a scene."""
    small = grey.copy()
    small.thumbnail((600, 600))  # big enough that letters stay dark
    histogram = small.histogram()
    total = sum(histogram) or 1
    light = sum(histogram[170:]) / total
    dark = sum(histogram[:140]) / total
    return light >= 0.6 and 0.001 <= dark <= 0.35


def derived_record(result: OcrResult, item, event_key: str):
    """The OCR record as a derived item of the picture (stored and logged like any item)."""
    from intake import DerivedItem

    if result.status != "read" or not result.text:
        return None
    return DerivedItem(data=result.record(item.name, item.sha256),
                       name=item.name + RECORD_NAME, relation=RELATION,
                       event_key=event_key, mime="application/json")


@functools.cache
def engine() -> tuple[str, tuple[str, ...]] | None:
    """Tesseract's version and installed languages, or None when it is not installed."""
    if shutil.which("tesseract") is None:
        return None
    import pytesseract

    try:
        version = str(pytesseract.get_tesseract_version())
        languages = tuple(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        return None
    return f"tesseract {version}", languages


def open_picture(data: bytes, draft: tuple[int, int] | None = None) -> Image.Image | None:
    """The picture upright, in grey, transparency on white; None if unreadable.

    With `draft`, a JPEG is decoded at a reduced scale near that size (fast).
    """
    Image, ImageOps = pil()
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)
            if draft:
                im.draft("L", draft)
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                back = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(back, im)
            grey = im.convert("L")
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None  # Pillow raises SyntaxError on a damaged PNG chunk or EXIF block
    return grey


def _prepare(grey: Image.Image) -> Image.Image:
    _Image, ImageOps = pil()
    if max(grey.size) > MAX_SIDE:
        grey = grey.copy()
        grey.thumbnail((MAX_SIDE, MAX_SIDE))
    histogram = grey.histogram()
    total = sum(histogram) or 1
    mean = sum(i * n for i, n in enumerate(histogram)) / total
    if mean < 100:  # dark mode: Tesseract reads dark text on light best
        grey = ImageOps.invert(grey)
    return grey


def read(grey: Image.Image, languages: Sequence[str], psm: int = 3) -> OcrResult:
    """Read one picture (already opened with `open_picture`)."""
    found = engine()
    if found is None:
        return OcrResult("unavailable", NOT_INSTALLED)
    version, installed = found
    if min(grey.size) < MIN_SIDE:
        return OcrResult("skipped", f"the picture is too small to hold text "
                                    f"({grey.size[0]}×{grey.size[1]} pixels)", engine=version)
    lo, hi = grey.getextrema()
    if hi - lo < 40:
        return OcrResult("skipped", "the picture is almost one colour: no text to read",
                         engine=version)
    wanted = [lang for lang in languages if lang]
    usable = [lang for lang in wanted if lang in installed]
    missing = tuple(lang for lang in wanted if lang not in installed)
    if not usable:
        usable = ["eng"] if "eng" in installed else list(installed[:1])
    if not usable:
        return OcrResult("unavailable", "Tesseract has no language installed", engine=version)
    lang = "+".join(usable)
    picture = _prepare(grey)
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"  # one core per worker; the workers are the parallelism
    try:
        tsv = pytesseract.image_to_data(picture, lang=lang, config=f"--psm {psm}",
                                        timeout=ENGINE_SECONDS)
    except RuntimeError as exc:  # pytesseract's timeout
        return OcrResult("failed", f"OCR took longer than {ENGINE_SECONDS} s ({exc})",
                         engine=version, languages=lang)
    except (pytesseract.TesseractError, OSError) as exc:
        return OcrResult("failed", f"Tesseract could not read the picture ({exc})"[:300],
                         engine=version, languages=lang)
    scale = grey.size[0] / picture.size[0]
    lines = lines_from_tsv(tsv, scale)
    words = [w for line in lines for w in line.text.split()]
    conf = [line.confidence for line in lines]
    mean = round(sum(conf) / len(conf), 1) if conf else 0.0
    return OcrResult("read", "", text="\n".join(line.text for line in lines), lines=tuple(lines),
                     tsv=tsv, engine=version, languages=lang, words=len(words),
                     mean_confidence=mean, size=grey.size, missing_languages=missing)


def lines_from_tsv(tsv: str, scale: float = 1.0) -> list[Line]:
    """Tesseract's words gathered into lines, in reading order."""
    groups: dict[tuple[str, ...], list[list[str]]] = {}
    rows = tsv.splitlines()
    for row in rows[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if not text or conf < MIN_WORD_CONFIDENCE:
            continue
        groups.setdefault(tuple(cols[1:5]), []).append(cols)
    lines = []
    for words in groups.values():
        left = min(int(w[6]) for w in words)
        top = min(int(w[7]) for w in words)
        right = max(int(w[6]) + int(w[8]) for w in words)
        bottom = max(int(w[7]) + int(w[9]) for w in words)
        text = " ".join(w[11].strip() for w in words)
        conf = sum(float(w[10]) for w in words) / len(words)
        lines.append(Line(text, round(left * scale), round(top * scale),
                          round((right - left) * scale), round((bottom - top) * scale),
                          round(conf, 1)))
    return reading_order(lines)


def reading_order(lines: list[Line]) -> list[Line]:
    """Top to bottom; lines that share a row (a clock and a battery level) left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda x: (x.top + x.height / 2, x.left)):
        middle = line.top + line.height / 2
        if rows:
            last = rows[-1]
            top = min(x.top for x in last)
            bottom = max(x.top + x.height for x in last)
            if top <= middle <= bottom:
                last.append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda x: x.left)]

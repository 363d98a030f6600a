"""OCR records: the text read from a picture, kept as a derived item of that picture.

The screenshots, photos and PDF plugins keep what Tesseract read as a JSON
record (``<picture name>.ocr.json``, relation ``ocr-text``) beside the
exhibit, stored, hashed and logged like any derived item. This plugin
recognises such a record, so that it is listed with its picture and never
read as a file of its own. See docs/plugins/ocr.md.
"""

from __future__ import annotations

import json

from intake import Extraction, ItemView, hookimpl

__version__ = "0.1.0"

RELATION = "ocr-text"


@hookimpl(tryfirst=True)
def intake_extract(item: ItemView, case) -> Extraction | None:
    if item.relation != RELATION:
        return None
    try:
        record = json.loads(item.read_bytes())
    except ValueError:
        return Extraction(warnings=("the OCR record cannot be read as JSON",), kind="ocr-record")
    if not isinstance(record, dict):
        return Extraction(warnings=("the OCR record is not a JSON object",), kind="ocr-record")
    facts = {k: record[k] for k in ("engine", "languages", "words", "mean_confidence",
                                    "picture_sha256") if isinstance(record.get(k), str | int)}
    if isinstance(record.get("mean_confidence"), float):
        facts["mean_confidence"] = round(record["mean_confidence"])  # facts hold no floats
    return Extraction(facts=facts, kind="ocr-record")

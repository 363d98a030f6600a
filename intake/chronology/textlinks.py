"""Links by text: a chat message and the screenshot that shows it, a letter and its photo.

The text OCR read from a picture (``facts.ocr_text``) is compared with each
message's own text (``facts.text`` / ``facts.body``) with rapidfuzz's
``partial_ratio`` (the best-matching stretch of the picture's text), and two
letters' texts with ``token_sort_ratio``. Entries are linked, never merged:
each keeps its own exhibits and times. Thresholds were measured on drawn
screenshots and letters (``bench/ocr.py``, figures in docs/plugins/ocr.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

MESSAGE_KINDS = ("message", "sms", "mms", "email")
#: partial_ratio (0-100) from which a message counts as shown in a picture
MESSAGE_THRESHOLD = 90
#: token_sort_ratio (0-100) from which two letters' texts are one letter
LETTER_THRESHOLD = 85
MIN_CHARS, MIN_WORDS = 12, 3  # "ok", "Hallo?" are in too many pictures to mean anything
KEY_WORD = 4  # words this long or longer pick the candidates


def normalise(text: str) -> str:
    """Lower case, without accents and punctuation, one space between words."""
    plain = "".join(ch for ch in unicodedata.normalize("NFD", text.casefold())
                    if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", plain))


def _facts(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    facts = entry.get("facts")
    return facts if isinstance(facts, Mapping) else {}


def _own_text(entry: Mapping[str, Any]) -> str:
    facts = _facts(entry)
    for key in ("text", "body"):
        if isinstance(facts.get(key), str) and facts[key].strip():
            return facts[key]
    return ""


def text_links(entries: list[dict]) -> list[tuple[int, int, str]]:
    """(index, index, relation) pairs: ``message-in-picture`` and ``same-letter``."""
    pictures: list[tuple[int, str]] = []
    by_word: dict[str, set[int]] = defaultdict(set)
    for i, e in enumerate(entries):
        ocr = _facts(e).get("ocr_text")
        if isinstance(ocr, str) and ocr.strip():
            norm = normalise(ocr)
            pictures.append((i, norm))
            for word in set(norm.split()):
                if len(word) >= KEY_WORD:
                    by_word[word].add(len(pictures) - 1)
    if not pictures:
        return []
    out: list[tuple[int, int, str]] = []
    for j, e in enumerate(entries):
        if e.get("kind") not in MESSAGE_KINDS:
            continue
        text = normalise(_own_text(e))
        words = text.split()
        if len(text) < MIN_CHARS or len(words) < MIN_WORDS:
            continue
        keys = {w for w in words if len(w) >= KEY_WORD}
        hits: dict[int, int] = defaultdict(int)
        for w in keys:
            for p in by_word.get(w, ()):
                hits[p] += 1
        need = min(2, len(keys))
        for p in sorted(p for p, n in hits.items() if n >= need):
            i, norm = pictures[p]
            if fuzz.partial_ratio(text, norm, score_cutoff=MESSAGE_THRESHOLD):
                out.append((i, j, "message-in-picture"))
    letters = [(i, norm) for i, norm in pictures if entries[i].get("kind") == "letter"
               and len(norm) >= MIN_CHARS]
    for a in range(len(letters)):
        for b in range(a + 1, len(letters)):
            (i, x), (j, y) = letters[a], letters[b]
            if fuzz.token_sort_ratio(x, y, score_cutoff=LETTER_THRESHOLD):
                out.append((i, j, "same-letter"))
    return out

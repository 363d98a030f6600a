"""What a reader sees of one chronology entry, the same in the PDF, HTML, CSV and XLSX.

- the headline: the plugin's message id, translated, its parameters filled
  from the entry's facts (``Missed call from a withheld number`` ->
  ``Gemiste oproep van een verborgen nummer``);
- the whole text the person wrote (chat message, SMS, e-mail body, logbook
  entry), never cut silently: past ``TEXT_LIMIT`` characters the reader is
  told how much more there is and in which exhibit it is complete;
- the date and time, an ambiguous wall time (the night clocks go back) with
  both offsets, never as a certain time;
- flags, directions, time sources and who in the reader's words;
- control and bidirectional-override characters made visible (``[U+202E]``),
  so that no text can reorder or hide what is around it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from intake.i18n import format_params, translator

from .dates import split_local
from .labels import (
    category_name,
    direction_name,
    flag_legend,
    flag_name,
    kind_name,
    labels,
    meaning_name,
    source_name,
)

#: The longest text the PDF and HTML show in one entry (characters); the
#: rest is named, with the exhibit where it is whole (docs/reports.md).
TEXT_LIMIT = 6000
#: Spreadsheet cells hold at most 32,767 characters (Excel).
CELL_LIMIT = 32000
#: Text OCR read from a picture is an excerpt in the PDF (whole in the HTML, CSV, entry show).
OCR_EXCERPT = 600

#: Bidirectional controls: shown as [U+XXXX], they would otherwise reorder text.
BIDI = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})


#: Every character `visible` rewrites: controls (Cc) but line breaks, CR and tab;
#: surrogates (Cs); the bidirectional controls; the line and paragraph separators.
_UNSEEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e"
                     "\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def visible(text: object) -> str:
    """`text` with control and bidirectional characters written as ``[U+XXXX]``
    (line breaks, carriage returns and tabs kept)."""
    s = "" if text is None else str(text)
    if not _UNSEEN.search(s):  # nearly every cell: nothing to show
        return s
    out = []
    for ch in s:
        cp = ord(ch)
        if ch in "\n\t\r":
            out.append(ch)
        elif cp in BIDI or unicodedata.category(ch) in ("Cc", "Cs") or cp in (0x2028, 0x2029):
            out.append(f"[U+{cp:04X}]")
        else:
            out.append(ch)
    return "".join(out)


def full_text(entry: dict) -> str:
    """The whole text a person wrote, as the plugin read it ('' if none)."""
    facts = entry.get("facts") or {}
    for key in ("text", "body"):
        value = facts.get(key)
        if isinstance(value, str) and value.strip():
            return value
    if entry.get("kind") == "logbook":
        value = facts.get("what")
        if isinstance(value, str):
            return value
    value = facts.get("excerpt")
    if isinstance(value, str) and value.strip():
        return value
    return ocr_text(entry)


def ocr_text(entry: dict) -> str:
    """The text OCR read from the entry's picture ('' if none): a machine's reading."""
    value = (entry.get("facts") or {}).get("ocr_text")
    return value if isinstance(value, str) and value.strip() else ""


def machine_read(entry: dict) -> bool:
    """True when the entry's text is what OCR read from a picture, not text a file holds."""
    text = ocr_text(entry)
    return bool(text) and full_text(entry) == text


def shown_text(entry: dict, lang: str, label: str, limit: int = TEXT_LIMIT,
               marker: str = "ocr_marker") -> str:
    """The full text, or its first `limit` characters followed by where the rest is.

    Text OCR read from a picture starts with the words `marker` names
    ("(text read from the picture)"), so that no reader takes it for the file's own.
    """
    if machine_read(entry):
        head = labels(lang)[marker] + " "
        return head + _cut(entry, ocr_text(entry), lang, label, limit)
    return _cut(entry, full_text(entry), lang, label, limit)


def _cut(entry: dict, text: str, lang: str, label: str, limit: int) -> str:
    cut = (entry.get("facts") or {}).get("body_cut")
    rest = len(text) - limit if len(text) > limit else 0
    if isinstance(cut, int) and not isinstance(cut, bool):
        rest += cut
    if not rest:
        return text
    return text[:limit] + " " + format_params(labels(lang)["continues"],
                                             {"rest": f"{rest:,}".replace(",", "."),
                                              "label": label})


def _params(entry: dict, lang: str) -> dict:
    facts = entry.get("facts") or {}
    params = {k: v for k, v in facts.items() if isinstance(v, str | int | float | list)}
    params["who"] = who_text(entry, lang)
    params["to"] = ", ".join(str(x) for x in entry.get("to") or [])
    if isinstance(facts.get("direction"), str):
        params["direction"] = direction_name(facts["direction"], lang)
    return params


def headline(entry: dict, lang: str) -> str:
    """The entry in one line, in the reader's language."""
    t = translator(lang)
    message = entry.get("message") or ""
    if message:
        return visible(t.message(message, _params(entry, lang)))
    if entry.get("what"):  # a plugin without message ids: its summary as written
        return visible(entry["what"])
    who = who_text(entry, lang)
    kind = kind_name(str(entry.get("kind") or ""), lang)
    return visible(f"{kind[:1].upper()}{kind[1:]}" + (f" – {who}" if who else ""))


def who_text(entry: dict, lang: str) -> str:
    """Who did it, in words: the victim, a withheld number, or the name as written."""
    facts = entry.get("facts") or {}
    who = str(entry.get("who") or "")
    L = labels(lang)
    if entry.get("kind") == "logbook" or who == "victim":
        return L["who_victim"]
    if facts.get("withheld") is True and who:
        return L["withheld"]
    return visible(who)


def ambiguous_offsets(local: str, zone: str) -> tuple[str, str] | None:
    """Both UTC offsets of a wall time that occurs twice in `zone`, else None."""
    m = re.match(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)", local or "")
    if not m:
        return None
    try:
        wall = datetime.fromisoformat(m.group(1))
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        return None
    a = wall.replace(tzinfo=tz, fold=0).utcoffset()
    b = wall.replace(tzinfo=tz, fold=1).utcoffset()
    if a is None or b is None or a == b:
        return None

    def fmt(d) -> str:
        minutes = int(d.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    return fmt(a), fmt(b)


def time_parts(entry: dict, zone: str) -> tuple[str, str, str, str]:
    """(ISO date, time, offset, other offset): `other` is set only when the wall
    time occurs twice (the offset is then not certain)."""
    day, time, offset = split_local(entry.get("local") or "", entry.get("granularity") or "second")
    other = ""
    if time and "dst-ambiguous" in (entry.get("flags") or []):
        both = ambiguous_offsets(entry.get("local") or "", zone)
        if both:
            other = both[1] if both[0] == offset else both[0]
    return day, time, offset, other


def time_text(entry: dict, lang: str, zone: str) -> str:
    """``23:30:05 +02:00``; an ambiguous one ``02:33, +02:00 of +01:00``."""
    _, time, offset, other = time_parts(entry, zone)
    if other:
        return format_params(labels(lang)["time_ambiguous"],
                             {"time": time, "offset": offset, "other": other})
    return f"{time} {offset}".strip()


def flag_words(entry: dict, lang: str) -> list[str]:
    return [flag_name(str(f), lang) for f in entry.get("flags") or []]


def legend(entries: list[dict], lang: str) -> list[tuple[str, str]]:
    """(flag in words, one-line explanation) for every flag these entries carry."""
    codes = sorted({str(f) for e in entries for f in e.get("flags") or []})
    return [(flag_name(c, lang), flag_legend(c, lang) or c) for c in codes]


def chosen_claim(entry: dict) -> dict:
    claims = entry.get("claims") or []
    return next((c for c in claims if c.get("chosen")), claims[0] if claims else {})


#: Kinds whose own time is the moment they were captured (issue 14, point 5).
CAPTURED = frozenset({"photo", "screenshot", "video", "audio"})


def copy_time_only(entry: dict) -> bool:
    """True when the only time known is the file system's: when the file was
    copied or saved, never when the picture, video or fact was made. Such
    entries are shown apart from the dated facts and say so."""
    return bool(entry.get("instant")) and chosen_claim(entry).get("meaning") == "filed"


def copy_time_words(entry: dict, lang: str) -> str:
    """The sentence an entry with only a copy time carries ('' for the others)."""
    if not copy_time_only(entry):
        return ""
    key = "no_capture_time" if entry.get("kind") in CAPTURED else "no_own_time"
    return labels(lang)[key]


def source_text(claim: dict, lang: str) -> str:
    """Where the time came from, in words (the field's name kept for experts)."""
    if not claim:
        return ""
    return visible(source_name(str(claim.get("source") or ""), lang))


def claim_line(claim: dict, lang: str) -> str:
    """One time claim in words: ``27/10/2024 02:33 +02:00 – sent – <source>``."""
    day, time, offset = split_local(claim.get("local") or "", claim.get("granularity") or "second")
    when = f"{translator(lang).date(day) if day else ''} {time} {offset}".strip()
    return f"{when} – {meaning_name(str(claim.get('meaning') or ''), lang)} – " \
           f"{source_text(claim, lang)}"


def details(entry: dict, lang: str) -> list[str]:
    """Short lines under the headline: that only a copy time is known, place, PV,
    impact, correction, duration…"""
    L = labels(lang)
    facts = entry.get("facts") or {}
    colon = "\u00a0: " if translator(lang).lang == "fr" else ": "
    out = [words] if (words := copy_time_words(entry, lang)) else []
    if facts.get("place"):
        out.append(f"{L['place']}{colon}{visible(facts['place'])}")
    if facts.get("pv_number"):
        out.append(f"PV {visible(facts['pv_number'])}")
    if facts.get("feeling"):
        out.append(f"{L['feeling']}{colon}{visible(facts['feeling'])}")
    if facts.get("supersedes"):
        out.append(format_params(L["supersedes"], {"id": visible(facts["supersedes"])}))
    duration = facts.get("duration_seconds")
    if entry.get("kind") == "call" and isinstance(duration, int) and duration > 0:
        out.append(format_params(L["duration"], {"seconds": duration}))
    attachments = facts.get("attachments")
    if isinstance(attachments, list) and attachments:
        names = [a.get("name") if isinstance(a, dict) else a for a in attachments]
        out.append(f"{L['attachments']}{colon}" + ", ".join(visible(n) for n in names if n))
    return out + provenance(entry, lang)


def provenance(entry: dict, lang: str) -> list[str]:
    """Which reading of an item an entry comes from, when the item was read more than
    once (a plugin added or changed, issue 17): ``read by instagram_dm 0.1.1 on
    30/11/2026; earlier read by fallback``."""
    t = translator(lang)
    out = []
    for src in entry.get("sources") or ():
        earlier = [e for e in src.get("earlier") or () if isinstance(e, dict)]
        if not earlier:
            continue
        before = ", ".join(dict.fromkeys(visible(e.get("plugin") or "?") for e in earlier))
        line = t.gettext("read by {plugin} {version} on {date}; earlier read by {earlier}",
                         plugin=visible(src.get("plugin") or "?"),
                         version=visible(src.get("plugin_version") or ""),
                         date=t.date(src.get("read_at") or ""), earlier=before)
        if line not in out:
            out.append(line)
    return out


def category_text(entry: dict, lang: str) -> str:
    return category_name(str(entry.get("category") or ""), lang)


def curation(entry: dict) -> dict:
    """The adviser's note and tags (empty until curation records exist)."""
    c = entry.get("curation") or {}
    return {"note": str(c.get("note") or ""), "tags": [str(t) for t in c.get("tags") or []],
            "star": bool(c.get("star"))}


def witnesses(entry: dict) -> list[str]:
    """The witnesses of an entry as people read them: "An (0470 12 34 56)", one per item."""
    out = []
    raw = entry.get("witnesses") or (entry.get("facts") or {}).get("witnesses") or []
    for w in raw:
        if isinstance(w, dict):
            name, contact = str(w.get("name") or ""), str(w.get("contact") or "")
            out.append(f"{name} ({contact})" if name and contact else name or contact)
        elif w:
            out.append(str(w))
    return [visible(w) for w in out]

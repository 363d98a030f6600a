"""The victim's logbook: the Markdown/plain-text template and the CSV template.

See ``docs/logbook.md`` for both templates. A Markdown logbook starts with a
title line (``# Logboek``, ``# Journal de bord``, ``# Logbook``, ``# intake
logbook``); each entry starts with a ``## `` heading and has fields such as
``Datum:``, ``Tijd:``, ``Plaats:``, ``Wat:``. A CSV logbook has a header row
with the same field names (Dutch, French or English), ``;`` or ``,`` between
columns, as Excel and LibreOffice write it with Belgian settings.

Each entry becomes a ``logbook`` event with two kinds of time claim: when the
fact *happened* (exact, a period, or approximate) and when it was *recorded*
(written down). Times without an offset are the case's wall time.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime, timedelta

from intake import CATEGORIES, N_, Event, Extraction, ItemView, TimeClaim, hookimpl

__version__ = "0.1.0"


def _fold(text: str) -> str:
    """Lower case, no accents, single spaces: for matching words."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace("\u2019", "'").split())


_ALIASES = {
    "id": "id nr nummer numero no n° entry entry id volgnummer",
    "date": "datum date dag jour day",
    "time": "tijd uur tijdstip heure time",
    "place": "plaats plek locatie waar lieu endroit ou place location where",
    "what": "wat|wat gebeurde er|wat is er gebeurd|beschrijving|quoi|que s'est-il passe|"
            "description|what|what happened",
    "witnesses": "getuigen getuige temoins temoin witnesses witness",
    "pv": "pv|pv-nummer|pv nummer|proces-verbaal|numero de pv|n° pv|police report|"
          "police report number",
    "police": "politie|contact politie|politiecontact|police|contact police|police contact",
    "exhibits": "bewijs bewijzen bewijsstukken bijlagen preuves preuve pieces exhibits "
                "evidence",
    "feeling": "gevoel|hoe voelde ik me|ressenti|comment je me sentais|feeling|how it felt",
    "category": "categorie category soort",
    "written": "genoteerd|opgeschreven|geschreven|note|ecrit|written|written down|recorded",
    "supersedes": "vervangt|remplace|supersedes|replaces",
}
FIELD_OF: dict[str, str] = {}
for _field, _words in _ALIASES.items():
    for _word in (_words.split("|") if "|" in _words else _words.split()):
        FIELD_OF[_fold(_word)] = _field

_MARKER = re.compile(r"^#\s+(intake\s+logbook|logboek|logbook|journal\s+de\s+bord|journal)\b",
                     re.IGNORECASE)
_FIELD_LINE = re.compile(r"^(?:[-*]\s+)?[*_]{0,2}(?P<label>[^:*_\n]{1,40}?)[*_]{0,2}\s*:"
                         r"[*_]{0,2}\s?(?P<value>.*)$")

_CATEGORY_WORDS = {
    "unwanted-communication": "ongewenste communicatie|ongewenst contact|berichten|sms|"
                              "oproepen|telefoon|bellen|communication non desiree|messages|"
                              "appels|unwanted communication|calls|texts|mails",
    "following-or-waiting": "volgen|gevolgd|achtervolg|opwachten|opgewacht|posten|suivi|"
                            "suivre|attendre|guett|filature|following|followed|waiting|"
                            "loitering",
    "physical-approach-or-violence": "fysiek|geweld|aanraking|benader|slaan|geslagen|violence|"
                                     "approche|agression|physical|approach|assault",
    "damage": "schade|beschadig|vernield|vernieling|degat|dommage|degradation|damage|"
              "vandal",
    "orders-in-victims-name": "bestelling|op mijn naam|commande|en mon nom|orders|order in|"
                              "in my name",
    "contact-through-others": "via anderen|via derden|via vrienden|par des tiers|par d'autres|"
                              "par l'intermediaire|through others|third parties|via others",
}


def category_of(text: str) -> str:
    """The intake category for words a victim wrote, or "" if none fits."""
    folded = _fold(text)
    if not folded:
        return ""
    for category in CATEGORIES:
        if folded == category or folded == category.replace("-", " "):
            return category
    for category, words in _CATEGORY_WORDS.items():
        if any(word in folded for word in words.split("|")):
            return category
    return ""


# --- dates and times ----------------------------------------------------------

_MONTHS = {
    "jan": 1, "januari": 1, "janvier": 1, "january": 1, "janv": 1,
    "feb": 2, "februari": 2, "fevrier": 2, "february": 2, "fev": 2, "fevr": 2,
    "maa": 3, "maart": 3, "mars": 3, "march": 3, "mar": 3, "mrt": 3,
    "apr": 4, "april": 4, "avril": 4, "avr": 4,
    "mei": 5, "mai": 5, "may": 5,
    "jun": 6, "juni": 6, "juin": 6, "june": 6,
    "jul": 7, "juli": 7, "juillet": 7, "july": 7, "juil": 7,
    "aug": 8, "augustus": 8, "aout": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "okt": 10, "oct": 10, "oktober": 10, "octobre": 10, "october": 10,
    "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "decembre": 12,
}
_APPROX = re.compile(r"^(?:ca\.?|circa|rond(?:om)?|omstreeks|ongeveer|plusminus|\+/-|\+-|±|~|"
                     r"vers|environ|aux alentours de|autour de|around|about|approx\.?|"
                     r"approximately|roughly)\s*", re.IGNORECASE)
_DMY = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_WORD_DATE = re.compile(r"(?<!\d)(\d{1,2})(?:er|e|ste|de|st|nd|rd|th)?\.?\s+([^\W\d_]+)\.?\s+"
                        r"(\d{4})(?!\d)")
_CLOCK = re.compile(r"(?<![\d:.])([01]?\d|2[0-3])\s*(?:(?=\s*(?:uur|heures?)\b)|[:.uh]\s*"
                    r"([0-5]\d)?)(?::([0-5]\d))?(?![\d])", re.IGNORECASE)
_OFFSET = re.compile(r"(?:\s*(Z|[+-]\d{2}:?\d{2}))$")
_RANGE_SPLIT = re.compile(r"\s*(?:-|–|—|\btot\b|\bt/m\b|\btot en met\b|\ba\b|\bà\b|\bau\b|"
                          r"\bto\b|\buntil\b|\ben\b|\bet\b|\band\b)\s*", re.IGNORECASE)
_RANGE_WORDS = re.compile(r"^(?:van|tussen|de|du|entre|from|between)\s+", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """One date as Belgians write it: d/m/yyyy, d-m-yy, yyyy-mm-dd, 1 maart 2024."""
    text = text.strip()
    m = _YMD.search(text)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DMY.search(text)
        if m:
            year = int(m.group(3))
            year += 2000 if year < 100 else 0
            return date(year, int(m.group(2)), int(m.group(1)))
        m = _WORD_DATE.search(text)
        if m and _fold(m.group(2)).rstrip(".") in _MONTHS:
            return date(int(m.group(3)), _MONTHS[_fold(m.group(2)).rstrip(".")],
                        int(m.group(1)))
    except ValueError:
        return None
    return None


def _date_span(text: str) -> tuple[int, int]:
    for pattern in (_YMD, _DMY, _WORD_DATE):
        m = pattern.search(text)
        if m and (pattern is not _WORD_DATE or _fold(m.group(2)).rstrip(".") in _MONTHS):
            return m.span()
    return (-1, -1)


def parse_dates(text: str) -> tuple[date | None, date | None, str]:
    """(first day, last day or None, text left after the dates)."""
    start, end = _date_span(text)
    if start < 0:
        return None, None, text
    first = parse_date(text[start:end])
    rest = text[end:]
    m = re.match(r"\s*(?:-|–|—|tot|t/m|au|to|until|jusqu'au)\s*", rest, re.IGNORECASE)
    if m:
        s2, e2 = _date_span(rest[m.end():])
        if s2 == 0:
            second = parse_date(rest[m.end():m.end() + e2])
            return first, second, (text[:start] + rest[m.end() + e2:]).strip()
    return first, None, (text[:start] + rest).strip()


def _clock(text: str) -> tuple[int, int, int | None, bool] | None:
    """(hour, minute, second, minutes written) of the first clock time in text."""
    m = _CLOCK.search(text)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3)) if m.group(3) else None,
            bool(m.group(2)))


_FILLER = {"-", "–", "—", "tot", "t/m", "a", "à", "au", "to", "until", "en", "et", "and",
           "uur", "heure", "heures", "h", "u", "om", "at", "vers", "omstreeks"}


def parse_time(text: str) -> dict:
    """Read a time field: exact, a period, or approximate; words otherwise.

    Returns {"start": clock | None, "end": clock | None, "approx": bool,
    "words": the text when it is not only clock times}; a clock is
    (hour, minute, second | None, minutes written).
    """
    raw = " ".join(text.split())
    approx = False
    body = raw
    m = _APPROX.match(body)
    if m:
        approx, body = True, body[m.end():]
    body = _RANGE_WORDS.sub("", body)
    clocks = list(_CLOCK.finditer(body))
    leftover = [w for w in _CLOCK.sub(" ", body).replace("-", " - ").split()
                if _fold(w).strip(".,") not in _FILLER]
    words = raw if leftover else ""

    def clock(match: re.Match) -> tuple[int, int, int | None, bool]:
        return (int(match.group(1)), int(match.group(2) or 0),
                int(match.group(3)) if match.group(3) else None, bool(match.group(2)))

    if len(clocks) >= 2 and _RANGE_SPLIT.fullmatch(body[clocks[0].end():clocks[1].start()]):
        return {"start": clock(clocks[0]), "end": clock(clocks[1]), "approx": approx,
                "words": words}
    if clocks:
        return {"start": clock(clocks[0]), "end": None, "approx": approx or bool(words),
                "words": words}
    return {"start": None, "end": None, "approx": approx, "words": raw}


def _iso(day: date, clock: tuple[int, int, int | None, bool] | None) -> tuple[str, str]:
    if clock is None:
        return day.isoformat(), "day"
    hour, minute, second, has_minutes = clock
    moment = datetime(day.year, day.month, day.day, hour, minute, second or 0)
    granularity = "second" if second is not None else "minute" if has_minutes else "hour"
    return moment.isoformat(), granularity


def happened_claims(date_text: str, time_text: str, source: str) -> tuple[list[TimeClaim],
                                                                          list[str]]:
    """The claims for when the fact happened, and problems in plain words."""
    problems: list[str] = []
    approx_date = bool(_APPROX.match(date_text.strip()))
    first, last, rest = parse_dates(_APPROX.sub("", date_text.strip(), count=1))
    if first is None:
        if date_text.strip():
            problems.append(f"the date {date_text.strip()!r} could not be read")
        return [], problems
    if not time_text.strip() and rest.strip():
        time_text = rest  # "1/3/2024 21:15" in the date field
    parsed = parse_time(time_text) if time_text.strip() else {
        "start": None, "end": None, "approx": False, "words": ""}
    approx = approx_date or parsed["approx"]
    written = " ".join(f"{date_text} {time_text}".split())
    base_flags = ("approximate",) if approx else ()
    confidence = "medium" if approx else "high"
    note = f"as written: {written}"
    if parsed["words"]:
        note += " (the time is described in words, not read as a clock time)"
    end_day = last or first
    claims: list[TimeClaim] = []
    if parsed["start"] and parsed["end"]:
        start_local, g1 = _iso(first, parsed["start"])
        end_local, g2 = _iso(end_day, parsed["end"])
        if end_local < start_local and last is None:
            end_local, g2 = _iso(first + timedelta(days=1), parsed["end"])
        claims.append(TimeClaim(local=start_local, source=source, meaning="happened",
                                granularity=g1, confidence=confidence,
                                note=note + " (start of the period)",
                                flags=(*base_flags, "period-start")))
        claims.append(TimeClaim(local=end_local, source=source, meaning="happened",
                                granularity=g2, confidence=confidence,
                                note=note + " (end of the period)",
                                flags=(*base_flags, "period-end")))
    elif last is not None:
        claims.append(TimeClaim(local=first.isoformat(), source=source, meaning="happened",
                                granularity="day", confidence=confidence,
                                note=note + " (start of the period)",
                                flags=(*base_flags, "period-start")))
        claims.append(TimeClaim(local=last.isoformat(), source=source, meaning="happened",
                                granularity="day", confidence=confidence,
                                note=note + " (end of the period)",
                                flags=(*base_flags, "period-end")))
    else:
        local, granularity = _iso(first, parsed["start"])
        claims.append(TimeClaim(local=local, source=source, meaning="happened",
                                granularity=granularity, confidence=confidence, note=note,
                                flags=base_flags))
    return claims, problems


def recorded_claim(text: str, source: str) -> tuple[TimeClaim | None, str]:
    """When the entry was written down."""
    raw = " ".join(text.split())
    if not raw:
        return None, ""
    offset = None
    m = _OFFSET.search(raw)
    body = raw
    if m and _clock(raw[:m.start()]):
        offset = m.group(1)
        if offset != "Z" and ":" not in offset:
            offset = offset[:3] + ":" + offset[3:]
        body = raw[:m.start()]
    day, _, rest = parse_dates(body.replace("T", " "))
    if day is None:
        return None, f"the date it was written down, {raw!r}, could not be read"
    clock = _clock(rest)
    local, granularity = _iso(day, clock)
    return TimeClaim(local=local, source=source, meaning="recorded", offset=offset,
                     granularity=granularity, confidence="high",
                     zone="explicit" if offset else "",
                     note=f"as written: {raw}"), ""


# --- entries ------------------------------------------------------------------

def _split_list(value: str) -> list[str]:
    lines = [re.sub(r"^\s*[-*•]\s*", "", line).strip() for line in value.split("\n")]
    items = []
    for line in lines:
        if not line:
            continue
        parts = re.split(r"\s*;\s*", line) if ";" in line else [line]
        items.extend(p for p in parts if p)
    return items


def parse_witness(text: str) -> dict:
    text = text.strip()
    m = re.match(r"^(?P<name>.*?)\s*\((?P<contact>[^()]*)\)\s*$", text)
    if m and m.group("name"):
        return {"name": m.group("name").strip(), "contact": m.group("contact").strip()}
    for sep in (", ", " - ", " – ", ": "):
        if sep in text:
            name, contact = text.split(sep, 1)
            return {"name": name.strip(), "contact": contact.strip()}
    return {"name": text, "contact": ""}


def _exhibits(value: str) -> list[str]:
    items = []
    for item in _split_list(value):
        items.extend(p.strip() for p in re.split(r",\s+", item) if p.strip())
    return items


def entry_event(fields: dict[str, str], n: int, title: str, labels: dict[str, str],
                warnings: list[str]) -> Event:
    """One logbook event from the fields of one entry."""
    entry_id = fields.get("id", "").strip()
    key = f"entry-{entry_id or n}"
    where = f"entry {entry_id or n}" + (f" ({title})" if title else "")
    date_label = labels.get("date", "Datum")
    time_label = labels.get("time", "Tijd")
    claims, problems = happened_claims(fields.get("date", ""), fields.get("time", ""),
                                       f"logbook {date_label}/{time_label} (declared)")
    warnings.extend(f"{where}: {p}" for p in problems)
    if not fields.get("date", "").strip():
        warnings.append(f"{where}: no date is given for when it happened")
    recorded, problem = recorded_claim(fields.get("written", ""),
                                       f"logbook {labels.get('written', 'Genoteerd')}")
    if recorded:
        claims.append(recorded)
    if problem:
        warnings.append(f"{where}: {problem}")
    witnesses = [parse_witness(w) for w in _split_list(fields.get("witnesses", ""))]
    category_text = fields.get("category", "").strip()
    category = category_of(category_text)
    if category_text and not category:
        warnings.append(f"{where}: the category {category_text!r} is not one intake knows; "
                        "the adviser can set it")
    what = fields.get("what", "").strip()
    supersedes = fields.get("supersedes", "").strip()
    facts = {
        "entry_id": entry_id or str(n), "title": title,
        "place": fields.get("place", "").strip(), "what": what,
        "witnesses": witnesses, "pv_number": fields.get("pv", "").strip(),
        "police_contact": fields.get("police", "").strip(),
        "exhibits": _exhibits(fields.get("exhibits", "")),
        "feeling": fields.get("feeling", "").strip(), "supersedes": supersedes,
        "date_as_written": fields.get("date", "").strip(),
        "time_as_written": fields.get("time", "").strip(),
        "written_as_written": fields.get("written", "").strip(),
        "category_as_written": category_text,
    }
    shown = " ".join((what or title).split())
    summary = "Logbook: " + (shown[:77] + "..." if len(shown) > 80 else shown)
    flags = ["supersedes-earlier-entry"] if supersedes else []
    if any("approximate" in c.flags for c in claims):
        flags.append("approximate")
    return Event(kind="logbook", summary=summary, claims=tuple(claims), key=key,
                 who="victim", category=category,
                 witnesses=tuple(f"{w['name']} ({w['contact']})" if w["contact"] else w["name"]
                                 for w in witnesses),
                 flags=tuple(flags), facts=facts,
                 message=N_("Logbook entry {entry_id}: {title}") if title
                 else N_("Logbook entry {entry_id}"))


def _finish(events: list[Event], warnings: list[str], kind: str, fmt: str) -> Extraction:
    ids: dict[str, int] = {}
    for event in events:
        ids[event.facts["entry_id"]] = ids.get(event.facts["entry_id"], 0) + 1
    for entry_id, count in ids.items():
        if count > 1:
            warnings.append(f"the entry id {entry_id!r} is used {count} times in this file")
    superseded = {e.facts["supersedes"] for e in events if e.facts["supersedes"]}
    final = []
    for event in events:
        if event.facts["entry_id"] in superseded:
            event = Event(kind=event.kind, summary=event.summary, claims=event.claims,
                          key=event.key, who=event.who, to=event.to, category=event.category,
                          witnesses=event.witnesses, flags=(*event.flags, "superseded"),
                          facts=event.facts, message=event.message)
        final.append(event)
    if not final:
        warnings.append("the logbook has no entries yet")
    return Extraction(events=tuple(final), warnings=tuple(warnings),
                      facts={"format": fmt, "entries": len(final)}, kind=kind)


# --- Markdown -----------------------------------------------------------------

def _label_of(line: str) -> tuple[str, str, str] | None:
    """(field, label as written, value) when the line is a field line."""
    if line[:1] in (" ", "\t"):
        return None
    m = _FIELD_LINE.match(line)
    if not m:
        return None
    label = m.group("label").strip()
    field = FIELD_OF.get(_fold(label))
    if not field:
        return None
    return field, label, m.group("value").strip().strip("*_").strip()


def parse_markdown(text: str) -> Extraction | None:
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    if not _MARKER.match(first):
        return None
    warnings: list[str] = []
    entries: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    title = ""
    for line in lines[lines.index(next(x for x in lines if x.strip() == first)) + 1:]:
        if line.startswith("## "):
            title = line[3:].strip()
            current = []
            entries.append((title, current))
            continue
        if current is None:
            if _label_of(line):
                current = []
                entries.append(("", current))
            else:
                continue
        current.append(line)
    events = []
    for n, (title, body) in enumerate(entries, 1):
        fields: dict[str, str] = {}
        labels: dict[str, str] = {}
        field = "what"
        for line in body:
            found = _label_of(line)
            if found:
                field, label, value = found
                labels.setdefault(field, label)
                fields[field] = (fields[field] + "\n" + value) if field in fields else value
                continue
            if line.strip() or field in fields:
                stripped = line.strip()
                fields[field] = (fields.get(field, "") + "\n" + stripped) if fields.get(
                    field) else stripped
        fields = {k: v.strip() for k, v in fields.items()}
        if not any(fields.values()):
            continue
        events.append(entry_event(fields, n, title, labels, warnings))
    return _finish(events, warnings, "logbook", "markdown")


# --- CSV ----------------------------------------------------------------------

def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_csv(text: str) -> Extraction | None:
    first_line = text.split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        return None
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    if not rows:
        return None
    header = [FIELD_OF.get(_fold(h.strip().strip("*_").rstrip(":"))) for h in rows[0]]
    known = [h for h in header if h]
    if len(known) < 2 or not ({"date", "what"} & set(known)):
        return None
    labels = {f: rows[0][i].strip() for i, f in enumerate(header) if f}
    warnings: list[str] = []
    events = []
    for n, row in enumerate(rows[1:], 1):
        fields: dict[str, str] = {}
        for i, value in enumerate(row):
            if i < len(header) and header[i] and value.strip():
                fields[header[i]] = value.strip()
        if not fields:
            continue
        events.append(entry_event(fields, n, "", labels, warnings))
    return _finish(events, warnings, "logbook", "csv")


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if not item.mime.startswith("text/") or item.mime == "text/html":
        return None
    head = _decode(item.head[:4096]) if item.head else ""
    stripped = head.lstrip("\ufeff \r\n\t")
    if stripped.startswith("#"):
        if not _MARKER.match(stripped.split("\n", 1)[0].strip()):
            return None
        return parse_markdown(_decode(item.read_bytes()).lstrip("\ufeff"))
    first_line = stripped.split("\n", 1)[0]
    if not any(sep in first_line for sep in ";,\t"):
        return None
    return parse_csv(_decode(item.read_bytes()).lstrip("\ufeff"))

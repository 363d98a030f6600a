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

from intake import CATEGORIES, N_, Event, Extraction, ItemView, hookimpl
from intake.logtime import happened_claims, recorded_claim

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
    "feeling": "gevoel|hoe voelde ik me|impact|gevolgen|gevolgen voor mij|ressenti|"
               "comment je me sentais|retentissement|repercussions|feeling|how it felt",
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
    if problems and not any(c.meaning == "happened" for c in claims):
        flags_extra = ["when-it-happened-unreadable"]
    else:
        flags_extra = []
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
        "noted_at": (recorded.local + (recorded.offset or "")) if recorded else "",
        "replaces": supersedes,
        "category_as_written": category_text,
    }
    shown = " ".join((what or title).split())
    summary = "Logbook: " + (shown[:77] + "..." if len(shown) > 80 else shown)
    flags = (["supersedes-earlier-entry"] if supersedes else []) + flags_extra
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
    # universal newlines: a logbook saved with old Mac line ends (a lone \r) is read too
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=sep)
    rows: list[list[str]] = []
    cut = ""
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:  # damaged further on: keep what was read, and say where
        cut = f"the logbook could not be read past line {reader.line_num} ({exc})"
    if not rows:
        return None
    header = [FIELD_OF.get(_fold(h.strip().strip("*_").rstrip(":"))) for h in rows[0]]
    known = [h for h in header if h]
    if len(known) < 2 or not ({"date", "what"} & set(known)):
        return None
    labels = {f: rows[0][i].strip() for i, f in enumerate(header) if f}
    warnings: list[str] = [cut] if cut else []
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

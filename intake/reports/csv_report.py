"""chronology.csv: the chronology for Excel and LibreOffice with Belgian settings.

UTF-8 with BOM (so Excel reads the accents), ``;`` as separator, CRLF line
ends, RFC 4180 quoting (fields holding ``;``, ``"``, CR or LF are quoted,
quotes doubled). Dates are ``dd/mm/yyyy``; the time and its UTC offset are
separate columns (the offset written ``UTC+02:00``). A cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or CR is prefixed with ``'`` so that no
spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from intake.chronology.context import ReportContext

from .labels import language
from .labels import split_local as labels_split_local

FILE_NAME = "chronology.csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HEADERS = {
    "nl": ["Nr", "Datum", "Uur", "UTC-verschil", "Wat", "Wie", "Categorie",
           "Bron van het tijdstip", "Stukken", "SHA-256 eerste stuk", "Getuigen", "Opmerkingen"],
    "fr": ["N°", "Date", "Heure", "Décalage UTC", "Quoi", "Qui", "Catégorie",
           "Source de l'heure", "Pièces", "SHA-256 première pièce", "Témoins", "Remarques"],
    "en": ["No", "Date", "Time", "UTC offset", "What", "Who", "Category",
           "Source of the time", "Exhibits", "SHA-256 of first exhibit", "Witnesses", "Flags"],
}

CATEGORIES = {
    "nl": {"unwanted-communication": "ongewenste communicatie",
           "following-or-waiting": "volgen of opwachten",
           "physical-approach-or-violence": "fysieke benadering of geweld",
           "damage": "schade", "orders-in-victims-name": "bestellingen op naam van het slachtoffer",
           "contact-through-others": "contact via anderen", "": "niet ingedeeld"},
    "fr": {"unwanted-communication": "communication non désirée",
           "following-or-waiting": "suivre ou attendre",
           "physical-approach-or-violence": "approche physique ou violence",
           "damage": "dégâts", "orders-in-victims-name": "commandes au nom de la victime",
           "contact-through-others": "contact via des tiers", "": "non classé"},
    "en": {"unwanted-communication": "unwanted communication",
           "following-or-waiting": "following or waiting",
           "physical-approach-or-violence": "physical approach or violence",
           "damage": "damage", "orders-in-victims-name": "orders in the victim's name",
           "contact-through-others": "contact through others", "": "not categorised"},
}

FLAGS = {
    "nl": {"claims-disagree": "tijdstippen spreken elkaar tegen",
           "low-confidence-time": "tijdstip onzeker",
           "dst-ambiguous": "uur dubbel bij overgang naar wintertijd",
           "dst-gap": "uur bestaat niet bij overgang naar zomertijd",
           "placeholder": "standaardklok van het toestel",
           "unreadable-time-claim": "onleesbaar tijdstip"},
    "fr": {"claims-disagree": "les heures se contredisent",
           "low-confidence-time": "heure incertaine",
           "dst-ambiguous": "heure double au passage à l'heure d'hiver",
           "dst-gap": "heure inexistante au passage à l'heure d'été",
           "placeholder": "horloge par défaut de l'appareil",
           "unreadable-time-claim": "heure illisible"},
    "en": {"claims-disagree": "time claims disagree",
           "low-confidence-time": "time uncertain",
           "dst-ambiguous": "hour repeated when clocks went back",
           "dst-gap": "hour skipped when clocks went forward",
           "placeholder": "device's default clock",
           "unreadable-time-claim": "unreadable time"},
}


def guard(value: object) -> str:
    """A cell as text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def split_local(local: str | None, granularity: str | None) -> tuple[str, str, str]:
    """``2024-07-01T23:30:05+02:00`` -> ("01/07/2024", "23:30:05", "UTC+02:00"):
    `labels.split_local` in the form Belgian spreadsheets read (day and coarser:
    no time; the offset written so that it is not taken for a formula)."""
    gran = granularity or "second"
    date, time, offset = labels_split_local(local or "", gran)
    if not date:
        return "", "", ""
    y, m, d = date.split("-")
    day = {"month": f"{m}/{y}", "year": y}.get(gran, f"{d}/{m}/{y}")
    if gran in ("day", "month", "year") or not time:
        return day, "", ""
    return day, time, "UTC" + (offset or "+00:00")


def entry_rows(chronology: dict, lang: str) -> list[list[str]]:
    """The table as lists of cell texts (not yet guarded), header first."""
    lang = language(lang)
    labels = {x["sha256"]: x["label"] for x in chronology.get("exhibits", ())}
    rows = [list(HEADERS[lang])]
    for e in list(chronology.get("entries", ())) + list(chronology.get("undated", ())):
        day, time, offset = split_local(e.get("local"), e.get("granularity"))
        chosen = next((c for c in e.get("claims", ()) if c.get("chosen")), None)
        source = f"{chosen['plugin']}: {chosen['source']}" if chosen else ""
        exhibits = e.get("exhibits", [])
        flags = [FLAGS[lang].get(f, f) for f in e.get("flags", ())]
        rows.append([
            str(e.get("number", "")), day, time, offset, e.get("what", ""), e.get("who", ""),
            CATEGORIES[lang].get(e.get("category", ""), e.get("category", "")), source,
            ", ".join(labels.get(s, s) for s in exhibits), exhibits[0] if exhibits else "",
            ", ".join(e.get("witnesses", ())), ", ".join(flags),
        ])
    return rows


def belgian_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """Rows as Excel and LibreOffice read them with Belgian settings: UTF-8 with a
    byte order mark, ';' between cells, CRLF, RFC 4180 quoting, formulas defused."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", quotechar='"', lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL, doublequote=True)
    for row in rows:
        writer.writerow([guard(cell) for cell in row])
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def csv_bytes(chronology: dict, lang: str) -> bytes:
    return belgian_csv(entry_rows(chronology, lang))


def write_csv(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.csv in the context's language."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = context.language or chronology.get("case", {}).get("language", "nl")
    path = out_dir / FILE_NAME
    tmp = out_dir / (FILE_NAME + ".tmp")
    tmp.write_bytes(csv_bytes(chronology, lang))
    os.replace(tmp, path)
    return [path]

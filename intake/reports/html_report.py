"""chronology.html: the chronology as one self-contained page.

No external CSS, scripts, fonts or images: styles are inline, the chart is
inline SVG, thumbnails are ``data:`` URIs. Every text from the chronology is
escaped with ``html.escape``, so a hostile subject line shows as text. It
prints well: ``@media print`` styles, table headers repeat on every page.
"""

from __future__ import annotations

import base64
import os
from collections import Counter
from datetime import date, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from intake.chronology.build import parse_instant
from intake.chronology.context import ReportContext

from .csv_report import CATEGORIES, FLAGS, language, split_local

FILE_NAME = "chronology.html"
THUMB_SIZE = 160

L = {
    "nl": {
        "title": "Chronologie van feiten", "case": "Dossier", "period": "Periode",
        "open": "heden", "start": "begin", "generated": "Opgemaakt op", "tool": "Opgemaakt met",
        "timezone": "Tijdzone", "root_hash": "Roothash", "merkle_root": "Merkle-root",
        "summary": "Samenvatting", "n_entries": "Feiten met datum",
        "n_undated": "Feiten zonder datum", "n_exhibits": "Bewijsstukken",
        "per_category": "Per categorie", "per_week": "Feiten per week (maandag, lokale datum)",
        "per_month": "Feiten per maand (lokale datum)",
        "per_year": "Feiten per jaar (lokale datum)", "count": "Aantal",
        "chronology": "Chronologie", "undated": "Feiten zonder leesbaar tijdstip",
        "nr": "Nr.", "date": "Datum", "time": "Uur", "what": "Wat", "who": "Wie",
        "category": "Categorie", "exhibits": "Stukken", "flags": "Opmerkingen",
        "witnesses": "Getuigen", "to": "Aan", "time_source": "Tijdstip volgens",
        "why": "Waarom dit tijdstip", "claims": "Alle tijdstippen", "chosen": "gekozen",
        "see_also": "zie ook", "same-screenshot": "zelfde schermafbeelding",
        "same-image": "zelfde afbeelding", "exhibit_index": "Inventaris van de bewijsstukken",
        "label": "Stuk", "preview": "Voorbeeld", "names": "Oorspronkelijke naam",
        "type": "Soort", "size": "Grootte (bytes)", "inside": "Zit in",
        "verify": "Hoe controleren", "none": "geen",
        "verify_intro": "Elk bewijsstuk wordt aangeduid met zijn SHA-256-vingerafdruk. Wie een "
                        "stuk ontvangt, kan met standaardgereedschap nagaan dat het niet "
                        "gewijzigd is: de uitkomst moet gelijk zijn aan de waarde hieronder.",
        "verify_files": "Vingerafdruk van elk stuk (Linux: sha256sum, macOS: shasum -a 256, "
                        "Windows: certutil -hashfile BESTAND SHA256):",
        "verify_json": "De chronologie zelf (chronology.json) controleren, zonder de opslag: "
                       "alle hashes, de keten en de Merkle-root:",
        "verify_store": "Met de opslag erbij: ook elk bewijsstuk aanwezig en ongewijzigd:",
    },
    "fr": {
        "title": "Chronologie des faits", "case": "Dossier", "period": "Période",
        "open": "aujourd'hui", "start": "début", "generated": "Établi le",
        "tool": "Établi avec", "timezone": "Fuseau horaire", "root_hash": "Hash racine",
        "merkle_root": "Racine de Merkle", "summary": "Résumé",
        "n_entries": "Faits datés", "n_undated": "Faits sans date", "n_exhibits": "Pièces",
        "per_category": "Par catégorie", "per_week": "Faits par semaine (lundi, date locale)",
        "per_month": "Faits par mois (date locale)",
        "per_year": "Faits par année (date locale)", "count": "Nombre",
        "chronology": "Chronologie", "undated": "Faits sans heure lisible",
        "nr": "N°", "date": "Date", "time": "Heure", "what": "Quoi", "who": "Qui",
        "category": "Catégorie", "exhibits": "Pièces", "flags": "Remarques",
        "witnesses": "Témoins", "to": "À", "time_source": "Heure selon",
        "why": "Pourquoi cette heure", "claims": "Toutes les heures", "chosen": "choisie",
        "see_also": "voir aussi", "same-screenshot": "même capture d'écran",
        "same-image": "même image", "exhibit_index": "Inventaire des pièces",
        "label": "Pièce", "preview": "Aperçu", "names": "Nom d'origine", "type": "Type",
        "size": "Taille (octets)", "inside": "Contenue dans", "verify": "Comment vérifier",
        "none": "aucun",
        "verify_intro": "Chaque pièce est désignée par son empreinte SHA-256. Qui reçoit une "
                        "pièce peut vérifier avec des outils standard qu'elle n'a pas été "
                        "modifiée : le résultat doit être égal à la valeur ci-dessous.",
        "verify_files": "Empreinte de chaque pièce (Linux : sha256sum, macOS : shasum -a 256, "
                        "Windows : certutil -hashfile FICHIER SHA256) :",
        "verify_json": "Vérifier la chronologie (chronology.json) sans le stockage : tous les "
                       "hashes, la chaîne et la racine de Merkle :",
        "verify_store": "Avec le stockage : aussi chaque pièce présente et intacte :",
    },
    "en": {
        "title": "Chronology of facts", "case": "Case", "period": "Period", "open": "today",
        "start": "start", "generated": "Made on", "tool": "Made with", "timezone": "Time zone",
        "root_hash": "Root hash", "merkle_root": "Merkle root", "summary": "Summary",
        "n_entries": "Dated facts", "n_undated": "Undated facts", "n_exhibits": "Exhibits",
        "per_category": "Per category", "per_week": "Facts per week (Monday, local date)",
        "per_month": "Facts per month (local date)",
        "per_year": "Facts per year (local date)", "count": "Count",
        "chronology": "Chronology", "undated": "Facts without a readable time",
        "nr": "No", "date": "Date", "time": "Time", "what": "What", "who": "Who",
        "category": "Category", "exhibits": "Exhibits", "flags": "Flags",
        "witnesses": "Witnesses", "to": "To", "time_source": "Time from",
        "why": "Why this time", "claims": "All time claims", "chosen": "chosen",
        "see_also": "see also", "same-screenshot": "same screenshot",
        "same-image": "same picture", "exhibit_index": "Exhibit index", "label": "Exhibit",
        "preview": "Preview", "names": "Original name", "type": "Type", "size": "Size (bytes)",
        "inside": "Inside", "verify": "How to verify", "none": "none",
        "verify_intro": "Every exhibit is named by its SHA-256 fingerprint. Whoever receives "
                        "an exhibit can check with standard tools that it was not changed: the "
                        "result must equal the value below.",
        "verify_files": "Fingerprint of each exhibit (Linux: sha256sum, macOS: shasum -a 256, "
                        "Windows: certutil -hashfile FILE SHA256):",
        "verify_json": "Check the chronology itself (chronology.json) without the store: every "
                       "hash, the chain and the Merkle root:",
        "verify_store": "With the store at hand: also every exhibit present and intact:",
    },
}

CSS = """
:root { --ink: #111; --muted: #555; --line: #bbb; --flag: #8a3b00; }
* { box-sizing: border-box; }
body { font-family: system-ui, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       color: var(--ink); margin: 1.5rem; font-size: 14px; line-height: 1.35; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--ink); }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: .25rem .4rem; vertical-align: top;
         text-align: left; }
thead th { background: #eee; }
.meta td, .meta th { border: none; padding: .1rem .6rem .1rem 0; }
.hash, code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Consolas, monospace;
                   font-size: .85em; word-break: break-all; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; border: 1px solid var(--line); }
.small { font-size: .85em; color: var(--muted); }
.flag { color: var(--flag); font-weight: 600; }
.nowrap { white-space: nowrap; }
.counts { width: auto; }
.claims { margin: .2rem 0 0; padding-left: 1.1rem; }
img.thumb { max-width: 160px; max-height: 160px; }
svg.chart { width: 100%; max-width: 900px; height: auto; }
svg.chart rect { fill: #444; }
svg.chart text { font-size: 10px; fill: #333; }
@media print {
  body { margin: 0; font-size: 10pt; }
  thead { display: table-header-group; }
  tfoot { display: table-footer-group; }
  tr, img, svg { page-break-inside: avoid; break-inside: avoid; }
  h2 { page-break-after: avoid; break-after: avoid; }
  section { page-break-before: auto; }
  a { color: inherit; text-decoration: none; }
  pre { background: none; }
}
@page { size: A4 landscape; margin: 12mm; }
"""


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _day(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def _thumb(context: ReportContext, sha: str) -> str:
    try:
        data = context.thumbnail(sha, THUMB_SIZE)
    except Exception:  # noqa: BLE001 - a thumbnail is a nicety, never a failure
        data = None
    if not data:
        return ""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    else:
        return ""
    return (f'<img class="thumb" alt="" src="data:{mime};base64,'
            f'{base64.b64encode(data).decode("ascii")}">')


#: Entries with these flags have dates nobody should plot (a device's default
#: clock, a year like 3609): they are listed, but left out of the chart.
UNCHARTED_FLAGS = {"implausible-date", "placeholder"}


def _buckets(chronology: dict) -> tuple[list[tuple[date, int]], str]:
    """Entries per week (Monday), or per month or year over long spans, zero-filled.
    Spans over a century show only the years that have entries."""
    zone = ZoneInfo(chronology.get("case", {}).get("timezone") or "Europe/Brussels")
    days = [parse_instant(x["instant"]).astimezone(zone).date()
            for x in chronology.get("entries", ())
            if x.get("instant") and not UNCHARTED_FLAGS & set(x.get("flags", ()))]
    if not days:
        return [], "week"
    weeks = Counter(d - timedelta(days=d.weekday()) for d in days)
    if (max(weeks) - min(weeks)).days // 7 < 156:
        out, w = [], min(weeks)
        while w <= max(weeks):
            out.append((w, weeks.get(w, 0)))
            w += timedelta(days=7)
        return out, "week"
    months = Counter(d.replace(day=1) for d in days)
    first, last = min(months), max(months)
    if (last.year - first.year) * 12 + last.month - first.month < 240:
        out, m = [], first
        while m <= last:
            out.append((m, months.get(m, 0)))
            m = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out, "month"
    years = Counter(date(d.year, 1, 1) for d in days)
    if max(years).year - min(years).year < 100:
        return [(date(y, 1, 1), years.get(date(y, 1, 1), 0))
                for y in range(min(years).year, max(years).year + 1)], "year"
    return sorted(years.items()), "year"


def _bucket_text(start: date, unit: str) -> str:
    if unit == "year":
        return str(start.year)
    if unit == "month":
        return f"{start.month:02d}/{start.year}"
    return f"{start.day:02d}/{start.month:02d}/{start.year}"


def _chart(buckets: list[tuple[date, int]], unit: str, label: str) -> str:
    if not buckets:
        return ""
    bar, gap, height, top = 12, 3, 120, max(n for _, n in buckets) or 1
    width = len(buckets) * (bar + gap) + 40
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + 30}" role="img" '
             f'aria-label="{e(label)}">']
    for i, (start, n) in enumerate(buckets):
        h = round(n * height / top)
        x = 30 + i * (bar + gap)
        title = _bucket_text(start, unit)
        parts.append(f'<rect x="{x}" y="{height - h}" width="{bar}" height="{h}">'
                     f"<title>{e(title)}: {n}</title></rect>")
    parts.append(f'<text x="0" y="10">{top}</text><text x="0" y="{height}">0</text>')
    for i in sorted({0, len(buckets) - 1}):
        start = buckets[i][0]
        text = _bucket_text(start, unit)
        anchor = "start" if i == 0 else "end"
        x = 30 + i * (bar + gap) + (0 if i == 0 else bar)
        parts.append(f'<text x="{x}" y="{height + 14}" text-anchor="{anchor}">{e(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _entry_row(x: dict, t: dict, lang: str, labels: dict[str, str]) -> str:
    day, time, offset = split_local(x.get("local"), x.get("granularity"))
    chosen = next((c for c in x.get("claims", ()) if c.get("chosen")), None)
    what = [f"<div>{e(x.get('what'))}</div>"]
    if x.get("to"):
        what.append(f'<div class="small">{e(t["to"])}: {e(", ".join(x["to"]))}</div>')
    if x.get("witnesses"):
        what.append(f'<div class="small">{e(t["witnesses"])}: '
                    f'{e(", ".join(x["witnesses"]))}</div>')
    if chosen:
        what.append(f'<div class="small">{e(t["time_source"])}: {e(chosen["source"])} '
                    f'({e(chosen["plugin"])} {e(chosen["plugin_version"])}). '
                    f'{e(t["why"])}: {e(x.get("chosen_because"))}</div>')
    if len(x.get("claims", ())) > 1:
        items = []
        for c in x["claims"]:
            mark = f' <strong>({e(t["chosen"])})</strong>' if c.get("chosen") else ""
            items.append(f"<li>{e(c['local'])} {e(c['offset'])} = {e(c['utc'])}: "
                         f"{e(c['source'])}, {e(c['meaning'])}, {e(c['confidence'])}, "
                         f"{e(labels.get(c['exhibit'], c['exhibit'][:12]))}{mark}</li>")
        what.append(f'<div class="small">{e(t["claims"])}:<ul class="claims">'
                    f'{"".join(items)}</ul></div>')
    if x.get("links"):
        refs = ", ".join(f'<a href="#e{int(link["entry"])}">{e(t["nr"])} {int(link["entry"])}</a>'
                         f' ({e(t.get(link["relation"], link["relation"]))})'
                         for link in x["links"])
        what.append(f'<div class="small">{e(t["see_also"])}: {refs}</div>')
    exhibits = ", ".join(f'<a href="#{e(labels.get(s, s))}">{e(labels.get(s, s))}</a>'
                         for s in x.get("exhibits", ()))
    flags = "<br>".join(f'<span class="flag">{e(FLAGS[lang].get(f, f))}</span>'
                        for f in x.get("flags", ()))
    category = CATEGORIES[lang].get(x.get("category", ""), x.get("category", ""))
    return (f'<tr id="e{int(x["number"])}"><td>{int(x["number"])}</td>'
            f'<td class="nowrap">{e(day)}</td>'
            f'<td class="nowrap">{e(time)}<br><span class="small">{e(offset)}</span></td>'
            f'<td>{"".join(what)}</td><td>{e(x.get("who"))}</td><td>{e(category)}</td>'
            f"<td>{exhibits}</td><td>{flags}</td></tr>")


def _entries_table(entries: list[dict], t: dict, lang: str, labels: dict[str, str]) -> str:
    head = "".join(f"<th>{e(t[k])}</th>" for k in
                   ("nr", "date", "time", "what", "who", "category", "exhibits", "flags"))
    rows = "".join(_entry_row(x, t, lang, labels) for x in entries)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def html_text(chronology: dict, context: ReportContext) -> str:
    """The whole page as a string."""
    lang = language(context.language or chronology.get("case", {}).get("language"))
    t = L[lang]
    case = chronology.get("case", {})
    period = chronology.get("period", {})
    exhibits = chronology.get("exhibits", [])
    entries = chronology.get("entries", [])
    undated = chronology.get("undated", [])
    labels = {x["sha256"]: x["label"] for x in exhibits}
    name = case.get("name") or context.case_name

    meta = [
        (t["case"], e(name)),
        (t["period"], f'{e(_day(period.get("from"), lang) or t["start"])} &ndash; '
                      f'{e(_day(period.get("to"), lang) or t["open"])}'),
        (t["timezone"], e(case.get("timezone"))),
        (t["tool"], e(f'intake {chronology.get("tool", {}).get("version", "")}')),
    ]
    if context.generated_at:
        meta.append((t["generated"], e(context.generated_at)))
    meta += [(t["root_hash"], f'<span class="hash">{e(chronology.get("root_hash"))}</span>'),
             (t["merkle_root"], f'<span class="hash">{e(chronology.get("merkle_root"))}</span>')]
    out = [
        "<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(t['title'])} &ndash; {e(name)}</title>", f"<style>{CSS}</style>", "</head>",
        "<body>", "<header>", f"<h1>{e(t['title'])}</h1>", '<table class="meta">',
        "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in meta), "</table>",
        "</header>",
    ]

    # Summary
    cats = Counter(x.get("category", "") for x in entries + undated)
    buckets, unit = _buckets(chronology)
    chart_label = t[f"per_{unit}"]
    out += [
        '<section id="summary">', f"<h2>{e(t['summary'])}</h2>", '<table class="counts">',
        f"<tr><th>{e(t['n_entries'])}</th><td>{len(entries)}</td></tr>",
        f"<tr><th>{e(t['n_undated'])}</th><td>{len(undated)}</td></tr>",
        f"<tr><th>{e(t['n_exhibits'])}</th><td>{len(exhibits)}</td></tr>", "</table>",
        f"<h3>{e(t['per_category'])}</h3>", '<table class="counts">',
        f"<thead><tr><th>{e(t['category'])}</th><th>{e(t['count'])}</th></tr></thead><tbody>",
        "".join(f"<tr><td>{e(CATEGORIES[lang].get(c, c))}</td><td>{n}</td></tr>"
                for c, n in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))),
        "</tbody></table>",
    ]
    if buckets:
        out += [f"<h3>{e(chart_label)}</h3>", _chart(buckets, unit, chart_label)]
    out.append("</section>")

    out += ['<section id="chronology">', f"<h2>{e(t['chronology'])}</h2>",
            _entries_table(entries, t, lang, labels), "</section>"]
    if undated:
        out += ['<section id="undated">', f"<h2>{e(t['undated'])}</h2>",
                _entries_table(undated, t, lang, labels), "</section>"]

    # Exhibit index
    head = "".join(f"<th>{e(t[k])}</th>" for k in
                   ("label", "preview", "names", "type", "size", "inside"))
    rows = []
    for x in exhibits:
        thumb = _thumb(context, x["sha256"]) if x.get("mime", "").startswith("image/") else ""
        inside = ", ".join(f'<a href="#{e(labels.get(p, p))}">{e(labels.get(p, p))}</a>'
                           for p in x.get("parents", ()))
        warnings = "".join(f'<div class="small flag">{e(w)}</div>' for w in x.get("warnings", ()))
        rows.append(
            f'<tr id="{e(x["label"])}"><td class="nowrap">{e(x["label"])}</td><td>{thumb}</td>'
            f'<td>{e(", ".join(x.get("names", ())))}<div class="hash">SHA-256: '
            f'{e(x["sha256"])}</div>{warnings}</td><td>{e(x.get("mime"))}</td>'
            f'<td>{int(x.get("size", 0))}</td><td>{inside}</td></tr>')
    out += ['<section id="exhibits">', f"<h2>{e(t['exhibit_index'])}</h2>",
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
            "</section>"]

    # How to verify
    sums = "\n".join(f"{x['sha256']}  {x['label']}  ({', '.join(x.get('names', ())) or '-'})"
                     for x in exhibits)
    out += [
        '<section id="verify">', f"<h2>{e(t['verify'])}</h2>", f"<p>{e(t['verify_intro'])}</p>",
        f"<p>{e(t['verify_files'])}</p>", f"<pre>sha256sum FILE\n\n{e(sums)}</pre>",
        f"<p>{e(t['verify_json'])}</p>",
        "<pre>intake verify --chronology chronology.json</pre>",
        f"<p>{e(t['verify_store'])}</p>",
        "<pre>intake verify --chronology chronology.json --case DIR</pre>",
        f'<p class="small">{e(t["root_hash"])}: <span class="hash">'
        f'{e(chronology.get("root_hash"))}</span></p>',
        "</section>", "</body>", "</html>", "",
    ]
    return "\n".join(out)


def write_html(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.html."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    tmp = out_dir / (FILE_NAME + ".tmp")
    tmp.write_text(html_text(chronology, context), encoding="utf-8", newline="\n")
    os.replace(tmp, path)
    return [path]

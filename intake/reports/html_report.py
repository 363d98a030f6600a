"""chronology.html: the chronology as one self-contained page.

No external CSS, scripts, fonts or images: styles are inline, the chart is
inline SVG, thumbnails are ``data:`` URIs. Every text from the chronology is
escaped with ``html.escape``, so a hostile subject line shows as text. It
prints well: ``@media print`` styles, table headers repeat on every page.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import IO

from intake.files import atomic_write
from intake.messages import translate
from intake.reports.context import ReportContext

from . import entryview as view
from . import incidents as inc
from .curated import curation_lines, police_shows
from .dates import format_date
from .labels import category_name, labels, language

FILE_NAME = "chronology.html"
THUMB_SIZE = 160

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
blockquote.text { white-space: pre-wrap; margin: .2rem 0 .3rem; padding-left: .5rem;
                  border-left: 3px solid var(--line); }
.nowrap { white-space: nowrap; }
.counts { width: auto; }
.claims { margin: .2rem 0 0; padding-left: 1.1rem; }
img.thumb { max-width: 160px; max-height: 160px; }
svg.chart { width: 100%; max-width: 900px; height: auto; max-height: 320px; }
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


#: What `e` has to change: the characters `visible` rewrites and those HTML escapes.
_CHANGE = re.compile(view._UNSEEN.pattern[:-1] + "&<>\"']")


def e(value: object) -> str:
    """Text for the page: control and bidirectional characters made visible, then escaped."""
    s = "" if value is None else str(value)
    if not _CHANGE.search(s):  # nearly every text: one test, nothing to change
        return s
    return escape(view.visible(s), quote=True)


def _day(iso: str | None, lang: str) -> str:
    return format_date(iso or "", lang) if iso else ""


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


def _chart(chart: dict, label: str) -> str:
    """The same bars as the PDF's page 1 (intake/reports/incidents.py), as inline SVG."""
    bars = chart["bars"]
    if not bars:
        return ""
    bar, gap, height, top = 12, 3, 120, chart["peak"] or 1
    axis = _axis_labels(bars, bar + gap, height)
    width = max(len(bars) * (bar + gap) + 40, *(x + w + 10 for x, _, _, w, _ in axis))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + 32}" role="img" '
             f'aria-label="{e(label)}" data-first="{e(chart["first"])}" '
             f'data-last="{e(chart["last"])}" data-bars="{len(bars)}">']
    for i, b in enumerate(bars):
        h = round(b["count"] * height / top)
        x = 30 + i * (bar + gap)
        title = f'{b["label"]} {b["sub"]}'.strip()
        parts.append(f'<rect x="{x}" y="{height - h}" width="{bar}" height="{h}" '
                     f'data-key="{e(b["key"])}" data-count="{b["count"]}">'
                     f"<title>{e(title)}: {b['count']}</title></rect>")
    parts.append(f'<text x="0" y="10">{top}</text><text x="0" y="{height}">0</text>')
    for x, y, anchor, w, text in axis:
        at = x if anchor == "start" else x + w
        parts.append(f'<text x="{at}" y="{y}" text-anchor="{anchor}">{e(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


#: Width of one character of the axis labels (10 px font), a generous estimate.
_CHAR = 6


def _axis_labels(bars: list[dict], step: int, height: int) -> list[tuple[int, int, str, int, str]]:
    """The first and last bars' labels as (left x, baseline y, anchor, width, text).

    The last label ends under its bar; when the bars are too few for both
    labels side by side (two weeks: 30 px of bars, 90 px of words), it goes
    on a second line instead of over the first, and never starts left of 0.
    """
    def text(b: dict) -> str:
        return f'{b["label"]} {b["sub"]}'.strip()

    first = text(bars[0])
    out = [(30, height + 14, "start", len(first) * _CHAR, first)]
    if len(bars) == 1:
        return out
    last = text(bars[-1])
    w = len(last) * _CHAR
    end = 30 + (len(bars) - 1) * step + (step - 3)
    if 30 + out[0][3] + 12 <= end - w:
        return [*out, (end - w, height + 14, "end", w, last)]
    return [*out, (max(end - w, 30), height + 27, "end", w, last)]


class _Words:
    """Texts that repeat from row to row (dates, time sources, categories), made
    once per report: 100,000 rows have a few hundred distinct days."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.days: dict[str, str] = {}
        self.sources: dict[tuple, str] = {}
        self.categories: dict[str, str] = {}

    def day(self, iso: str) -> str:
        if iso not in self.days:
            self.days[iso] = e(_day(iso, self.lang))
        return self.days[iso]

    def source(self, chosen: dict) -> str:
        key = (chosen.get("source"), chosen.get("plugin"), chosen.get("plugin_version"))
        if key not in self.sources:
            self.sources[key] = (f'{e(view.source_text(chosen, self.lang))} '
                                 f'({e(chosen.get("plugin"))} {e(chosen.get("plugin_version"))})')
        return self.sources[key]

    def category(self, x: dict) -> str:
        code = str(x.get("category") or "")
        if code not in self.categories:
            self.categories[code] = e(view.category_text(x, self.lang))
        return self.categories[code]


def _entry_row(x: dict, t: dict, lang: str, labels_: dict[str, str], zone: str,
               words: _Words | None = None) -> str:
    words = words or _Words(lang)
    day, _, _, _ = view.time_parts(x, zone)
    time = view.time_text(x, lang, zone)
    chosen = view.chosen_claim(x)
    first = labels_.get((x.get("exhibits") or [""])[0], "")
    what = [f"<div><strong>{e(view.headline(x, lang))}</strong></div>"]
    text = view.shown_text(x, lang, first)
    if text:
        what.append(f'<blockquote class="text">{e(text)}</blockquote>')
    what += [f'<div class="small">{e(d)}</div>' for d in view.details(x, lang)]
    if x.get("to"):
        what.append(f'<div class="small">{e(t["col_to"])}{e(t["colon"])}'
                    f'{e(", ".join(x["to"]))}</div>')
    if witnesses := view.witnesses(x):
        what.append(f'<div class="small">{e(t["col_witnesses"])}{e(t["colon"])}'
                    f'{e(", ".join(witnesses))}</div>')
    cur = view.curation(x)
    if cur["star"]:
        what.append(f'<div class="small">{e(curation_lines(x, lang)[0])}</div>')
    if cur["tags"]:
        what.append(f'<div class="small">{e(t["col_tags"])}{e(t["colon"])}'
                    f'{e(", ".join(cur["tags"]))}</div>')
    if cur["note"]:
        what.append(f'<div class="small">{e(t["col_note"])}{e(t["colon"])}{e(cur["note"])}</div>')
    if chosen:
        what.append(f'<div class="small">{e(t["html_time_source"])}{e(t["colon"])}'
                    f"{words.source(chosen)}</div>")
    if len(x.get("claims", ())) > 1:
        items = []
        for c in x["claims"]:
            mark = f' <strong>({e(t["html_chosen"])})</strong>' if c.get("chosen") else ""
            items.append(f"<li>{e(view.claim_line(c, lang))}, "
                         f"{e(labels_.get(c.get('exhibit', ''), str(c.get('exhibit', ''))[:12]))}"
                         f"{mark}</li>")
        what.append(f'<div class="small">{e(t["html_claims"])}{e(t["colon"])}<ul class="claims">'
                    f'{"".join(items)}</ul></div>')
    if x.get("links"):
        refs = ", ".join(f'<a href="#e{int(link["entry"])}">{e(t["html_nr"])} {int(link["entry"])}</a>'
                         f' ({e(t.get("html_" + link["relation"].replace("-", "_"), link["relation"]))})'
                         for link in x["links"])
        what.append(f'<div class="small">{e(t["html_see_also"])}{e(t["colon"])}{refs}</div>')
    exhibits = ", ".join(f'<a href="#{e(labels_.get(s, s))}">{e(labels_.get(s, s))}</a>'
                         for s in x.get("exhibits", ()))
    flags = "<br>".join(f'<span class="flag">{e(f)}</span>' for f in view.flag_words(x, lang))
    return (f'<tr id="e{int(x["number"])}"><td>{int(x["number"])}</td>'
            f'<td class="nowrap">{words.day(day) if day else ""}</td>'
            f'<td class="nowrap">{e(time)}</td>'
            f'<td>{"".join(what)}</td><td>{e(view.who_text(x, lang))}</td>'
            f"<td>{words.category(x)}</td>"
            f"<td>{exhibits}</td><td>{flags}</td></tr>")


def _entries_table(rows: IO[str], t: dict) -> Iterator[str]:
    """The table in pieces: its rows come back from the file they were written to."""
    head = "".join(f"<th>{e(t['html_' + k])}</th>" for k in
                   ("nr", "date", "time", "what", "who", "category", "exhibits", "flags"))
    yield f"<table><thead><tr>{head}</tr></thead><tbody>"
    rows.seek(0)
    while piece := rows.read(1 << 20):
        yield piece
    yield "</tbody></table>"


class _Tables:
    """The three tables' rows (dated facts, copy times only, undated), written to
    temporary files in one pass over the entries, in order, with what the summary
    above them counts: the page's head needs the counts before the rows."""

    SECTIONS = ("entries", "copied", "undated")

    def __init__(self, tmp_dir: Path | None) -> None:
        self.files = {k: tempfile.TemporaryFile("w+", encoding="utf-8", dir=tmp_dir)
                      for k in self.SECTIONS}
        self.counts = dict.fromkeys(self.SECTIONS, 0)
        self.categories: Counter = Counter()
        self.flags: set[str] = set()

    def fill(self, chronology: dict, t: dict, lang: str, labels_: dict[str, str],
             zone: str) -> None:
        words = _Words(lang)
        for undated, items in ((False, chronology.get("entries", ())),
                               (True, chronology.get("undated", ()))):
            for x in items:
                if not police_shows(x):
                    continue
                key = "undated" if undated else \
                    "copied" if view.copy_time_only(x) else "entries"  # apart: issue 14, point 5
                self.counts[key] += 1
                self.categories[x.get("category", "")] += 1
                self.flags.update(str(f) for f in x.get("flags") or ())
                self.files[key].write(_entry_row(x, t, lang, labels_, zone, words))

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def html_text(chronology: dict, context: ReportContext) -> str:
    """The whole page as a string."""
    return "".join(html_chunks(chronology, context))


def html_chunks(chronology: dict, context: ReportContext,
                tmp_dir: Path | None = None) -> Iterator[str]:
    """The page in pieces, lines joined by newlines. The entries are read once, in
    order; their rows wait in temporary files (in `tmp_dir`) for the summary."""
    tables = _Tables(tmp_dir)
    try:
        for i, part in enumerate(_page(chronology, context, tables)):
            if i:
                yield "\n"
            if isinstance(part, str):
                yield part
            else:
                yield from part
    finally:
        tables.close()


def _page(chronology: dict, context: ReportContext,
          tables: _Tables) -> list[str | Iterator[str]]:
    lang = language(context.language or chronology.get("case", {}).get("language"))
    L = labels(lang)
    t = {k[5:] if k.startswith("html_") else k: v for k, v in L.items()}
    t.update({k: v for k, v in L.items()})
    case = chronology.get("case", {})
    period = chronology.get("period", {})
    exhibits = chronology.get("exhibits", [])
    zone = case.get("timezone") or context.timezone
    labels_ = {x["sha256"]: x["label"] for x in exhibits}
    name = case.get("name") or context.case_name
    tables.fill(chronology, t, lang, labels_, zone)
    n = tables.counts

    span = inc.facts_span(chronology)
    meta = [
        (t["case"], e(name)),
        (t["period"], f'{e(_day(period.get("from"), lang) or t["start"])} &ndash; '
                      f'{e(_day(period.get("to"), lang) or t["open"])}'),
        (L["first_last"], e(f"{format_date(span[0].isoformat(), lang, 'long')} – "
                            f"{format_date(span[1].isoformat(), lang, 'long')}" if span else "")),
        (t["timezone"], e(case.get("timezone"))),
        (t["tool"], e(f'intake {chronology.get("tool", {}).get("version", "")}')),
    ]
    if context.generated_at:
        made = context.generated_at
        m = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", made)
        if m:
            made = f"{format_date(m[1], lang)} {m[2]} UTC"
        meta.append((t["generated"], e(made)))
    meta += [(t["root_hash"], f'<span class="hash">{e(chronology.get("root_hash"))}</span>'),
             (t["merkle_root"], f'<span class="hash">{e(chronology.get("merkle_root"))}</span>'),
             (t["custody_head"], f'<span class="hash">{e(context.custody_head_text)}</span>')]
    out = [
        "<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(L['html_title'])} &ndash; {e(name)}</title>", f"<style>{CSS}</style>",
        "</head>", "<body>", "<header>", f"<h1>{e(L['html_title'])}</h1>", '<table class="meta">',
        "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in meta), "</table>",
        "</header>",
    ]

    # Summary: the same count and chart as the PDF's page 1 (incidents.py)
    cats = tables.categories
    chart = inc.chart(chronology, lang)
    chart_label = L[f"chart_{chart['unit']}"]
    out += [
        '<section id="summary">', f"<h2>{e(t['summary'])}</h2>", '<table class="counts">',
        f'<tr><th>{e(L["n_incidents"])}</th><td id="incidents">{chart["total"]}</td></tr>',
        f"<tr><th>{e(L['html_n_entries'])}</th><td>{n['entries']}</td></tr>",
        f'<tr><th>{e(L["n_copied"])}</th><td id="copied-count">{n["copied"]}</td></tr>',
        f"<tr><th>{e(L['html_n_undated'])}</th><td>{n['undated']}</td></tr>",
        f"<tr><th>{e(L['html_n_exhibits'])}</th><td>{len(exhibits)}</td></tr>", "</table>",
        f'<p class="small">{e(L["incidents_rule"])}</p>',
        f"<h3>{e(t['per_category'])}</h3>", '<table class="counts">',
        f"<thead><tr><th>{e(L['col_category'])}</th><th>{e(t['count'])}</th></tr></thead><tbody>",
        "".join(f"<tr><td>{e(category_name(c, lang))}</td><td>{n}</td></tr>"
                for c, n in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))),
        "</tbody></table>",
    ]
    if chart["bars"]:
        out += [f"<h3>{e(chart_label)}</h3>", _chart(chart, chart_label)]
    out.append("</section>")

    rows = tables.files
    out += ['<section id="chronology">', f"<h2>{e(L['html_chronology'])}</h2>",
            _entries_table(rows["entries"], t), "</section>"]
    if n["copied"]:
        out += ['<section id="copied">', f"<h2>{e(L['copied'])}</h2>",
                f"<p>{e(L['copied_intro'])}</p>",
                _entries_table(rows["copied"], t), "</section>"]
    if n["undated"]:
        out += ['<section id="undated">', f"<h2>{e(L['html_undated'])}</h2>",
                _entries_table(rows["undated"], t), "</section>"]
    legend = view.legend([{"flags": sorted(tables.flags)}], lang)  # every flag shown
    out += ['<section id="legend">', f"<h2>{e(L['legend'])}</h2>"]
    if legend:
        out += [f"<p>{e(L['legend_intro'])}</p>", "<dl>",
                "".join(f'<dt class="flag">{e(f)}</dt><dd>{e(x)}</dd>' for f, x in legend),
                "</dl>"]
    else:
        out.append(f"<p>{e(L['legend_none'])}</p>")
    out.append("</section>")

    # Exhibit index
    head = "".join(f"<th>{e(L['html_' + k])}</th>" for k in
                   ("label", "preview", "names", "type", "size", "inside"))
    rows = []
    for x in exhibits:
        pictured = x.get("mime", "").startswith(("image/", "video/"))  # a video: its first picture
        thumb = _thumb(context, x["sha256"]) if pictured else ""
        inside = ", ".join(f'<a href="#{e(labels_.get(p, p))}">{e(labels_.get(p, p))}</a>'
                           for p in x.get("parents", ()))
        warnings = "".join(f'<div class="small flag">{e(translate(w, lang))}</div>'
                           for w in x.get("warnings", ()))
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
        '<section id="verify">', f"<h2>{e(L['html_verify'])}</h2>",
        f"<p>{e(L['html_verify_intro'])}</p>", f"<p>{e(L['html_verify_files'])}</p>", f"<pre>sha256sum FILE\n\n{e(sums)}</pre>",
        f"<p>{e(L['html_verify_json'])}</p>",
        "<pre>intake verify --chronology chronology.json</pre>",
        f"<p>{e(L['html_verify_store'])}</p>",
        "<pre>intake verify --chronology chronology.json --case DIR</pre>",
        f'<p class="small">{e(L["html_root_hash"])}{e(L["colon"])}<span class="hash">'
        f'{e(chronology.get("root_hash"))}</span></p>',
        "</section>", "</body>", "</html>", "",
    ]
    return out


def write_html(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.html."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    atomic_write(path, (piece.encode("utf-8")
                        for piece in html_chunks(chronology, context, out_dir)))
    return [path]

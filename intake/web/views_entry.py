"""The Timeline (paged, filtered, searched) and one Entry with its curation."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..curation import REPORTS, decide
from ..errors import IntakeError
from ..i18n import translator
from ..messages import translate
from ..replica import verified_copy
from ..reporting import make_thumbnail, set_category
from ..reports import entryview as ev
from ..reports.labels import category_name, kind_name, labels, meaning_name
from ..timeline import TIMELINE_FILTERS
from ..types import CATEGORIES
from .app import access, back, lang, render, session

PAGE = 50
#: Kinds the ombudsman request can hold (intake entry include --for ombudsman).
OMBUDSMAN_KINDS = ("call", "sms", "mms")


def row(e: dict, code: str, zone: str, exhibits: dict) -> dict:
    """One timeline row in the reader's words (the same words as the reports)."""
    day, _, _, _ = ev.time_parts(e, zone)
    return {"id": e.get("id", ""), "number": e.get("number"), "date": ev.translator(code).date(day)
            if day else "", "time": ev.time_text(e, code, zone), "kind": kind_name(e["kind"], code),
            "what": ev.headline(e, code), "who": ev.who_text(e, code),
            "source": ev.source_text(ev.chosen_claim(e), code),
            "labels": [exhibits[s]["label"] for s in e.get("exhibits") or [] if s in exhibits],
            "flags": ev.flag_words(e, code), "curation": e.get("curation") or {},
            "copied": ev.copy_time_words(e, code)}


def _timeline_view(request: Request, page: int) -> dict:
    a = access(request)
    code = lang(request)
    timeline = a.timeline()
    filters = session(request).filters
    total, entries = timeline.page(filters, offset=(page - 1) * PAGE, limit=PAGE)
    zone = a.config.timezone
    choices = timeline.choices()
    persons = {p["id"]: p for p in a.doc_info.get("persons") or []}
    return {"rows": [row(e, code, zone, a.exhibits) for e in entries], "total": total,
            "page": page, "pages": max(1, -(-total // PAGE)), "filters": filters,
            "kinds": [(k, kind_name(k, code)) for k in choices["kinds"]],
            "tags": choices["tags"], "flags": [(f, ev.flag_name(f, code)) for f in choices["flags"]],
            "persons": [(p, persons.get(p, {}).get("name") or p) for p in choices["persons"]],
            "legend": ev.legend(entries, code)}


async def timeline_page(request: Request) -> Response:
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    view = await run_in_threadpool(_timeline_view, request, page)
    return render(request, "timeline.html", "timeline", **view)


async def timeline_filter(request: Request) -> Response:
    """Filters are kept in the session, never in the address (no case data in URLs)."""
    form = await request.form()
    if form.get("clear"):
        session(request).filters = {}
    else:
        session(request).filters = {k: str(form.get(k) or "").strip()[:200]
                                    for k in TIMELINE_FILTERS if str(form.get(k) or "").strip()}
    return back("/timeline", request)


def _entry_view(request: Request, entry_id: str) -> dict | None:
    a = access(request)
    code = lang(request)
    timeline = a.timeline()
    e = timeline.entry(entry_id)
    if e is None:
        return None
    zone = a.config.timezone
    L = labels(code)
    exhibits = []
    for sha in e.get("exhibits") or []:
        x = a.exhibits.get(sha, {"label": "", "names": [], "mime": "", "size": 0})
        mime = str(x.get("mime") or "")
        exhibits.append({"sha256": sha, "label": x.get("label"), "names": x.get("names") or [],
                         "mime": mime, "size": x.get("size"),
                         "preview": mime.startswith("image/") or mime == "application/pdf"})
    claims = [{"line": ev.claim_line(c, code), "field": c.get("source", ""),
               "plugin": f"{c.get('plugin', '')} {c.get('plugin_version', '')}".strip(),
               "confidence": c.get("confidence", ""), "chosen": bool(c.get("chosen")),
               "meaning": meaning_name(str(c.get("meaning") or ""), code),
               "flags": [ev.flag_name(f, code) for f in c.get("flags") or []]}
              for c in e.get("claims") or []]
    links = []
    for link in e.get("links") or []:
        other = timeline.entry_at(int(link.get("entry") or 0))
        links.append({"words": L.get("html_" + str(link.get("relation")).replace("-", "_"),
                                      str(link.get("relation"))),
                      "number": link.get("entry"), "id": other.get("id") if other else ""})
    for sha in e.get("exhibits") or []:
        for parent in (a.exhibits.get(sha) or {}).get("parents") or []:
            p = a.exhibits.get(parent)
            if p:
                links.append({"words": L.get("html_inside", "inside"), "number": p.get("label"),
                              "id": ""})
    return {"e": e, "row": row(e, code, zone, a.exhibits), "exhibits": exhibits,
            "claims": claims, "because": e.get("chosen_because", ""), "links": links,
            "text": ev.shown_text(e, code, ""), "details": ev.details(e, code),
            "category": category_name(str(e.get("category") or ""), code),
            "categories": [("", "—")] + [(c, category_name(c, code)) for c in CATEGORIES],
            "ombudsman_ok": e.get("kind") in OMBUDSMAN_KINDS,
            "legend": ev.legend([e], code)}


async def entry_page(request: Request) -> Response:
    view = await run_in_threadpool(_entry_view, request, request.path_params["entry_id"])
    if view is None:
        return render(request, "message.html", "timeline", status=404,
                      message_key="not_found")
    return render(request, "entry.html", "timeline", **view)


def _decision(form) -> tuple[dict, tuple[str, ...] | None]:
    """The form's button as an `intake entry` decision (the same records as the CLI)."""
    action = str(form.get("action") or "")
    if action == "note":
        return {"action": "note", "value": str(form.get("note") or "").strip()}, None
    if action in ("tag", "untag"):
        tags = sorted({t.strip() for t in str(form.get("tag") or "").split(",") if t.strip()})
        if not tags:
            raise IntakeError("write a tag first")
        return {"action": action, "value": tags}, None
    if action in ("star", "unstar"):
        return {"action": action}, None
    if action in ("include", "exclude", "default"):
        report = str(form.get("report") or "")
        if report not in REPORTS:
            raise IntakeError("choose the police report or the ombudsman request")
        kinds = OMBUDSMAN_KINDS if action == "include" and report == "ombudsman" else None
        return {"action": action, "value": [report]}, kinds
    raise IntakeError("unknown action")


async def entry_decide(request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    form = await request.form()
    code = lang(request)
    a = access(request)

    def run(case) -> None:
        if form.get("action") == "category":
            value = str(form.get("category") or "")
            set_category(case, entry_id, value if value in CATEGORIES else "")
            return
        data, kinds = _decision(form)
        decide(case, [entry_id], data, kinds)
    try:
        await run_in_threadpool(a.write, run)
    except IntakeError as exc:
        return back(f"/entry/{entry_id}", request, translate(str(exc), code))
    return back(f"/entry/{entry_id}", request, translator(code).gettext("Saved."))


def _preview(request: Request, sha: str) -> tuple[bytes, str] | None:
    a = access(request)
    if sha not in a.exhibits:
        return None
    mime = str(a.exhibits[sha].get("mime") or "")
    with a.read() as case:
        rep = verified_copy(case.available, sha)  # only bytes re-hashed just now
        if rep is None:
            return None
        path = rep.object_path(sha)
        if mime.startswith("image/"):
            png = make_thumbnail(case, case.index, path, sha, 480)
            return (png, "image/png") if png else None
    if mime == "application/pdf" and shutil.which("pdftoppm"):
        return _pdf_first_page(path)
    return None


def _pdf_first_page(path: Path) -> tuple[bytes, str] | None:
    """The first page as a picture, by poppler's pdftoppm when it is installed."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["pdftoppm", "-png", "-f", "1", "-l", "1", "-scale-to", "480",
                            "-singlefile", str(path), f"{tmp}/page"], check=True, timeout=30,
                           capture_output=True)
            return (Path(tmp, "page.png").read_bytes(), "image/png")
        except (OSError, subprocess.SubprocessError):
            return None


async def preview(request: Request) -> Response:
    found = await run_in_threadpool(_preview, request, request.path_params["sha256"])
    if found is None:
        return Response(status_code=404)
    return Response(found[0], media_type=found[1])

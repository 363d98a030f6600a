"""Reports: build what the CLI's ``intake chronology`` builds, download, and how to check it."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..case import Case
from ..errors import IntakeError
from ..i18n import N_, translator
from ..messages import translate
from ..reporting import make_reports, report_formats
from .access import LOCKED
from .app import access, back, lang, render

#: The order formats are offered in (any a plugin adds follow).
ORDER = ("pdf", "html", "xlsx", "csv", "json", "ombudsman", "bundle")
WORDS = {"pdf": N_("Police report (PDF)"), "html": N_("Web page (HTML)"),
         "xlsx": N_("Spreadsheet (Excel)"),
         "csv": N_("Table (CSV)"), "json": N_("Chronology for checking (JSON)"),
         "ombudsman": N_("Request to the telecom ombudsman"),
         "bundle": N_("Everything in one file (ZIP)")}


def _formats(request: Request) -> list[str]:
    a = access(request)
    if a.pm is None:
        with a.read():
            pass
    known = list(report_formats(a.pm))
    return [f for f in ORDER if f in known] + sorted(f for f in known if f not in ORDER)


async def reports_page(request: Request) -> Response:
    formats = await run_in_threadpool(_formats, request)
    _ = translator(lang(request)).gettext
    build = request.app.state.builds.get(request.app.state.last_build or "")
    return render(request, "reports.html", "reports",
                  formats=[(f, _(WORDS[f]) if f in WORDS else f) for f in formats],
                  build=build, build_id=request.app.state.last_build)


def _build(request: Request, form) -> str:
    a = access(request)
    wanted = [f for f in _formats(request) if form.get(f"f_{f}")]
    if not wanted:
        raise IntakeError("choose at least one report")
    if "json" not in wanted:
        wanted.append("json")  # the root hash police check comes from it
    code = str(form.get("lang") or "") or None
    date_from = str(form.get("from") or "") or None
    date_to = str(form.get("to") or "") or None
    stamp = datetime.now().strftime("%Y-%m-%d_%H%M%S")
    out_dir = a.config.case_dir / "reports" / stamp

    def make(case: Case) -> list:
        return make_reports(case, out_dir, wanted, date_from=date_from, date_to=date_to,
                            language=code)
    try:
        paths = a.write(make)
    except IntakeError as exc:
        if str(exc) != LOCKED:
            raise
        with a.read() as case:  # beside a watcher: built read-only, as the CLI does
            paths = make(case)
    doc = json.loads((out_dir / "chronology.json").read_bytes())
    build_id = secrets.token_urlsafe(12)
    request.app.state.builds[build_id] = {
        "files": [{"name": p.name, "size": p.stat().st_size, "path": p} for p in paths],
        "root_hash": doc.get("root_hash", ""), "merkle_root": doc.get("merkle_root", ""),
        "folder": str(out_dir), "entries": len(doc.get("entries") or [])}
    request.app.state.last_build = build_id
    return build_id


async def reports_build(request: Request) -> Response:
    form = await request.form()
    code = lang(request)
    try:
        await run_in_threadpool(_build, request, form)
    except IntakeError as exc:
        return back("/reports", request, translate(str(exc), code))
    return back("/reports", request, translator(code).gettext("The reports are ready."))


async def report_file(request: Request) -> Response:
    build = request.app.state.builds.get(request.path_params["build"])
    n = request.path_params["n"]
    if build is None or not 0 <= n < len(build["files"]):
        return Response(status_code=404)
    f = build["files"][n]
    return FileResponse(f["path"], filename=f["name"])

"""The Logbook form and Add evidence (uploads into the inbox, the same pipeline)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import IntakeError
from ..index import receipt_for
from ..logbook_cli import add_entry, when_problem
from ..messages import translate
from ..reports.entryview import ambiguous_offsets
from ..reports.labels import category_name
from ..types import CATEGORIES
from .app import access, back, lang, render
from .safety import safe_name

FIELDS = ("date", "time", "dst", "place", "what", "witnesses", "pv", "feeling", "category",
          "supersedes")


def _logbook_view(request: Request) -> dict:
    a = access(request)
    code = lang(request)
    timeline = a.timeline()
    _, earlier = timeline.page({"kind": "logbook"}, limit=500)
    exhibits = [(x["label"], f"{x['label']} ({(x.get('names') or [''])[0]})")
                for x in sorted(a.exhibits.values(), key=lambda x: x.get("number", 0))]
    return {"earlier": [((e.get("facts") or {}).get("entry_id", ""),
                         f"{(e.get('local') or '')[:16].replace('T', ' ')} – "
                         f"{str((e.get('facts') or {}).get('what') or '')[:60]}")
                        for e in earlier if (e.get("facts") or {}).get("entry_id")],
            "exhibits": exhibits,
            "categories": [("", "—")] + [(c, category_name(c, code)) for c in CATEGORIES]}


async def logbook_page(request: Request) -> Response:
    view = await run_in_threadpool(_logbook_view, request)
    return render(request, "logbook.html", "logbook", values={}, ask_dst=False, **view)


def _when(values: dict, zone: str) -> tuple[str, bool]:
    """The time as `intake log add --when` reads it, and whether the DST question is open.

    On the night clocks go back the same hour happens twice: the form asks
    which, and a chosen one is written with its UTC offset (docs/logbook.md).
    """
    when = f"{values.get('date', '')} {values.get('time', '')}".strip()
    today = datetime.now(ZoneInfo(zone)).date()
    problem, ambiguous = when_problem(when, zone, today)
    if problem:  # in words, without the CLI's option names
        raise IntakeError(problem)
    if not ambiguous:
        return when, False
    both = ambiguous_offsets(f"{values.get('date')}T{values.get('time')}", zone)
    choice = values.get("dst", "")
    if choice in ("first", "second") and both:
        return f"{when} {both[0] if choice == 'first' else both[1]}", False
    return when, choice != "unknown"


async def logbook_add(request: Request) -> Response:
    form = await request.form()
    a = access(request)
    code = lang(request)
    values = {k: str(form.get(k) or "").strip() for k in FIELDS}
    exhibits = tuple(str(x) for x in form.getlist("exhibits"))

    def write() -> str:
        when, ask = _when(values, a.config.timezone)
        if ask:
            return "ask"
        witnesses = tuple(w for w in values["witnesses"].splitlines() if w.strip())
        kwargs = dict(when=when, what=values["what"], place=values["place"],
                      witnesses=witnesses, pv=values["pv"], exhibits=exhibits,
                      feeling=values["feeling"],
                      category=values["category"] if values["category"] in CATEGORIES else "",
                      supersedes=values["supersedes"])
        if a.watcher is not None:  # the watcher holds the case: it stores the file
            return add_entry(a.case_dir, **kwargs)[1]
        with a.write_lock:
            return add_entry(a.case_dir, **kwargs)[1]
    try:
        outcome = await run_in_threadpool(write)
    except IntakeError as exc:
        view = await run_in_threadpool(_logbook_view, request)
        return render(request, "logbook.html", "logbook", status=400, values=values,
                      ask_dst=False, error=translate(str(exc), code), **view)
    if outcome == "ask":
        view = await run_in_threadpool(_logbook_view, request)
        return render(request, "logbook.html", "logbook", values=values, ask_dst=True, **view)
    from ..i18n import translator
    _ = translator(code).gettext
    return back("/logbook", request, _("The logbook entry is written and kept."))


async def add_page(request: Request) -> Response:
    return render(request, "add.html", "add", max_mb=access(request).config and
                  request.app.state.gate.max_upload // (1 << 20))


def _free_name(folder: Path, ingested: Path, name: str) -> list[Path]:
    """Names to try in the inbox: the name as sent, then ``name (2)``, ``name (3)``…"""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    return [folder / (name if n == 1 else f"{stem} ({n}){dot}{ext}") for n in range(1, 1000)
            if not (ingested / (name if n == 1 else f"{stem} ({n}){dot}{ext}")).exists()]


async def add_files(request: Request) -> Response:
    """Each file into the inbox under a safe name, its bytes exactly as sent."""
    a = access(request)
    cfg = a.config
    form = await request.form(max_files=10000)
    out, paths = [], []
    cfg.inbox.mkdir(parents=True, exist_ok=True)
    for upload in form.getlist("files"):
        if not hasattr(upload, "read"):
            continue
        ticket = secrets.token_urlsafe(12)
        temp = cfg.inbox / f".upload-{ticket}.part"  # skipped by the watcher while written
        with open(temp, "xb") as f:
            while chunk := await upload.read(1 << 20):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        final = None
        for candidate in _free_name(cfg.inbox, cfg.ingested_dir, safe_name(upload.filename)):
            try:
                os.link(temp, candidate)  # never replaces a file already there
            except FileExistsError:
                continue
            final = candidate
            break
        os.unlink(temp)
        if final is None:
            continue
        request.app.state.uploads[ticket] = cfg.rel(final)
        out.append({"ticket": ticket, "name": final.name})
        paths.append(final)
    task = None if a.watcher is not None else BackgroundTask(_store, a, paths)
    return JSONResponse({"files": out}, background=task)


def _store(a, paths: list[Path]) -> None:
    """Without a watcher in this process: store the uploads now (as `intake ingest`)."""
    from ..ingest import Pipeline
    from ..runner import ingest_paths

    def run(case) -> None:
        with Pipeline(case) as pipeline:
            ingest_paths(case, pipeline, paths)
    try:
        a.write(run)
    except IntakeError:
        pass  # another program (the watcher) holds the case: it takes them from the inbox


def _progress(request: Request, tickets: list[str]) -> list[dict]:
    a = access(request)
    code = lang(request)
    from ..i18n import translator
    _ = translator(code).gettext
    out = []
    with a.read() as case:
        problems = {p["source"]: p["reason"] for p in case.index.problems()}
        wanted = len(case.replicas)
        for ticket in tickets:
            source = request.app.state.uploads.get(ticket)
            if source is None:
                continue
            r = receipt_for(case.index, source)
            if source in problems:
                state, words = "problem", translate(problems[source], code)
            elif r is None:
                state, words = "waiting", _("Waiting to be stored…")
            elif r["settled_to"] and len(r["copies"]) >= wanted:
                state, words = "done", _("Stored safely in {n} places.", n=len(r["copies"]))
            else:
                state, words = "storing", _("Stored in {n} of {m} places…", n=len(r["copies"]),
                                            m=wanted)
            out.append({"ticket": ticket, "state": state, "words": words})
    return out


async def add_progress(request: Request) -> Response:
    data = await request.json()
    tickets = [str(t) for t in (data.get("tickets") or [])][:1000]
    return JSONResponse({"files": await run_in_threadpool(_progress, request, tickets)})

"""The Starlette application: routes, templates, the language of each page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..i18n import language, translator
from .access import CaseAccess
from .safety import CSRF_FIELD, Gate, Guard, Session

HERE = Path(__file__).parent
LANGUAGES = (("nl", "Nederlands"), ("fr", "Français"), ("en", "English"))
_env = Environment(loader=FileSystemLoader(HERE / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def session(request: Request) -> Session:
    return request.scope["state"]["session"]


def access(request: Request) -> CaseAccess:
    return request.app.state.access


def lang(request: Request) -> str:
    s = session(request)
    return language(s.lang or access(request).config.language)


def render(request: Request, template: str, nav: str, status: int = 200,
           **values: Any) -> HTMLResponse:
    """A page in the session's language; the title names the page, never the case."""
    s = session(request)
    code = lang(request)
    t = translator(code)
    notice, s.notice = s.notice, ""
    html = _env.get_template(template).render(
        _=t.gettext, ngettext=t.ngettext, t=t, lang=code, languages=LANGUAGES, nav=nav,
        csrf=s.csrf, csrf_field=CSRF_FIELD, notice=notice, **values)
    return HTMLResponse(html, status_code=status)


def back(url: str, request: Request, notice: str = "") -> Response:
    """After a change: a plain redirect (Post/Redirect/Get), with a one-time notice."""
    if notice:
        session(request).notice = notice
    return RedirectResponse(url, status_code=303)


async def set_language(request: Request) -> Response:
    form = await request.form()
    code = str(form.get("lang") or "")
    if code in dict(LANGUAGES):
        session(request).lang = code
    target = str(form.get("back") or "/")
    return back(target if target.startswith("/") and not target.startswith("//") else "/",
                request)


async def quick_exit(request: Request) -> Response:
    """Leave at once: the session ends, the browser is told to forget this site."""
    request.app.state.gate.end(request.scope["state"].get("sid"))
    response = RedirectResponse("/neutral", status_code=303)
    response.delete_cookie("intake_session", path="/")
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


async def neutral(request: Request) -> Response:
    return HTMLResponse(_env.get_template("neutral.html").render())


def create_app(case_dir: Path, gate: Gate, watcher: Any = None) -> Starlette:
    from . import views_case, views_entry, views_forms, views_reports

    routes = [
        Route("/", views_case.case_page),
        Route("/verify", views_case.verify_now, methods=["POST"]),
        Route("/timeline", views_entry.timeline_page),
        Route("/timeline", views_entry.timeline_filter, methods=["POST"]),
        Route("/entry/{entry_id}", views_entry.entry_page),
        Route("/entry/{entry_id}", views_entry.entry_decide, methods=["POST"]),
        Route("/preview/{sha256}", views_entry.preview),
        Route("/logbook", views_forms.logbook_page),
        Route("/logbook", views_forms.logbook_add, methods=["POST"]),
        Route("/add", views_forms.add_page),
        Route("/add", views_forms.add_files, methods=["POST"]),
        Route("/add/progress", views_forms.add_progress, methods=["POST"]),
        Route("/reports", views_reports.reports_page),
        Route("/reports", views_reports.reports_build, methods=["POST"]),
        Route("/reports/file/{build}/{n:int}", views_reports.report_file),
        Route("/language", set_language, methods=["POST"]),
        Route("/exit", quick_exit, methods=["POST"]),
        Route("/neutral", neutral),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.access = CaseAccess(case_dir)
    app.state.access.watcher = watcher
    app.state.gate = gate
    app.state.builds = {}
    app.state.last_build = None
    app.state.uploads = {}
    app.state.last_verify = None
    return Guard(app, gate)  # type: ignore[return-value]

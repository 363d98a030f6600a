"""The rules that keep a victim's case safe in a browser (docs/web.md, "Safety").

- One random one-time token in the printed URL, exchanged for an HttpOnly,
  SameSite=Strict session cookie; no session, no page.
- A CSRF token on every request that changes something (form field or header).
- The ``Host`` header must name the bound address (no DNS rebinding).
- Every answer: a Content-Security-Policy with no outside source,
  ``Cache-Control: no-store``, no referrer, no framing.
- Request bodies are size-limited (uploads by ``--max-upload``).
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ..i18n import N_, translator

COOKIE = "intake_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
#: Pages anyone may see without a session: they show nothing of a case.
PUBLIC = ("/static/", "/neutral")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
FORM_LIMIT = 1 << 20  # a form without files: 1 MiB is far more than any note


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    lang: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    notice: str = ""


class Gate:
    """Who may come in: the one-time token, the sessions, the allowed hosts."""

    def __init__(self, host: str, port: int, max_upload: int, on_new_token=None,
                 lang: str = "nl") -> None:
        self.lang = lang  # the case's language: refusals are worded in it
        self.token = secrets.token_urlsafe(32)
        self.sessions: dict[str, Session] = {}
        self.hosts = {f"{host}:{port}".lower()}
        if host in ("127.0.0.1", "localhost"):
            self.hosts |= {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{h}" for h in self.hosts}
        self.host, self.port = host, port
        self.max_upload = max_upload
        self.on_new_token = on_new_token
        self.lock = threading.Lock()

    def url(self) -> str:
        return f"http://{self.host}:{self.port}/?token={self.token}"

    def use_token(self, token: str) -> str | None:
        """A new session for the right token, which is then spent (one time only)."""
        with self.lock:
            if not self.token or not hmac.compare_digest(token.encode(), self.token.encode()):
                return None
            self.token = ""
            sid = secrets.token_urlsafe(32)
            self.sessions[sid] = Session()
            return sid

    def session(self, sid: str | None) -> Session | None:
        return self.sessions.get(sid or "")

    def end(self, sid: str | None) -> None:
        """Quick exit: the session is gone; a fresh link is printed for the adviser."""
        with self.lock:
            self.sessions.pop(sid or "", None)
            if not self.sessions and not self.token:
                self.token = secrets.token_urlsafe(32)
                if self.on_new_token:
                    self.on_new_token(self.url())


def safe_name(name: str) -> str:
    """A file name as the browser sent it, made safe to create in the inbox.

    Only the last part of any path is kept; control characters, separators and
    leading dots go; an empty result becomes ``upload``. The bytes of the file
    are never touched: only the name it is given in the inbox.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    name = name[:200]
    return name if name and name not in (".", "..") else "upload"


class Guard:
    """ASGI middleware: every rule above, before any page runs."""

    def __init__(self, app, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [h for h in message.get("headers", [])
                                      if h[0].lower() not in dict(HEADERS)] + HEADERS
            await send(message)

        request = Request(scope)
        refusal, receive = await self._check(request, receive)
        if refusal is not None:
            return await refusal(scope, receive, send_with_headers)
        return await self.app(scope, receive, send_with_headers)

    async def _check(self, request: Request, receive) -> tuple[Response | None, Any]:
        gate = self.gate
        if request.headers.get("host", "").lower() not in gate.hosts:
            return _refused(gate.lang, N_("This address is not the one intake serve printed."),
                            400), receive
        path = request.url.path
        if any(path.startswith(p) for p in PUBLIC):
            return None, receive
        token = request.query_params.get("token")
        if token is not None:
            sid = gate.use_token(token)
            if sid is None:
                return _denied(gate.lang), receive
            response = RedirectResponse("/", status_code=303)  # the token leaves the address bar
            response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/")
            return response, receive
        session = gate.session(request.cookies.get(COOKIE))
        if session is None:
            return _denied(gate.lang), receive
        request.scope.setdefault("state", {})["session"] = session
        request.scope["state"]["sid"] = request.cookies.get(COOKIE)
        if request.method in ("GET", "HEAD"):
            return None, receive
        origin = request.headers.get("origin")
        if origin and origin.lower() not in gate.origins:
            return _refused(session.lang or gate.lang,
                        N_("Refused: this request came from another site."), 403), receive
        return await _check_body(request, receive, session, gate.max_upload,
                                 session.lang or gate.lang)


async def _check_body(request: Request, receive, session: Session,
                      max_upload: int, lang: str) -> tuple[Response | None, Any]:
    """Size limit and CSRF token; the body read here is handed on unchanged."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = max_upload if kind == "multipart/form-data" else FORM_LIMIT
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return _refused(lang, N_("Refused: the size of what was sent is not given."),
                        411), receive
    if int(length) > limit:
        return _refused(lang, TOO_LARGE, 413, limit=limit), receive
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and kind == "application/x-www-form-urlencoded":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > limit:
                return _refused(lang, TOO_LARGE, 413, limit=limit), receive
            if not message.get("more_body"):
                break
        sent = (parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD) or [""])[0]
        receive = _replay(body)
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        return _refused(lang, N_("Refused: this form is out of date or did not come from this "
                                 "page. Go back, reload the page and try again."), 403), receive
    return None, _counted(receive, limit)


def _replay(body: bytes):
    done = False

    async def receive():
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        done = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


def _counted(receive, limit: int):
    """Stop a body that grows past what its Content-Length announced."""
    seen = 0

    async def counting():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise ValueError("request body larger than announced")
        return message
    return counting


TOO_LARGE = N_("Refused: too large to receive here (at most {size} at a time).")


def _refused(lang: str, msgid: str, status: int, limit: int = 0) -> Response:
    """A refusal in plain words, in the session's or else the case's language."""
    t = translator(lang)
    size = (t.gettext("{n} MB", n=limit >> 20) if limit >= 1 << 20
            else t.gettext("{n} KB", n=max(1, limit >> 10)))
    return PlainTextResponse(t.gettext(msgid, size=size), status)


def _denied(lang: str) -> Response:
    return _refused(lang, N_("intake: open the link that 'intake serve' printed (it works "
                             "once); restart 'intake serve' for a new link."), 403)

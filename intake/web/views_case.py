"""The Case page: what came in, where it is kept, what waits, what went wrong; verify now."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..checks import status, verify
from ..devices import where_copies_are
from ..errors import IntakeError
from ..i18n import translator
from ..index import recent_receipts
from ..messages import translate
from ..recording import record_line
from .app import access, back, lang, render


def _last_verified(case) -> str:
    """When the custody log last recorded a verify without problems ('' if never)."""
    for line in reversed(list(case.log.lines)):
        if b'"verified"' not in line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("event") == "verified":
            return str(rec.get("at") or "")
    return ""


def _case_view(request: Request) -> dict:
    code = lang(request)
    with access(request).read() as case:
        s = status(case)
        copies = where_copies_are(case)
        recent = recent_receipts(case.index)
        last = _last_verified(case)
        n_replicas = len(case.replicas)
    words = lambda text: translate(text, code)  # noqa: E731
    warnings = [words(w) for w in s["custody_rollback"]]
    if copies["one_device_warning"]:
        warnings.append(words(copies["one_device_warning"]))
    for r in s["replicas"]:
        if not r["available"]:
            warnings.append(words(r["reason"]))
    return {
        "s": s, "copies": copies, "recent": recent, "n_replicas": n_replicas,
        "last_verified": last, "warnings": warnings,
        "not_taken": [{"source": p["source"], "reason": words(p["reason"])}
                      for p in s["files_not_taken"]],
        "left": [{"path": p["path"], "reason": words(p["reason"])} for p in s["left_in_inbox"]],
        "item_warnings": [{"name": (w["names"] or [w["sha256"][:12]])[0],
                           "words": [words(x) for x in w["warnings"]]}
                          for w in s["items_with_warnings"]],
        "verify": request.app.state.last_verify,
    }


async def case_page(request: Request) -> Response:
    view = await run_in_threadpool(_case_view, request)
    return render(request, "case.html", "case", **view)


def _verify(request: Request) -> dict:
    a = access(request)
    with a.read() as case:
        problems, summary = verify(case)
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if not problems:
        def log(case) -> None:
            record_line(case, "verified", items=summary["items"], problems=0)
        try:
            a.write(log)
        except IntakeError:
            pass  # another program holds the case: it logs its own steps
    code = lang(request)
    return {"at": at, "ok": not problems, "items": summary["items"],
            "copies": summary["objects_checked"],
            "problems": [translate(p.message, code) for p in problems]}


async def verify_now(request: Request) -> Response:
    result = await run_in_threadpool(_verify, request)
    request.app.state.last_verify = result
    _ = translator(lang(request)).gettext
    return back("/", request, _("Checked: all good.") if result["ok"]
                else _("Checked: problems found (see below)."))

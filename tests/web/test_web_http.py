"""intake serve at the HTTP level: every route, and each safety rule of issue 13 point 3.

Starlette's TestClient drives the real application over one case made in
code and stored by the real CLI (module-scoped: built once).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import warnings
from pathlib import Path

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from intake.web.app import create_app
from intake.web.safety import CSP, Gate, safe_name

from .web_case import INTAKE, intake, make_case

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
PAGES = ("/", "/timeline", "/logbook", "/add", "/reports")
TITLES = {"intake – Case", "intake – Timeline", "intake – Logbook", "intake – Add evidence",
          "intake – Reports", "intake – Entry"}


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    return make_case(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def server(case):
    gate = Gate("127.0.0.1", PORT, 64 << 10)  # a small upload limit, to test it
    app = create_app(case, gate)
    return app, gate


def login(server) -> tuple[TestClient, str]:
    app, gate = server
    if not gate.token:
        gate.token = "t-" + str(len(gate.sessions))
    client = TestClient(app, base_url=BASE)
    r = client.get(f"/?token={gate.token}", follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/")
    csrf = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
    return client, csrf


@pytest.fixture(scope="module")
def client(server):
    return login(server)


def count(html: str) -> str:
    return re.search(r'id="count"[^>]*>([^<]*)', html).group(1).strip()


# ----------------------------------------------------------------- safety rules

def test_token_becomes_httponly_strict_cookie_and_works_once(server):
    app, gate = server
    gate.token = "one-time-token"
    c = TestClient(app, base_url=BASE)
    assert c.get("/").status_code == 403  # no session: no page
    r = c.get("/?token=wrong", follow_redirects=False)
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = c.get("/?token=one-time-token", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # the token leaves the URL
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert c.get("/").status_code == 200
    other = TestClient(app, base_url=BASE)
    assert other.get("/?token=one-time-token", follow_redirects=False).status_code == 403


def test_every_form_needs_the_csrf_token(server, client):
    c, csrf = client
    app, _ = server
    posts = sorted({r.path for r in app.app.routes if "POST" in (getattr(r, "methods", None)
                                                                  or ())})
    assert "/entry/{entry_id}" in posts and "/add" in posts and len(posts) >= 9
    for path in posts:
        url = path.replace("{entry_id}", "e-0000")
        assert c.post(url, data={"x": "1"}).status_code == 403, path
        assert c.post(url, data={"csrf": "forged"}).status_code == 403, path
        assert c.post(url, files={"files": ("a.txt", b"a")},
                      headers={"X-CSRF-Token": "forged"}).status_code == 403, path
    r = c.post("/language", data={"csrf": csrf, "lang": "fr", "back": "/"},
               follow_redirects=False)
    assert r.status_code == 303
    assert "Dossier" in c.get("/").text or "Affaire" in c.get("/").text
    c.post("/language", data={"csrf": csrf, "lang": "en"})


def test_a_request_from_another_site_is_refused(client):
    c, csrf = client
    r = c.post("/language", data={"csrf": csrf, "lang": "en"},
               headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_refusals_are_in_the_readers_language(server, case):
    """Before a session: the case's language; in a session: the one the reader chose."""
    app = create_app(case, Gate("127.0.0.1", PORT, 64 << 10, lang="fr"))
    c = TestClient(app, base_url=BASE)
    r = c.get("/", headers={"Host": "evil.example"})
    assert (r.status_code, r.text) == (400, "Cette adresse n’est pas celle qu’intake serve "
                                             "a affichée.")
    r = c.get("/timeline")
    assert r.status_code == 403 and r.text.startswith("intake\u202f: ouvrez le lien affiché")
    c, csrf = login(server)  # the English case's own gate; the reader picks Dutch
    c.post("/language", data={"csrf": csrf, "lang": "nl"})
    r = c.post("/language", data={"csrf": csrf, "lang": "en"},
               headers={"Origin": "http://evil.example"})
    assert (r.status_code, r.text) == (403, "Geweigerd: deze vraag kwam van een andere website.")
    r = c.post("/add", files={"files": ("big.bin", b"x" * (65 << 10))},
               headers={"X-CSRF-Token": csrf})
    assert (r.status_code, r.text) == (413, "Geweigerd: te groot om hier te ontvangen "
                                             "(hoogstens 64 KB tegelijk).")
    r = c.post("/language", data={"csrf": "stale", "lang": "en"})
    assert r.status_code == 403 and r.text.startswith("Geweigerd: dit formulier is verouderd")


def test_host_must_be_the_bound_address(client):
    c, _ = client
    assert c.get("/", headers={"Host": f"evil.example:{PORT}"}).status_code == 400
    assert c.get("/", headers={"Host": "127.0.0.1:1"}).status_code == 400
    assert c.get("/", headers={"Host": f"localhost:{PORT}"}).status_code == 200
    assert c.get("/neutral", headers={"Host": "rebound.example"}).status_code == 400


def test_csp_without_outside_sources_and_no_store_on_every_page(client, case):
    c, _ = client
    entry = re.search(r'href="(/entry/e-[0-9a-f]+)"', c.get("/timeline").text).group(1)
    for path in (*PAGES, entry, "/static/app.js", "/neutral"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-security-policy"] == CSP, path
        assert r.headers["cache-control"] == "no-store", path
        assert r.headers["referrer-policy"] == "same-origin"  # never to another site
    assert "http" not in CSP and "*" not in CSP and "default-src 'none'" in CSP
    for path in (*PAGES, entry):  # nothing is fetched from outside: no CDN, no font
        html = c.get(path).text
        assert not re.search(r'(src|href|action)="(https?:)?//', html), path


def test_no_case_data_in_addresses_or_titles(client, case):
    c, csrf = client
    private = ("Kevin", "WhatsApp", "deur", "je-negeert-me", "sms-2024", case.name)
    r = c.post("/timeline", data={"csrf": csrf, "text": "deur", "kind": "message"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/timeline"  # filters: session
    pages = [c.get(p).text for p in PAGES]
    entry = re.search(r'href="(/entry/e-[0-9a-f]+)"', pages[1]).group(1)
    pages.append(c.get(entry).text)
    for html in pages:
        title = re.search(r"<title>([^<]*)</title>", html).group(1)
        assert title in TITLES
        for url in re.findall(r'(?:href|src|action)="([^"]*)"', html):
            assert not any(word.lower() in url.lower() for word in private), url
    c.post("/timeline", data={"csrf": csrf, "clear": "1"})


def test_quick_exit_ends_the_session(server):
    c, csrf = login(server)
    html = c.get("/").text
    assert 'id="quick-exit"' in html and "Escape twice" in html
    r = c.post("/exit", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/neutral"
    assert "cookies" in r.headers["clear-site-data"]
    assert c.get("/").status_code == 403  # the cookie no longer opens anything
    neutral = c.get("/neutral").text
    assert "<title>New tab</title>" in neutral and "Kevin" not in neutral


def test_uploads_are_size_limited(client, case):
    c, csrf = client
    before = sorted(p.name for p in (case / "inbox").iterdir())
    r = c.post("/add", files={"files": ("big.bin", b"x" * (65 << 10))},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 413
    assert sorted(p.name for p in (case / "inbox").iterdir()) == before


def test_names_are_never_paths(client, case, tmp_path):
    c, csrf = client
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\anna\\foto.jpg") == "foto.jpg"
    assert safe_name("..") == "upload" and safe_name(".bashrc") == "bashrc"
    assert safe_name("a\x00b\u202e.txt") == "ab.txt"
    body = bytes(range(256)) * 3
    r = c.post("/add", files=[("files", ("../../../escaped.txt", body)),
                              ("files", ("sub/dir/notes.txt", b"same name\n")),
                              ("files", ("notes.txt", b"other bytes\n"))],
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    names = [f["name"] for f in r.json()["files"]]
    assert names == ["escaped.txt", "notes.txt", "notes (2).txt"]
    assert not (case.parent / "escaped.txt").exists() and not (case / "escaped.txt").exists()
    stored = {p.name: p.read_bytes() for p in (case / "inbox").rglob("*") if p.is_file()}
    assert stored["escaped.txt"] == body  # exactly as sent
    assert stored["notes.txt"] == b"same name\n" and stored["notes (2).txt"] == b"other bytes\n"
    tickets = [f["ticket"] for f in r.json()["files"]]  # stored at once (no watcher here)
    progress = c.post("/add/progress", json={"tickets": tickets},
                      headers={"X-CSRF-Token": csrf}).json()["files"]
    assert [p["state"] for p in progress] == ["done"] * 3
    assert progress[0]["words"] == "Stored safely in 2 places."
    assert (case / "inbox" / "ingested" / "escaped.txt").read_bytes() == body


# ----------------------------------------------------------------- the pages

def test_case_page(client, case):
    c, _ = client
    (case / "inbox" / "download.crdownload").write_bytes(b"half")
    html = c.get("/").text
    assert "9 files kept" in html or "files kept" in html
    assert "Place a: holds" in html and "Place b: holds" in html
    assert "download.crdownload" in html  # left in the inbox, with its reason
    assert "scan.png" in html and "no date or time of its own" in html  # warnings in words
    assert "Both copies are on this computer" in html


def test_verify_now(client, case):
    c, csrf = client
    html = c.post("/verify", data={"csrf": csrf}).text
    assert "Checked: all good." in html and re.search(r"All good: \d+ files and \d+ copies", html)
    log = "".join(p.read_text() for p in sorted((case / "store" / "a" / "custody").iterdir()))
    assert '"event":"verified"' in log.replace(" ", "")
    assert "Last full check without problems" in c.get("/").text


def test_timeline_filters_and_search(client):
    c, csrf = client
    # the case's 20 entries and the 3 text files uploaded (and stored) by the names test
    assert count(c.get("/timeline").text) == "23 entries"

    def shown(**filters) -> str:
        return count(c.post("/timeline", data={"csrf": csrf, **filters}).text)
    assert shown(text="deur") == "1 entry"  # the WhatsApp message of the DST night
    assert shown(text="Laatste waarschuwing") == "1 entry"  # an SMS body
    assert shown(text="schoolpoort") == "2 entries"  # the logbook and its correction
    assert shown(text="negeert") == "1 entry"  # an e-mail's subject and body
    assert shown(text="leeg.txt") == "1 entry"  # a file name
    assert shown(kind="sms") == "3 entries"
    assert shown(**{"from": "2024-10-27", "to": "2024-10-28"}) == "3 entries"
    assert shown(flag="dst-ambiguous") == "1 entry"
    html = c.post("/timeline", data={"csrf": csrf, "flag": "dst-ambiguous"}).text
    assert "02:33, +02:00 or +01:00" in html
    assert shown(text='"a OR (') == "0 entries"  # search words are words, never syntax
    # entries whose only time is when the file was copied are marked and can be set apart
    html = c.post("/timeline", data={"csrf": csrf, "time": "copied"}).text
    assert count(html) == "5 entries"
    assert re.findall(r'<td><a href="/entry/[^"]+">([^<]*)</a>', html) == [
        "Photo", "File leeg.txt (application/x-empty)", "File escaped.txt (application/octet-stream)",
        "File notes.txt (text/plain)", "File notes (2).txt (text/plain)"]
    assert html.count('<tr class="copied">') == 5 and html.count("copy time</span>") == 5
    assert "no capture time in the file; the time shown is when it was copied" in html
    assert shown(time="own") == "18 entries"  # 23 in all
    own = c.post("/timeline", data={"csrf": csrf, "time": "own"}).text
    assert 'class="copied"' not in own and "copy time</span>" not in own
    assert len(re.findall(r'<td><a href="/entry/', own)) == 18
    c.post("/timeline", data={"csrf": csrf, "clear": "1"})


def test_entry_page_and_curation_are_the_cli_records(client, case):
    c, csrf = client
    c.post("/timeline", data={"csrf": csrf, "text": "deur"})
    tl = c.get("/timeline").text
    entry = re.search(r'href="/entry/(e-[0-9a-f]+)"', tl).group(1)
    html = c.get(f"/entry/{entry}").text
    assert "Ik sta weer voor je deur" in html
    assert "whatsapp" in html.lower() and "✓ chosen" in html  # the claim, its plugin, chosen
    for data in ({"action": "star"}, {"action": "exclude", "report": "police"},
                 {"action": "note", "note": "na de klacht"}, {"action": "tag", "tag": "nacht"}):
        r = c.post(f"/entry/{entry}", data={"csrf": csrf, **data})
        assert r.status_code == 200 and "Saved." in r.text
    shown = json.loads(intake(case, "entry", "show", entry, "--json").stdout)
    assert shown["curation"]["star"] is True and shown["curation"]["police"] == "exclude"
    assert shown["curation"]["note"] == "na de klacht" and shown["curation"]["tags"] == ["nacht"]
    c.post("/timeline", data={"csrf": csrf, "clear": "1"})
    assert count(c.post("/timeline", data={"csrf": csrf, "starred": "1"}).text) == "1 entry"
    assert count(c.post("/timeline", data={"csrf": csrf, "police": "exclude"}).text) == "1 entry"
    assert count(c.post("/timeline", data={"csrf": csrf, "tag": "nacht"}).text) == "1 entry"
    c.post("/timeline", data={"csrf": csrf, "clear": "1"})
    assert c.get("/entry/e-000000000000").status_code == 404


def test_logbook_asks_which_hour_on_the_dst_night(client, case):
    c, csrf = client
    form = {"csrf": csrf, "date": "2024-10-27", "time": "02:30", "place": "Gent",
            "what": "Hij belde aan, twee keer.", "pv": "GE.12.L3.000111/24"}
    html = c.post("/logbook", data=form).text
    assert 'id="dst-question"' in html  # asked; nothing written yet
    assert not (case / "inbox" / "logbook").exists()
    html = c.post("/logbook", data={**form, "dst": "second"}).text
    assert "The logbook entry is written and kept." in html
    c.post("/timeline", data={"csrf": csrf, "text": "belde aan"})
    tl = c.get("/timeline").text
    assert count(tl) == "1 entry" and "02:30" in tl and "+01:00" in tl
    c.post("/timeline", data={"csrf": csrf, "clear": "1"})
    bad = c.post("/logbook", data={**form, "date": "2024-03-31", "time": "02:30"})
    assert bad.status_code == 400 and "does not exist" in bad.text  # the spring-forward gap


def test_reports_build_download_and_root_hash(client, case):
    c, csrf = client
    html = c.post("/reports", data={"csrf": csrf, "f_pdf": "1", "lang": "en"}).text
    assert "The reports are ready." in html
    root = re.search(r'id="root-hash">([0-9a-f]{64})<', html).group(1)
    links = re.findall(r'href="(/reports/file/[^"]+)"', html)
    files = {c.get(u).headers["content-disposition"].split("filename=")[1].strip('"'): c.get(u)
             for u in links}
    assert files["chronology.pdf"].content.startswith(b"%PDF")
    assert json.loads(files["chronology.json"].content)["root_hash"] == root
    assert "intake verify --chronology chronology.json" in html


def test_serve_prints_one_link_opens_the_browser_and_stops_on_ctrl_c(tmp_path, case):
    """The real command: 127.0.0.1, a port of its own, the link handed to the browser."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n')
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser)}
    proc = subprocess.Popen([str(INTAKE), "--case", str(case), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{40,}", url), url
        deadline = time.monotonic() + 20
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened.read_text() == url
        with httpx.Client() as web:
            assert web.get(url.split("?")[0]).status_code == 403  # no token, no page
            r = web.get(url, follow_redirects=True)
            assert r.status_code == 200 and "<title>intake – Case</title>" in r.text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip().endswith("Stopped.") and "Traceback" not in err


def test_beside_a_watcher_in_another_program(client, case):
    """Pages read the case read-only beside `intake watch`; a change says plainly why not."""
    c, csrf = client
    watch = subprocess.Popen([str(INTAKE), "--case", str(case), "watch", "--no-chronology"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Watching" in watch.stdout.readline()
        assert c.get("/").status_code == 200
        tl = c.get("/timeline").text
        entry = re.search(r'href="/entry/(e-[0-9a-f]+)"', tl).group(1)
        html = c.post(f"/entry/{entry}", data={"csrf": csrf, "action": "star"}).text
        assert "another intake program (the watcher?) is working on this case" in html
        shown = json.loads(intake(case, "entry", "show", entry, "--json").stdout)
        assert shown["curation"]["star"] is False  # nothing was kept
    finally:
        watch.send_signal(signal.SIGINT)
        watch.communicate(timeout=30)

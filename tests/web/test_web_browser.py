"""The scenario of issue 13 in a real browser: Debian's Chromium driven by Playwright.

One ``intake serve --watch`` for the whole module (time budget): open the
printed link, drop two files, see them stored in every place, filter the
timeline, star and exclude an entry, write a logbook entry on the night the
clocks go back, build the PDF and download it, leave by pressing Escape twice.
Screenshots go to ``$INTAKE_SCREENSHOTS`` when set (docs/screenshots/ is made so).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers.court_case import KEVIN, NIGHT_WA, SMS_1, SMS_2, _ms, _xml

from .web_case import INTAKE, make_case

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-default-apps", "--disable-extensions", "--mute-audio"]
CHAT = (f"27/10/2024 02:33 - Kevin: {NIGHT_WA}\n"
        "27/10/2024 09:00 - Kevin: Ik weet waar je werkt.\n").encode()
SMS = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"2\">\n"
       f'  <sms protocol="0" address="{KEVIN}" date="{_ms(2024, 10, 22, 18, 5)}" type="1" '
       f'body="{_xml(SMS_1)}" contact_name="Kevin" />\n'
       f'  <sms protocol="0" address="{KEVIN}" date="{_ms(2024, 11, 5, 12, 40)}" type="1" '
       f'body="{_xml(SMS_2)}" contact_name="Kevin" />\n'
       "</smses>\n").encode()


def _browser_or_skip():
    if not Path(CHROMIUM).is_file() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    return sync_playwright


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    sync_playwright = _browser_or_skip()
    case = make_case(tmp_path_factory.mktemp("browser"), with_files=False)
    proc = subprocess.Popen([str(INTAKE), "--case", str(case), "serve", "--watch",
                             "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if not url else url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        outside: list[str] = []
        page.on("request", lambda r: r.url.startswith(url.split("/?")[0])
                or r.url.startswith("data:") or outside.append(r.url))
        yield {"case": case, "url": url, "base": url.split("/?")[0], "page": page,
               "outside": outside}
        browser.close()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.strip().endswith("Stopped."), err


def shot(page, name: str) -> None:
    folder = os.environ.get("INTAKE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def go(page, base: str, label: str, path: str) -> None:
    """Follow a link of the page's menu, as a person would."""
    page.click(f"header nav a:has-text('{label}')")
    page.wait_for_url(base + path)


def submit(page, selector: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def shown(page) -> str:
    return page.locator("#count").inner_text().strip()


def test_the_adviser_scenario(served):
    page, base = served["page"], served["base"]
    page.goto(served["url"])
    assert page.url == base + "/" and page.title() == "intake – Case"

    # Add evidence: two files dropped on the page, stored in both places
    go(page, base, "Add evidence", "/add")
    files = [["WhatsApp-chat met Kevin.txt", base64.b64encode(CHAT).decode()],
             ["sms-20241112.xml", base64.b64encode(SMS).decode()]]
    page.evaluate("""(files) => {
        const dt = new DataTransfer();
        for (const [name, b64] of files) {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            dt.items.add(new File([bytes], name));
        }
        const drop = document.getElementById('drop');
        drop.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true,
                                                      cancelable: true}));
        drop.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true,
                                                  cancelable: true}));
    }""", files)
    page.wait_for_selector("#uploads li[data-state=done] >> nth=1", timeout=60_000)
    assert page.locator("#uploads li").count() == 2
    assert page.locator("#uploads li[data-state=done]").all_inner_texts() == [
        "WhatsApp-chat met Kevin.txt – Stored safely in 2 places.",
        "sms-20241112.xml – Stored safely in 2 places."]
    stored = served["case"] / "inbox" / "ingested"
    assert (stored / "sms-20241112.xml").read_bytes() == SMS
    shot(page, "add-evidence")

    # Timeline: 4 entries; filter by kind, then search the words
    go(page, base, "Timeline", "/timeline")
    assert shown(page) == "4 entries"
    page.select_option("#f-kind", "sms")
    submit(page, "button:has-text('Show') >> nth=0")
    assert shown(page) == "2 entries"
    submit(page, "button:has-text('Show everything')")
    page.fill("#f-text", "deur")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert shown(page) == "1 entry"
    assert "02:33, +02:00 or +01:00" in page.locator("table.timeline").inner_text()
    shot(page, "timeline")

    # Entry: star it and leave it out of the police report
    page.click("table.timeline tbody a")
    page.wait_for_url(re.compile(r".*/entry/e-[0-9a-f]{12}$"))
    assert page.title() == "intake – Entry"
    submit(page, "button:has-text('Star')")
    submit(page, "form:has(input[value=police]) button:has-text('Leave out')")
    assert "Saved." in page.locator(".notice").inner_text()
    assert "left out" in page.locator("form:has(input[value=police]) legend").inner_text()
    assert page.locator("h1 .star").count() == 1
    shot(page, "entry")
    go(page, base, "Timeline", "/timeline")
    submit(page, "button:has-text('Show everything')")
    page.check("#f-starred")
    submit(page, "button:has-text('Show') >> nth=0")
    assert shown(page) == "1 entry"
    assert "not for the police" in page.locator("table.timeline").inner_text()
    submit(page, "button:has-text('Show everything')")

    # Logbook on the night the clocks go back: the form asks which 02:30
    go(page, base, "Logbook", "/logbook")
    page.fill("#l-date", "2024-10-27")
    # the date in words beside the field, whatever order the browser's locale shows
    assert page.locator("#l-date-words").inner_text() == "Sunday, October 27, 2024"
    page.fill("#l-time", "02:30")
    page.fill("#l-place", "Gent")
    page.fill("#l-what", "Hij belde aan, twee keer, midden in de nacht.")
    submit(page, "button:has-text('Write it down')")
    page.wait_for_selector("#dst-question")
    shot(page, "logbook-dst")
    assert page.locator("#l-date-words").inner_text() == "Sunday, October 27, 2024"
    page.check("#dst-second")
    submit(page, "button:has-text('Write it down')")
    assert "The logbook entry is written and kept." in page.locator(".notice").inner_text()
    go(page, base, "Timeline", "/timeline")
    page.fill("#f-text", "belde")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(60):  # the watcher stores the entry within a few seconds
        page.wait_for_load_state()
        if shown(page) == "1 entry":
            break
        page.wait_for_timeout(500)
        page.reload()  # the filter is kept by the session
    row = page.locator("table.timeline tbody tr").inner_text()
    assert "27/10/2024" in row and "02:30" in row and "+01:00" in row
    submit(page, "button:has-text('Show everything')")

    # Reports: build the police PDF and download it
    go(page, base, "Reports", "/reports")
    assert page.is_checked("#fmt-pdf")
    page.click("#build")
    page.wait_for_selector("#ready", timeout=120_000)
    root = page.locator("#root-hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", root)
    with page.expect_download() as download:
        page.click("a:has-text('chronology.pdf')")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    shot(page, "reports")
    go(page, base, "Case", "/")
    assert "safely in 2 places" in page.locator("main").inner_text()
    shot(page, "case")

    # 200 % zoom (half the width, twice the pixels): no page scrolls sideways;
    # the keyboard reaches the menu first (after the "skip to the page" link)
    page.set_viewport_size({"width": 640, "height": 900})
    for label, path in (("Timeline", "/timeline"), ("Logbook", "/logbook"),
                        ("Add evidence", "/add"), ("Reports", "/reports"), ("Case", "/")):
        go(page, base, label, path)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/"

    # Quick exit: Escape twice leaves for a neutral page and ends the session
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(base + "/neutral")
    assert page.title() == "New tab" and "Kevin" not in page.content()
    response = page.goto(base + "/timeline")
    assert response.status == 403 and "Kevin" not in page.content()
    assert served["outside"] == []  # not one request left this computer's server

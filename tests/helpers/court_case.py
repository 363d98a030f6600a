"""A small Belgian stalking case made in code, for the court-content tests.

What it holds, and what page 1 must count (`INCIDENTS`):

- a WhatsApp export named after Kevin: five messages from Kevin (one at
  02:33 in the night clocks go back, so the hour occurs twice; one with a
  bidirectional override, one starting with ``=``, one with a full-width
  ``＝``), one from Anna (the victim), one WhatsApp notice; Kevin's 5 count;
- an SMS backup: two long SMS from Kevin, one SMS Anna sent (on 1 October,
  before everything: it must not start the chart), 2 count;
- a call log: a missed call from a withheld number and an answered call
  from Kevin count; Anna's call to Kevin does not;
- two e-mails from Kevin: one plain text, one HTML only; both count; a third
  one with a body longer than the reports' limit (it counts too);
- a logbook with two entries, the second correcting the first: 1 counts;
- an empty file and a picture with no date of its own whose file time is in
  2026 (a copy time: it must not stretch the period or the chart).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from PIL import Image

KEVIN = "+32468990123"
FRIEND = "+32475000111"

THREAT_WA = ("Je denkt dat je van me af bent maar ik weet waar je woont en waar je werkt en "
             "als je nog één keer naar de politie gaat dan steek ik je huis in brand met jou "
             "erin, dat beloof ik je, en niemand zal je dan nog helpen want ik ken iedereen in "
             "die straat.")
NIGHT_WA = "Ik sta weer voor je deur, ik zie je licht branden, doe open of ik trap ze in."
BIDI_WA = "Kijk naar je foto \u202egnp.exe\u202c en zeg niets tegen niemand"
FORMULA_WA = "=HYPERLINK(\"http://example.invalid\";\"klik\")"
ANNA_WA = "-Goedemorgen, laat me alsjeblieft met rust."
NOTICE_WA = "Berichten en oproepen worden end-to-end versleuteld."
LATE_WA = "＝1+1 zie je wel dat ik overal ben, ook in je telefoon"
SMS_1 = ("Waarom antwoord je niet? Ik heb je gisteren gezien aan het station met die collega "
         "van je. Denk maar niet dat ik dat zomaar laat passeren, je zult nog spijt krijgen "
         "van alles wat je me hebt aangedaan. Morgen sta ik weer aan je werk.")
SMS_2 = ("Laatste waarschuwing. Als je die klacht niet intrekt, weet iedereen op je werk "
         "binnen de week wat voor iemand jij bent. Ik heb de foto's nog.")
SMS_ANNA = "Stop met mij te contacteren. Ik ga naar de politie."
MAIL_PLAIN = ("Anna,\n\nJe hebt mijn berichten genegeerd. Dat was een fout. Ik heb met je "
              "buren gesproken en ze weten nu allemaal wat je gedaan hebt.\n\nIk zal blijven "
              "komen tot je met me praat. Je kunt niet verhuizen zonder dat ik het weet, ik "
              "volg alles wat je doet op internet en daarbuiten.\n\nTot zaterdag,\nKevin")
MAIL_HTML_TEXT = ("Dit is mijn laatste mail voor ik zelf langskom om alles uit te praten met "
                  "jou en je nieuwe vriend.")
LOG_OLD = "Hij stond om 21:00 aan de schoolpoort en riep mijn naam."
LOG_NEW = ("Hij stond om 21:15 aan de schoolpoort van de kinderen en riep mijn naam, "
           "hij filmde ons met zijn telefoon tot we binnen waren.")
LOG_FEELING = "Ik kon niet slapen; de kinderen durven niet meer alleen naar school."
LONG_LIMIT = 6000
LONG_BODY = ("Lange mail. " + "Ik blijf je schrijven tot je antwoordt. " * 220).strip()

#: Every text a person wrote that must appear whole (bidi shown escaped).
BODIES = [THREAT_WA, NIGHT_WA, BIDI_WA.replace("\u202e", "[U+202E]").replace("\u202c", "[U+202C]"),
          FORMULA_WA, ANNA_WA, LATE_WA, SMS_1, SMS_2, SMS_ANNA, MAIL_PLAIN, MAIL_HTML_TEXT,
          LOG_NEW, LOG_OLD]
INCIDENTS = 5 + 2 + 2 + 3 + 1
#: The incidents' span: Kevin's first WhatsApp (Sunday 20/10/2024, ISO week 42)
#: to the logbook's 12/11/2024 (week 46).
CHART_FIRST, CHART_LAST, CHART_WEEKS = "2024-10-20", "2024-11-12", 5


def _ms(y: int, mo: int, d: int, h: int, mi: int) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp() * 1000)


def _xml(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", "&#10;"))


def make_inbox(inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    chat = (
        f"20/10/2024 21:14 - {NOTICE_WA}\n"
        f"20/10/2024 21:14 - Kevin: {THREAT_WA}\n"
        f"20/10/2024 21:20 - Anna: {ANNA_WA}\n"
        f"27/10/2024 02:33 - Kevin: {NIGHT_WA}\n"
        f"27/10/2024 09:00 - Kevin: {BIDI_WA}\n"
        f"03/11/2024 22:00 - Kevin: {FORMULA_WA}\n"
        f"04/11/2024 07:30 - Kevin: {LATE_WA}\n"
    )
    (inbox / "WhatsApp-chat met Kevin.txt").write_text(chat, encoding="utf-8")

    sms = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"3\">\n"
        f'  <sms protocol="0" address="{KEVIN}" date="{_ms(2024, 10, 22, 18, 5)}" type="1" '
        f'body="{_xml(SMS_1)}" contact_name="Kevin" />\n'
        f'  <sms protocol="0" address="{KEVIN}" date="{_ms(2024, 11, 5, 12, 40)}" type="1" '
        f'body="{_xml(SMS_2)}" contact_name="Kevin" />\n'
        f'  <sms protocol="0" address="{KEVIN}" date="{_ms(2024, 10, 1, 9, 0)}" type="2" '
        f'body="{_xml(SMS_ANNA)}" contact_name="Kevin" />\n'
        "</smses>\n")
    (inbox / "sms-20241112.xml").write_text(sms, encoding="utf-8")
    calls = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"3\">\n"
        f'  <call number="-2" duration="0" date="{_ms(2024, 10, 24, 23, 11)}" type="3" '
        'presentation="2" contact_name="(Unknown)" />\n'
        f'  <call number="{KEVIN}" duration="42" date="{_ms(2024, 10, 28, 7, 2)}" type="1" '
        'presentation="1" contact_name="Kevin" />\n'
        f'  <call number="{KEVIN}" duration="10" date="{_ms(2024, 10, 29, 8, 0)}" type="2" '
        'presentation="1" contact_name="Kevin" />\n'
        "</calls>\n")
    (inbox / "calls-20241112.xml").write_text(calls, encoding="utf-8")

    plain = EmailMessage()
    plain["From"] = "Kevin <kevin@example.be>"
    plain["To"] = "anna@example.be"
    plain["Subject"] = "Je negeert me"
    plain["Date"] = "Wed, 30 Oct 2024 20:15:00 +0100"
    plain["Message-ID"] = "<m1@example.be>"
    plain.set_content(MAIL_PLAIN)
    (inbox / "je-negeert-me.eml").write_bytes(plain.as_bytes())
    html = EmailMessage()
    html["From"] = "Kevin <kevin@example.be>"
    html["To"] = "anna@example.be"
    html["Subject"] = "Laatste keer"
    html["Date"] = "Sun, 10 Nov 2024 10:00:00 +0100"
    html["Message-ID"] = "<m2@example.be>"
    html.set_content(f"<html><body><p>{MAIL_HTML_TEXT}</p></body></html>", subtype="html")
    (inbox / "laatste-keer.eml").write_bytes(html.as_bytes())
    long = EmailMessage()
    long["From"] = "Kevin <kevin@example.be>"
    long["To"] = "anna@example.be"
    long["Subject"] = "Lang"
    long["Date"] = "Mon, 11 Nov 2024 10:00:00 +0100"
    long["Message-ID"] = "<m3@example.be>"
    long.set_content(LONG_BODY)
    (inbox / "lang.eml").write_bytes(long.as_bytes())

    log = (
        "# Logboek\n\n"
        "## Aan de school\nId: 1\nDatum: 12/11/2024\nTijd: 21:00\nPlaats: Schoolstraat 3, Gent\n"
        f"Wat: {LOG_OLD}\n\n"
        "## Aan de school (verbeterd)\nId: 2\nDatum: 12/11/2024\nTijd: 21:15\n"
        "Plaats: Schoolstraat 3, Gent\n"
        f"Wat: {LOG_NEW}\nPV: GE.12.L3.012345/24\nGevoel: {LOG_FEELING}\nVervangt: 1\n")
    (inbox / "logboek.md").write_text(log, encoding="utf-8")

    (inbox / "leeg.txt").write_bytes(b"")
    Image.new("RGB", (40, 30), "gray").save(inbox / "scan.png")
    later = datetime(2026, 5, 1, 12, 0, tzinfo=UTC).timestamp()
    os.utime(inbox / "scan.png", (later, later))

"""The e-mail plugin on messages built here: dates, hops, addresses, attachments."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

import pytest  # noqa: E402
from intake.builtin import _mail  # noqa: E402
from intake.builtin import email_messages as plugin  # noqa: E402

from intake.testing import run_plugin  # noqa: E402

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _body_with_attachments() -> bytes:
    """MIME body and its Content-* headers, built by the standard library."""
    msg = EmailMessage()
    msg.set_content("Ik zag je gisteren weer staan aan de schoolpoort.\nDit moet stoppen.")
    msg.add_alternative("<p>Ik zag je <b>gisteren</b> weer</p>", subtype="html")
    msg.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@x>",
                                     filename="logo.png", disposition="inline")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="brief €.pdf")
    return msg.as_bytes()


def _message(headers: str, body: bytes | None = None) -> bytes:
    if body is None:
        body = b"Content-Type: text/plain; charset=utf-8\n\nHallo.\n"
    return headers.replace("\n", "\r\n").encode("utf-8") + body


FULL_HEADERS = (
    "Received: from mail.example.net (mail.example.net [192.0.2.7])\n"
    "\tby mx.example.org (Postfix) with ESMTPS id 4FJ2\n"
    "\tfor <victim@example.org>; Sun, 11 Apr 2021 13:48:10 +0000 (UTC)\n"
    "Received: from [10.0.0.5] (unknown [198.51.100.3])\n"
    "\tby mail.example.net with ESMTPSA id abc; Sun, 11 Apr 2021 15:47:59 +0200\n"
    "Date: Sun, 11 Apr 2021 15:47:53 +0200\n"
    "From: Alex Stalker <alex@example.net>\n"
    "To: Victim <victim@example.org>, \"Broken\" <not an address@@example.org>\n"
    "Cc: Service <info@ex\u0430mple.org>\n"
    "Reply-To: other@example.com\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Br=C3=BCssel?=\n"
    "Message-ID: <abc.123@example.net>\n"
)


@pytest.fixture
def full(tmp_path):
    path = _write(tmp_path, "bericht.eml", _message(FULL_HEADERS, _body_with_attachments()))
    return run_plugin(plugin, path)


def test_date_header_is_an_explicit_sent_claim(full):
    event = full.events[0]
    date = next(c for c in event.claims if c.source == "Date header")
    assert date.meaning == "sent"
    assert date.local == "2021-04-11T15:47:53"
    assert date.offset == "+02:00"
    assert date.zone == "explicit"
    assert date.utc == "2021-04-11T13:47:53Z"
    assert date.confidence == "high"
    assert event.facts["date_as_written"] == "Sun, 11 Apr 2021 15:47:53 +0200"


def test_every_received_hop_is_a_claim(full):
    hops = [c for c in full.events[0].claims if c.meaning == "received"]
    assert [c.source for c in hops] == ["Received header 1 (by mx.example.org)",
                                        "Received header 2 (by mail.example.net)"]
    assert [c.utc for c in hops] == ["2021-04-11T13:48:10Z", "2021-04-11T13:47:59Z"]
    assert hops[0].offset == "+00:00"
    assert all(c.confidence == "medium" for c in hops)
    facts = full.events[0].facts["received"]
    assert facts[0]["by"] == "mx.example.org"
    assert facts[0]["from"] == "mail.example.net"
    assert facts[1]["date"] == "Sun, 11 Apr 2021 15:47:59 +0200"


def test_people_subject_and_excerpt(full):
    event = full.events[0]
    assert event.kind == "email"
    assert event.key == "<abc.123@example.net>"
    assert event.who == "Alex Stalker <alex@example.net>"
    assert event.to == ("Victim <victim@example.org>", "Broken <not an address@@example.org>",
                        "Service <info@ex\u0430mple.org>")
    assert event.facts["subject"] == "Grüße aus Brüssel"
    assert event.facts["message_id"] == "<abc.123@example.net>"
    assert event.facts["from_address"] == "alex@example.net"
    assert event.facts["reply_to"] == "other@example.com"
    assert event.facts["excerpt"].startswith("Ik zag je gisteren weer staan aan de schoolpoort.")
    assert "Grüße aus Brüssel" in event.summary


def test_invalid_and_lookalike_addresses_are_flagged_not_dropped(full):
    event = full.events[0]
    assert {"invalid-address", "look-alike-address", "reply-to-differs"} <= set(event.flags)
    by_address = {a["address"]: a for a in event.facts["addresses"]}
    assert by_address["alex@example.net"]["valid"] is True
    broken = [a for a in event.facts["addresses"] if a["name"] == "Broken"]
    assert len(broken) == 1 and broken[0]["valid"] is False and broken[0]["reason"]
    lookalike = by_address["info@ex\u0430mple.org"]
    assert lookalike["field"] == "Cc"
    assert lookalike["lookalike"] and "U+0430" in lookalike["lookalike"][0]


def test_attachments_and_inline_images_become_derived_items(full):
    derived = full.derived
    assert len(derived) == 2
    inline = next(d for d in derived if d.relation == "inline-image")
    attachment = next(d for d in derived if d.relation == "attachment")
    assert inline.data == PNG and inline.name == "logo.png" and inline.mime == "image/png"
    assert attachment.data == PDF and attachment.name == "brief €.pdf"
    assert attachment.mime == "application/pdf"
    assert {d.event_key for d in derived} == {"<abc.123@example.net>"}
    assert [a["name"] for a in full.events[0].facts["attachments"]] == ["logo.png", "brief €.pdf"]
    assert full.warnings == []


@pytest.mark.parametrize(("written", "utc", "offset", "granularity", "flags"), [
    ("21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06Z", "+00:00", "second", ()),
    ("Tue, 22 Jan 2002 14:35:28 UT", "2002-01-22T14:35:28Z", "+00:00", "second", ()),
    ("Thu, 13 Feb 2003 23:32 -0330 (Newfoundland Time)", "2003-02-14T03:02:00Z", "-03:30",
     "minute", ()),
    ("Wed, 20 Sep 1995 00:19:00 (EDT) -0400", "1995-09-20T04:19:00Z", "-04:00", "second", ()),
    ("Fri, 23 Aug 2002 2:32:53 EDT", "2002-08-23T06:32:53Z", "-04:00", "second", ()),
    ("Tue, 12 Oct 2010 16:21:05 H0500", "2010-10-12T16:21:05Z", "+00:00", "second",
     ("malformed-date",)),
    # No zone at all: read in the case's zone (Brussels, summer time).
    ("Sun, 11 Apr 2021 15:47:53", "2021-04-11T13:47:53Z", "+02:00", "second",
     ("malformed-date",)),
    # The hour is missing: only the day is kept.
    ("Wed, 15 Dec 2010    59:10 -0500", "2010-12-14T23:00:00Z", "+01:00", "day",
     ("malformed-date",)),
])
def test_date_forms(tmp_path, written, utc, offset, granularity, flags):
    path = _write(tmp_path, "m.eml", _message(f"From: a@example.org\nDate: {written}\n"))
    result = run_plugin(plugin, path)
    claim = result.events[0].claims[0]
    assert (claim.utc, claim.offset, claim.granularity) == (utc, offset, granularity)
    for flag in flags:
        assert flag in result.events[0].flags
    if not flags:
        assert "malformed-date" not in result.events[0].flags


def test_unreadable_and_missing_dates(tmp_path):
    bad = run_plugin(plugin, _write(tmp_path, "bad.eml", _message(
        "From: a@example.org\nDate: <HR>\nSubject: x\n")))
    assert bad.events[0].claims == ()
    assert "malformed-date" in bad.events[0].flags
    assert any("<HR>" in w for w in bad.warnings)
    none = run_plugin(plugin, _write(tmp_path, "none.eml", _message(
        "From: a@example.org\nSubject: x\n")))
    assert none.events[0].claims == ()
    assert "no-date" in none.events[0].flags
    assert none.events[0].key == "msg-1"


def test_implausible_year_is_kept_and_flagged(tmp_path):
    result = run_plugin(plugin, _write(tmp_path, "y.eml", _message(
        "From: a@example.org\nDate: Mon, 30 Jun 3609 15:33:50 +0600\n")))
    claim = result.events[0].claims[0]
    assert claim.utc == "3609-06-30T09:33:50Z"
    assert "implausible-date" in result.events[0].flags


def test_mbox_gives_one_event_per_message(tmp_path):
    path = tmp_path / "box.mbox"
    box = mailbox.mbox(str(path))
    for n in range(1, 4):
        msg = EmailMessage()
        msg["From"] = f"Sender {n} <s{n}@example.net>"
        msg["To"] = "victim@example.org"
        msg["Date"] = f"Mon, 0{n} Mar 2021 10:00:00 +0100"
        msg["Subject"] = f"Bericht {n}"
        if n != 2:
            msg["Message-ID"] = f"<m{n}@example.net>"
        msg.set_content(f"From the start, message {n}.")
        box.add(msg)
    box.flush()
    box.close()
    result = run_plugin(plugin, path)
    assert result.extraction.facts == {"format": "mbox", "messages": 3}
    events = result.events
    assert [e.key for e in events] == ["<m1@example.net>", "msg-2", "<m3@example.net>"]
    assert [e.who for e in events] == [f"Sender {n} <s{n}@example.net>" for n in (1, 2, 3)]
    assert [e.facts["subject"] for e in events] == ["Bericht 1", "Bericht 2", "Bericht 3"]
    assert [e.claims[0].utc for e in events if e.claims[0].source == "Date header"] == [
        "2021-03-01T09:00:00Z", "2021-03-02T09:00:00Z", "2021-03-03T09:00:00Z"]
    assert events[0].facts["excerpt"].endswith("message 1.")


def test_mbox_envelope_date_is_a_low_claim(tmp_path):
    data = (b"From alex@example.net Sun Apr 11 15:48:00 2021\n"
            b"From: alex@example.net\nDate: Sun, 11 Apr 2021 15:47:53 +0200\n\nhallo\n")
    result = run_plugin(plugin, _write(tmp_path, "one.eml", data))
    claims = {c.source: c for c in result.events[0].claims}
    assert claims["Date header"].utc == "2021-04-11T13:47:53Z"
    envelope = claims["mbox From_ line"]
    assert envelope.confidence == "low" and envelope.zone == "assumed"
    assert envelope.utc == "2021-04-11T13:48:00Z"


def test_deeply_nested_message_is_cut_with_a_warning(tmp_path):
    depth = 70
    parts = [f"Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n" for i in range(depth)]
    body = "".join(parts) + "Content-Type: text/plain\n\ndeep\n"
    body += "".join(f"--b{i}--\n" for i in reversed(range(depth)))
    data = _message("From: a@example.org\nDate: Sun, 11 Apr 2021 15:47:53 +0200\n"
                    "MIME-Version: 1.0\n", body.encode())
    result = run_plugin(plugin, _write(tmp_path, "deep.eml", data))
    assert result.extraction is not None
    assert "nested-too-deep" in result.events[0].flags
    assert any("nested more than 50 levels" in w for w in result.warnings)
    assert result.events[0].claims[0].utc == "2021-04-11T13:47:53Z"


def test_forwarded_message_is_derived_and_readable(tmp_path):
    inner = _message("From: Boss <boss@example.com>\nDate: Mon, 6 Jun 2005 22:21:22 +0200\n"
                     "Subject: origineel\nMessage-ID: <inner@example.com>\n")
    outer = EmailMessage()
    outer["From"] = "friend@example.org"
    outer["Date"] = "Tue, 7 Jun 2005 08:00:00 +0200"
    outer.set_content("zie hieronder")
    outer.add_attachment(inner, maintype="message", subtype="rfc822", filename="fwd.eml")
    # EmailMessage wants a Message for message/rfc822; build it through the parser.
    result = run_plugin(plugin, _write(tmp_path, "outer.eml", outer.as_bytes()))
    derived = [d for d in result.derived if d.mime == "message/rfc822"]
    assert len(derived) == 1 and derived[0].relation == "attachment"
    again = run_plugin(plugin, _write(tmp_path, "inner.eml", derived[0].data))
    assert again.events[0].who == "Boss <boss@example.com>"
    assert again.events[0].claims[0].utc == "2005-06-06T20:21:22Z"


def test_rfc2231_and_8bit_names(tmp_path):
    body = ("Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\n"
            "Content-Type: text/plain\n\nzie bijlage\n--x\n"
            "Content-Type: application/octet-stream\n"
            "Content-Disposition: attachment; filename*=UTF-8''%C3%A9t%C3%A9%20foto.jpg\n\nabc\n"
            "--x\nContent-Type: text/plain; name=\"ci\u00efle.txt\"\n"
            "Content-Disposition: attachment\n\nraw\n--x--\n").encode("utf-8")
    data = _message("From: J\u00f6hn <john@example.org>\nSubject: S\u00e4ying hello\n"
                    "Date: Sun, 11 Apr 2021 15:47:53 +0200\nMIME-Version: 1.0\n", body)
    result = run_plugin(plugin, _write(tmp_path, "names.eml", data))
    assert [d.name for d in result.derived] == ["été foto.jpg", "ci\u00efle.txt"]
    assert result.events[0].who == "J\u00f6hn <john@example.org>"
    assert result.events[0].facts["subject"] == "S\u00e4ying hello"


def test_display_name_with_another_address_and_punycode(tmp_path):
    data = _message("From: \"security@mybank.example\" <collect@example.net>\n"
                    "To: victim@xn--exmple-4nf.org\nDate: Sun, 11 Apr 2021 15:47:53 +0200\n")
    event = run_plugin(plugin, _write(tmp_path, "phish.eml", data)).events[0]
    assert "look-alike-address" in event.flags
    reasons = {a["field"]: a["lookalike"] for a in event.facts["addresses"]}
    assert any("different address" in r for r in reasons["From"])
    assert any("punycode" in r for r in reasons["To"])


def test_huge_header_does_not_break_anything(tmp_path):
    data = _message("From: a@example.org\nSubject: " + "x" * 2_000_000
                    + "\nDate: Sun, 11 Apr 2021 15:47:53 +0200\n")
    result = run_plugin(plugin, _write(tmp_path, "huge.eml", data))
    assert result.events[0].claims[0].utc == "2021-04-11T13:47:53Z"
    assert len(result.events[0].facts["subject"]) <= _mail.MAX_HEADER


def test_not_mail_is_not_mine(tmp_path):
    text = run_plugin(plugin, _write(tmp_path, "notes.txt", b"just some notes\n"))
    assert text.extraction is None
    diary = run_plugin(plugin, _write(tmp_path, "diary.txt",
                                      b"From my diary, day one\nIt rained.\nNothing else.\n"))
    assert diary.extraction is None
    ole = run_plugin(plugin, _write(tmp_path, "x.msg",
                                    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600))
    assert ole.extraction is None
    assert [r.status for r in ole.runs] == ["not-mine"]


@pytest.mark.parametrize(("display", "address", "lookalike"), [
    ("", "anna@example.org", False),
    ("", "anna@p\u0430ypal.com", True),  # Cyrillic а among Latin letters
    ("", "anna@\u0440\u0430\u0443\u0440\u0430l.com", True),  # mixed, mostly Cyrillic
    ("anna@example.org", "anna@example.org", False),
    ("anna@example.org", "other@example.net", True),
    ("", "anna@exa\u200bmple.org", True),  # zero-width space
])
def test_lookalike_rules(display, address, lookalike):
    assert bool(_mail.lookalike_reasons(display, address)) is lookalike


def test_nesting_too_deep_for_the_parser_still_gives_the_headers(tmp_path):
    depth = 3000
    body = "".join(f"Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
                   for i in range(depth)) + "Content-Type: text/plain\n\ndeep\n"
    data = _message("From: a@example.org\nDate: Sun, 11 Apr 2021 15:47:53 +0200\n"
                    "MIME-Version: 1.0\n", body.encode())
    result = run_plugin(plugin, _write(tmp_path, "bomb.eml", data))
    assert [r.status for r in result.runs] == ["ok"]
    assert "nested-too-deep" in result.events[0].flags
    assert result.events[0].claims[0].utc == "2021-04-11T13:47:53Z"


def test_a_charset_name_with_a_nul_byte_falls_back_instead_of_failing():
    """Found by the full fuzzing: a NUL inside an encoded word's charset name made
    str.decode raise ValueError (not LookupError), and the whole mail was lost to the
    plugin. The word is decoded by the fallbacks instead."""
    assert _mail.decode_bytes(b"Dreigbrief", "utf\x00-8") == "Dreigbrief"
    assert _mail.header_text("Subject", "=?iso-8859-1\x00?Q?Je_weet_waar?=") == "Je weet waar"

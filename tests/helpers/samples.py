"""The sample records of the chronology tests: a small case of every kind, with exhibits.

Used by tests/chronology/test_build.py and test_pdf_report.py (and by a child
process in test_build's determinism test).
"""

from __future__ import annotations

import hashlib

from intake.chronology.build import build_chronology
from intake.serialize import to_plain
from intake.timeclaims import resolve
from intake.types import TimeClaim

CASE = {"name": "Zaak Janssens", "timezone": "Europe/Brussels", "language": "nl"}

# Exhibit contents: the sha256 of each is its identity.
CONTENT = {name: f"exhibit bytes of {name}\n".encode() for name in
           ("email", "email_attached", "photo", "sms_a", "sms_b", "shot", "shot_copy",
            "logbook", "zip", "forward", "scan_pdf", "letter", "unknown")}
SHA = {name: hashlib.sha256(data).hexdigest() for name, data in CONTENT.items()}


def claim(local, source, meaning, offset=None, **kw) -> dict:
    """A claim resolved exactly as the core does it."""
    return to_plain(resolve(TimeClaim(local=local, source=source, meaning=meaning,
                                      offset=offset, **kw), "Europe/Brussels"))


def event(kind, summary, claims=(), key="", who="", facts=None, **kw) -> dict:
    return {"kind": kind, "summary": summary, "key": key, "who": who, "to": kw.pop("to", []),
            "category": kw.pop("category", ""), "witnesses": kw.pop("witnesses", []),
            "flags": kw.pop("flags", []), "facts": facts or {}, "claims": list(claims)}


def record(name, events=None, plugin="plug", kind="", mime="application/octet-stream",
           parents=(), names=None, facts=None, overrides=None) -> dict:
    data = CONTENT[name]
    return {
        "sha256": SHA[name], "sha512": hashlib.sha512(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(), "size": len(data), "mime": mime,
        "names": names or [f"{name}.bin"],
        "receipts": [{"id": "r-" + name, "received_at": "2026-11-28T10:00:00.123Z",
                      "source": f"inbox/{name}", "name": f"{name}.bin", "fs_times": {}}],
        "parents": [{"sha256": SHA[p], "relation": rel, "name": f"{name}.bin",
                     "event_key": ekey} for p, rel, ekey in parents],
        "extraction": None if events is None else {
            "plugin": plugin, "version": "0.1.0", "kind": kind or plugin, "facts": facts or {},
            "warnings": [], "runs": [], "events": events},
        "warnings": [] if events is not None else ["no plugin could read this file"],
        "overrides": overrides or {},
    }


def sample_records() -> list[dict]:
    sms = event("sms", "SMS from +32 470 12 34 56", key="sms-1", who="+32470123456",
                facts={"number": "+32470123456", "direction": "incoming", "body": "Ik zie je"},
                claims=[claim("2024-07-01T21:30:00", "sms date (epoch ms)", "received",
                              offset="Z", zone="utc")])
    call = event("call", "Missed call", key="call-1", who="+32470123456",
                 facts={"number": "+32470123456", "direction": "missed", "duration_seconds": 0},
                 claims=[claim("2024-07-02T07:00:00", "call date (epoch ms)", "called",
                               offset="Z", zone="utc")])
    sms_b = {**sms, "key": "17", "facts": {**sms["facts"], "number": "+32 470 12 34 56"}}
    return [
        # The same e-mail: as a saved .eml and as an attachment of a forward.
        record("email", plugin="email", mime="message/rfc822", events=[event(
            "email", "Subject: Ik weet waar je woont", key="<abc@example.org>",
            who="X <x@example.org>",
            facts={"message_id": "<abc@example.org>", "subject": "Ik weet waar je woont"},
            claims=[claim("2024-06-30T09:00:00", "Date header", "sent", offset="+02:00")])]),
        record("email_attached", plugin="email", mime="message/rfc822",
               parents=[("forward", "attachment", "<fwd@example.org>")], events=[event(
                   "email", "Subject: Ik weet waar je woont", key="abc@example.org",
                   who="X <x@example.org>",
                   facts={"message_id": "abc@example.org", "received": ["hop"]},
                   claims=[claim("2024-06-30T09:00:00", "Date header", "sent",
                                 offset="+02:00")])]),
        record("forward", plugin="email", mime="message/rfc822", events=[event(
            "email", "Fwd: Ik weet waar je woont", key="<fwd@example.org>",
            who="Victim <v@example.org>", facts={"message_id": "<fwd@example.org>"},
            claims=[claim("2024-07-05T10:00:00", "Date header", "sent", offset="+02:00")])]),
        record("scan_pdf", mime="application/pdf",
               parents=[("forward", "attachment", "<fwd@example.org>")]),
        # A photo whose claims disagree: EXIF, file name, file time.
        record("photo", plugin="photos", mime="image/jpeg", facts={"make": "Apple"}, events=[
            event("photo", "Photo taken (Apple iPhone)", key="photo",
                  facts={"gps": {"lat": 50.8503, "lon": 4.3517}},
                  claims=[claim("2024-07-01T23:30:00", "EXIF DateTimeOriginal", "taken",
                                offset="+02:00", granularity="second"),
                          claim("2024-07-01T20:10:00", "file name pattern", "taken",
                                confidence="medium"),
                          claim("2024-07-03T08:00:00", "file mtime", "filed", offset="Z",
                                zone="utc", confidence="low")])]),
        # Two phone backups holding the same SMS and the same call, one extra SMS.
        record("sms_a", plugin="sms", mime="application/xml", events=[
            sms, call,
            event("sms", "SMS to +32 470 12 34 56", key="sms-2", who="me",
                  facts={"number": "+32470123456", "direction": "outgoing", "body": "Stop"},
                  claims=[claim("2024-07-02T06:00:00", "sms date (epoch ms)", "sent",
                                offset="Z", zone="utc")])]),
        record("sms_b", plugin="sms", mime="application/xml",
               events=[sms_b, {**call, "key": "c9"}]),
        # A screenshot and its re-saved copy (inside a zip): near perceptual hashes.
        record("shot", plugin="screens", mime="image/png", events=[event(
            "screenshot", "Screenshot", key="shot", facts={"phash": "c3d4e5f607182930"},
            claims=[claim("2024-07-02T10:15:00", "file name pattern", "taken",
                          granularity="second")])]),
        record("shot_copy", plugin="screens", mime="image/png",
               parents=[("zip", "zip-member", "")], facts={"phash": "c3d4e5f607182937"},
               events=[event("screenshot", "Screenshot", key="shot", claims=[
                   claim("2024-07-04T12:00:00", "file mtime", "filed", offset="Z",
                         zone="utc", confidence="low")])]),
        record("zip", plugin="zip", mime="application/zip", events=[]),
        # A logbook entry with a witness and an adviser's category.
        record("logbook", plugin="logbook", mime="text/plain",
               overrides={"log-1": {"category": "following-or-waiting"}}, events=[event(
                   "logbook", "Stond aan de schoolpoort te wachten", key="log-1", who="victim",
                   category="physical-approach-or-violence",
                   facts={"place": "Schoolstraat", "witnesses": [
                       {"name": "Marie Peeters", "contact": "0470 99 88 77"}]},
                   claims=[claim("2024-07-03T18:00", "logbook: when", "happened",
                                 granularity="minute"),
                           claim("2024-07-03T21:00", "logbook: written", "recorded",
                                 granularity="minute")])]),
        # A letter dated in the hour repeated when clocks went back.
        record("letter", plugin="pdf", mime="application/pdf", events=[event(
            "letter", "Letter (PDF)", key="doc",
            claims=[claim("2024-10-27T02:30:00", "PDF CreationDate", "written")])]),
        # A file nobody could date.
        record("unknown", plugin="fallback", events=[event("file", "A file", key="file")]),
    ]


def build(records=None, **kw) -> dict:
    return build_chronology(sample_records() if records is None else records, case=CASE,
                            tool_version="0.1.0", **kw)

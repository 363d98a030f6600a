"""Android "SMS Backup & Restore" XML: text messages, MMS and call logs.

Recognises the file by its root element, ``<smses>`` or ``<calls>``, whatever
its name (old backups were saved as ``.txt``). Every ``<sms>``, ``<mms>`` and
``<call>`` becomes one event with the number, the direction, the duration and
the type; withheld numbers stay withheld. The file is read as a stream, so
big backups do not fill the memory.

Times: the ``date`` attribute is epoch milliseconds, i.e. UTC by definition
(claims with offset ``Z``, zone ``utc``). A date that is clearly in seconds
(10 digits) is read as seconds and flagged. ``date_sent`` (the sender's
clock, as the network reported it) is kept as a further claim.
``readable_date`` is the phone's printing of ``date`` in its own zone, not a
second witness: it is kept with the offset that links it to ``date`` (so the
second 02:30 of the autumn DST night is +01:00, never a disagreement).

defusedxml reads the prolog first: a DOCTYPE anywhere in it (entities,
external references) makes the file refused with a reason, never expanded.
A DOCTYPE can stand nowhere else, so the records of a file whose prolog it
read cleanly are read by the C parser (issue 19: defusedxml's parser is the
pure-Python one); a file whose prolog it could not read is read by
defusedxml's, as before.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from intake import (
    N_,
    DerivedItem,
    Event,
    Extraction,
    ItemView,
    TimeClaim,
    epoch_ms_to_iso,
    hookimpl,
)

from ._construct import new_claim, new_event

__version__ = "0.1.0"

SMS_TYPES = {1: "incoming", 2: "outgoing", 3: "draft", 4: "outbox", 5: "failed", 6: "queued"}
MMS_BOXES = {1: "incoming", 2: "outgoing", 3: "draft", 4: "outbox"}
CALL_TYPES = {1: "incoming", 2: "outgoing", 3: "missed", 4: "voicemail", 5: "rejected",
              6: "blocked", 7: "answered-externally"}
#: Directions in which the other side reached this phone.
INBOUND = {"incoming", "missed", "voicemail", "rejected", "blocked", "answered-externally"}
WITHHELD = {"", "-1", "-2", "-3", "unknown", "private", "anonymous", "withheld",
            "null", "restricted"}
#: Call ``presentation``: 2 restricted, 3 unknown, 4 payphone.
WITHHELD_PRESENTATION = {"2", "3"}
RECORDS = ("sms", "mms", "call")

_SALVAGE = re.compile(r"<(sms|call|mms)\s((?:\s*[\w:.-]+\s*=\s*\"[^\"]*\")*)")
_ATTR = re.compile(r"([\w:.-]+)\s*=\s*\"([^\"]*)\"")
_READABLE = ("%b %d, %Y %I:%M:%S %p", "%b %d, %Y %H:%M:%S", "%Y/%m/%d %H:%M:%S",
             "%d %b %Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S",
             "%Y-%m-%d %H:%M:%S", "%b %d, %Y %I:%M %p")


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _text(value: str | None) -> str:
    return "" if value is None or value == "null" else value


def epoch_claim(raw: str | None, source: str, meaning: str) -> tuple[TimeClaim | None, str]:
    """A UTC claim from an epoch attribute, and a problem in plain words if any."""
    value = _int(raw)
    if value is None:
        return None, f"its {source.split(' ')[0]} {raw!r} is not a date" if raw else ""
    if value <= 0:
        return None, ""
    flags: tuple[str, ...] = ()
    note, confidence, granularity = "", "high", "subsecond"
    if value < 10**11:  # 10 digits or fewer: seconds since 1970, not milliseconds
        value *= 1000
        flags, confidence, granularity = ("date-in-seconds",), "medium", "second"
        note = "the backup wrote this date in seconds instead of milliseconds"
    elif value >= 10**14:  # microseconds
        value //= 1000
        flags, confidence = ("date-in-microseconds",), "medium"
        note = "the backup wrote this date in microseconds instead of milliseconds"
    try:
        local = epoch_ms_to_iso(value)
    except (OverflowError, ValueError):
        return None, f"its {source.split(' ')[0]} {raw!r} is out of range"
    if value % 1000 == 0 and granularity == "subsecond":
        granularity = "second"
    return new_claim(local=local, offset="Z", zone="utc", source=source, meaning=meaning,
                     granularity=granularity, confidence=confidence, note=note,
                     flags=flags), ""


def _readable_local(raw: str | None) -> tuple[datetime, str, str] | None:
    """(wall time, granularity, text) of the phone's printed date, or None."""
    text = _text(raw).replace("\u202f", " ").replace("\u00a0", " ").strip()
    if not text:
        return None
    for fmt in _READABLE:
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment, "second" if "%S" in fmt else "minute", text
    return None


def readable_claim(raw: str | None, meaning: str, epoch: TimeClaim | None = None,
                   zone: str = "Europe/Brussels") -> TimeClaim | None:
    """The phone's own rendering of the `date` attribute, read in the phone's zone.

    `readable_date` is not a second witness: the app prints the exact epoch
    time in the zone the phone had. So its offset is the difference to the
    epoch claim when that is a real UTC offset (whole quarter hours, at most
    14 h): the second 02:30 of the night clocks go back is then +01:00, never
    "ambiguous" nor an hour off. A difference that is no offset at all is left
    for the core to read in the case's zone, where it shows as a disagreement.
    """
    found = _readable_local(raw)
    if found is None:
        return None
    moment, granularity, text = found
    note = f"the phone's own rendering {text!r} of the date attribute"
    offset = None
    flags: tuple[str, ...] = ()
    if epoch is not None:
        instant = datetime.fromisoformat(epoch.local)
        instant = instant.replace(microsecond=0)
        if granularity == "minute":
            instant = instant.replace(second=0)
        delta = moment - instant
        minutes = delta.total_seconds() / 60
        if minutes.is_integer() and minutes % 15 == 0 and abs(minutes) <= 14 * 60:
            sign = "-" if minutes < 0 else "+"
            offset = f"{sign}{int(abs(minutes)) // 60:02d}:{int(abs(minutes)) % 60:02d}"
            case_offset = (instant.replace(tzinfo=ZoneInfo("UTC"))
                           .astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0))
            if delta == case_offset:
                note += f", in the case's zone {zone} ({offset})"
            else:
                note += f": the phone was at UTC{offset}, not in the case's zone {zone}"
                flags = ("phone-zone-differs",)
        else:
            note += ("; it does not match the date attribute by a whole time zone offset, "
                     "so it was read in the case's zone")
    return new_claim(local=moment.isoformat(), offset=offset, source="readable_date",
                     meaning=meaning, granularity=granularity, confidence="low",
                     zone="assumed", note=note, flags=flags)


def number_facts(raw: str | None, presentation: str | None = None) -> dict:
    raw = raw if raw is not None else ""
    withheld = raw.strip().lower() in WITHHELD or (presentation or "") in WITHHELD_PRESENTATION
    facts = {"number": "withheld" if withheld else raw.strip(), "withheld": withheld}
    if withheld:
        facts["raw_number"] = raw
    return facts


def _contact(attrs: dict) -> str:
    name = _text(attrs.get("contact_name")).strip()
    return "" if name in ("(Unknown)", "Unknown") else name


def _shown(facts: dict) -> str:
    if facts["contact"] and not facts["withheld"]:
        return f"{facts['contact']} ({facts['number']})"
    return "a withheld number" if facts["withheld"] else facts["number"] or "an unknown number"


#: Message ids for readers, per kind and direction: (a known party, a withheld
#: number, an unknown number). Parameters: {who} (contact and number as
#: shown), {to}, {direction} (as recorded).
_MESSAGES = {
    ("call", "incoming"): (N_("Incoming call from {who}"),
                           N_("Incoming call from a withheld number"),
                           N_("Incoming call from an unknown number")),
    ("call", "missed"): (N_("Missed call from {who}"), N_("Missed call from a withheld number"),
                         N_("Missed call from an unknown number")),
    ("call", "rejected"): (N_("Rejected call from {who}"),
                           N_("Rejected call from a withheld number"),
                           N_("Rejected call from an unknown number")),
    ("call", "blocked"): (N_("Blocked call from {who}"),
                          N_("Blocked call from a withheld number"),
                          N_("Blocked call from an unknown number")),
    ("call", "voicemail"): (N_("Voicemail from {who}"), N_("Voicemail from a withheld number"),
                            N_("Voicemail from an unknown number")),
    ("call", "answered-externally"): (
        N_("Call from {who} answered on another device"),
        N_("Call from a withheld number answered on another device"),
        N_("Call from an unknown number answered on another device")),
    ("call", "outgoing"): (N_("Outgoing call to {to}"), N_("Outgoing call to a withheld number"),
                           N_("Outgoing call to an unknown number")),
    ("call", ""): (N_("Call ({direction}) with {who}{to}"),
                   N_("Call ({direction}) with a withheld number"),
                   N_("Call ({direction}) with an unknown number")),
    ("sms", "incoming"): (N_("SMS from {who}"), N_("SMS from a withheld number"),
                          N_("SMS from an unknown number")),
    ("sms", ""): (N_("SMS ({direction}) to {to}"), N_("SMS ({direction}) to a withheld number"),
                  N_("SMS ({direction}) to an unknown number")),
    ("sms", "outgoing"): (N_("SMS sent to {to}"), N_("SMS sent to a withheld number"),
                      N_("SMS sent to an unknown number")),
    ("mms", "incoming"): (N_("MMS from {who}"), N_("MMS from a withheld number"),
                          N_("MMS from an unknown number")),
    ("mms", ""): (N_("MMS ({direction}) to {to}"), N_("MMS ({direction}) to a withheld number"),
                  N_("MMS ({direction}) to an unknown number")),
    ("mms", "outgoing"): (N_("MMS sent to {to}"), N_("MMS sent to a withheld number"),
                      N_("MMS sent to an unknown number")),
}


def message_id(kind: str, direction: str, facts: dict) -> str:
    """The message id a reader sees for a call, SMS or MMS."""
    pick = _MESSAGES.get((kind, direction)) or _MESSAGES[(kind, "")]
    if facts.get("withheld"):
        return pick[1]
    return pick[0] if facts.get("number") or facts.get("contact") else pick[2]


class Reader:
    """Turns record elements into events, derived items and warnings."""

    def __init__(self, zone: str = "Europe/Brussels") -> None:
        self.zone = zone
        self.events: list[Event] = []
        self.derived: list[DerivedItem] = []
        self.warnings: list[str] = []
        self.counts = {"sms": 0, "mms": 0, "call": 0}
        self.seconds = 0
        self.bad_dates = 0
        self.declared: int | None = None

    def _claims(self, attrs: dict, meaning: str) -> list[TimeClaim]:
        claims = []
        claim, problem = epoch_claim(attrs.get("date"), "SMS Backup date (epoch ms)", meaning)
        if claim:
            claims.append(claim)
            if "date-in-seconds" in claim.flags:
                self.seconds += 1
        elif problem or attrs.get("date") is None:
            self.bad_dates += 1
        if meaning == "received":
            sent, _ = epoch_claim(attrs.get("date_sent"), "date_sent (epoch ms)", "sent")
            if sent:
                claims.append(sent)
        readable = readable_claim(attrs.get("readable_date"), meaning, claim, self.zone)
        if readable:
            claims.append(readable)
        return claims

    def add(self, tag: str, attrs: dict, parts: list[dict], addrs: list[dict],
            flags: tuple[str, ...] = ()) -> None:
        self.counts[tag] += 1
        n = sum(self.counts.values())
        key = f"{tag}-{n}"
        if tag == "call":
            self._call(key, attrs, flags)
        elif tag == "sms":
            self._sms(key, attrs, flags)
        else:
            self._mms(key, attrs, parts, addrs, flags)

    def _call(self, key: str, attrs: dict, flags: tuple[str, ...]) -> None:
        code = _int(attrs.get("type"))
        direction = CALL_TYPES.get(code, f"type {attrs.get('type')}")
        facts = number_facts(attrs.get("number"), attrs.get("presentation"))
        facts.update({"contact": _contact(attrs), "direction": direction, "type": code,
                      "duration_seconds": _int(attrs.get("duration")) or 0})
        for name in ("rings", "ring_count"):
            if _int(attrs.get(name)) is not None:
                facts["rings"] = _int(attrs.get(name))
        shown = _shown(facts)
        inbound = direction in INBOUND
        what = {"incoming": "Incoming call from", "outgoing": "Outgoing call to",
                "missed": "Missed call from", "voicemail": "Voicemail from",
                "rejected": "Rejected call from", "blocked": "Blocked call from",
                "answered-externally": "Call answered on another device from"}.get(
                    direction, f"Call ({direction}) with")
        summary = f"{what} {shown}"
        if facts["duration_seconds"]:
            summary += f", {facts['duration_seconds']} s"
        self.events.append(new_event(
            kind="call", summary=summary, claims=tuple(self._claims(attrs, "called")), key=key,
            who=shown if inbound else "", to=() if inbound else (shown,),
            category="unwanted-communication" if inbound and facts["withheld"] else "",
            flags=flags, facts=facts, message=message_id("call", direction, facts)))

    def _sms(self, key: str, attrs: dict, flags: tuple[str, ...]) -> None:
        code = _int(attrs.get("type"))
        direction = SMS_TYPES.get(code, f"type {attrs.get('type')}")
        facts = number_facts(attrs.get("address"))
        facts.update({"contact": _contact(attrs), "direction": direction, "type": code,
                      "body": _text(attrs.get("body")), "subject": _text(attrs.get("subject"))})
        inbound = direction == "incoming"
        shown = _shown(facts)
        body = facts["body"].replace("\n", " ")
        summary = (f"SMS from {shown}" if inbound else f"SMS ({direction}) to {shown}") + (
            f": {body[:77] + '...' if len(body) > 80 else body}" if body else "")
        meaning = "received" if inbound else "sent"
        self.events.append(new_event(
            kind="sms", summary=summary, claims=tuple(self._claims(attrs, meaning)), key=key,
            who=shown if inbound else "", to=() if inbound else (shown,),
            category="unwanted-communication" if inbound and facts["withheld"] else "",
            flags=flags, facts=facts, message=message_id("sms", direction, facts)))

    def _mms(self, key: str, attrs: dict, parts: list[dict], addrs: list[dict],
             flags: tuple[str, ...]) -> None:
        code = _int(attrs.get("msg_box"))
        direction = MMS_BOXES.get(code, f"box {attrs.get('msg_box')}")
        inbound = direction == "incoming"
        # `address` is the other party (several joined by "~"), the one
        # contact_name names; the <addr> list says who sent (137) and who
        # received (151 to, 130 cc, 129 bcc).
        address = attrs.get("address")
        senders = [a.get("address", "") for a in addrs if a.get("type") == "137"]
        recipients = [a.get("address", "") for a in addrs if a.get("type") in ("151", "130",
                                                                                  "129")]
        if _text(address) == "" and inbound and senders:
            address = senders[0]
        facts = number_facts(address)
        body_parts = []
        attachments = []
        for i, part in enumerate(parts):
            ct = _text(part.get("ct")).lower()
            name = (_text(part.get("cl")) or _text(part.get("name")) or _text(part.get("fn"))
                    or f"part-{i}")
            if ct.startswith("text/plain") and _text(part.get("text")):
                body_parts.append(_text(part.get("text")))
                continue
            if ct == "application/smil":
                continue
            data = part.get("data")
            if data is None:
                continue
            try:
                decoded = base64.b64decode("".join(data.split()), validate=True)
            except (binascii.Error, ValueError):
                self.warnings.append(f"the attachment {name!r} of MMS {key} is damaged (its "
                                     "data is not valid base64) and could not be kept as a "
                                     "separate file")
                continue
            attachments.append(name)
            self.derived.append(DerivedItem(data=decoded, name=name, relation="mms-part",
                                            event_key=key, mime=ct))
        facts.update({"contact": _contact(attrs), "direction": direction, "type": code,
                      "body": "\n".join(body_parts), "subject": _text(attrs.get("sub")),
                      "attachments": attachments, "sender": senders[0] if senders else "",
                      "recipients": [r for r in recipients if r]})
        shown = _shown(facts)
        summary = (f"MMS from {shown}" if inbound else f"MMS ({direction}) to {shown}")
        if facts["body"]:
            body = facts["body"].replace("\n", " ")
            summary += f": {body[:77] + '...' if len(body) > 80 else body}"
        if attachments:
            summary += f" ({len(attachments)} attachment(s))"
        meaning = "received" if inbound else "sent"
        self.events.append(new_event(
            kind="mms", summary=summary, claims=tuple(self._claims(attrs, meaning)), key=key,
            who=shown if inbound else "", to=() if inbound else (shown,),
            category="unwanted-communication" if inbound and facts["withheld"] else "",
            flags=flags, facts=facts, message=message_id("mms", direction, facts)))


def _root_of(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not text.startswith(b"<"):
        return ""
    # skip the prolog: declaration, processing instructions, comments
    m = re.search(rb"<([A-Za-z_][\w.-]*)", re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", text,
                                                    flags=re.S))
    return m.group(1).decode("ascii", "replace") if m else ""


REFUSED_DTD = ("the backup file declares a DOCTYPE or ENTITY, which SMS Backup & Restore "
               "never writes; it was not read, to be safe")


def read_backup(path, warnings: list[str], case=None) -> Reader:
    """Read every record at once (`reader.events`); raises DefusedXmlException on a
    DOCTYPE or entity. The pipeline streams instead (`stream_backup`)."""
    reader = Reader(getattr(case, "timezone", "") or "Europe/Brussels")
    for _ in _records(path, reader, warnings):
        pass
    return reader


def refuses_dtd(path) -> bool:
    """Does the file declare a DOCTYPE or entity? Asked before any record is read:
    it stands in the prolog, so reading up to the root element answers it."""
    return _prolog(path) == "dtd"


def _prolog(path) -> str:
    """What defusedxml saw up to the root element: "dtd" (a DOCTYPE or entity),
    "clean" (the root element reached, nothing declared) or "damaged"."""
    try:
        with open(path, "rb") as source:
            next(iter(SafeET.iterparse(source, events=("start",), forbid_dtd=True,
                                       forbid_entities=True, forbid_external=True)))
    except DefusedXmlException:
        return "dtd"
    except (ET.ParseError, StopIteration, LookupError):  # damaged: the reading says so
        return "damaged"
    return "clean"


def stream_backup(path, reader: Reader, warnings: list[str]) -> Iterator[Event]:
    """The events as the records are read (issue 19: a backup of 100,000 messages is
    never held whole); `warnings` holds the file's warnings once the last is given."""
    for _ in _records(path, reader, warnings):
        yield from reader.events
        reader.events.clear()


def _records(path, reader: Reader, warnings: list[str]) -> Iterator[None]:
    """Read the records one by one into `reader` (one step per record), then the
    warnings about the whole file."""
    prolog = _prolog(path)
    if prolog == "dtd":  # before any record: the C parser would expand what a DTD says
        raise DefusedXmlException(REFUSED_DTD)
    try:
        with open(path, "rb") as source:
            yield from _parse(source, reader, fast=prolog == "clean")
    except ET.ParseError:
        read = sum(reader.counts.values())
        warnings.append(f"the backup file is cut off or damaged after record {read}; the "
                        f"records before that point were read")
        yield from _salvage(path, read, reader, warnings)
    except LookupError as exc:  # <?xml encoding="UTTF-8"?>: the XML reader stops at once
        warnings.append(f"the backup file names a character encoding that does not exist "
                        f"({exc}); its records were read as UTF-8 where possible")
        yield from _salvage(path, 0, reader, warnings)
    found = sum(reader.counts.values())
    if reader.declared is not None and reader.declared != found:
        warnings.append(f"the backup says it holds {reader.declared} records, but {found} "
                        "were found")
    if reader.seconds:
        warnings.append(f"{reader.seconds} record(s) have their date in seconds instead of "
                        "milliseconds (flag date-in-seconds); they were read as seconds")
    if reader.bad_dates:
        warnings.append(f"{reader.bad_dates} record(s) have no readable date")


def _parse(source, reader: Reader, fast: bool = False) -> Iterator[None]:
    """Read the records. `fast`: defusedxml read the prolog up to the root element
    and met no DOCTYPE (`_prolog`); a DOCTYPE can stand nowhere else, so no entity
    is declared and the C parser reads the records (issue 19: defusedxml's parser
    is Python's pure-Python one, about a third of the plugin's time). A file
    whose prolog could not be read is read by defusedxml's, as before."""
    depth = 0
    root = None
    if fast:
        parsed = ET.iterparse(source, events=("start", "end"))
    else:
        parsed = SafeET.iterparse(source, events=("start", "end"), forbid_dtd=True,
                                  forbid_entities=True, forbid_external=True)
    for event, elem in parsed:
        if event == "start":
            depth += 1
            if depth == 1:
                root = elem
                reader.declared = _int(elem.get("count"))
            continue
        depth -= 1
        if depth == 1:
            if elem.tag == "mms":
                parts = [dict(p.attrib) for p in elem.iter("part")]
                addrs = [dict(a.attrib) for a in elem.iter("addr")]
                reader.add(elem.tag, dict(elem.attrib), parts, addrs)
                yield
            elif elem.tag in RECORDS:  # only an MMS has parts and addresses
                reader.add(elem.tag, dict(elem.attrib), [], [])
                yield
            elem.clear()
            if root is not None:
                root.remove(elem)


def _salvage(path, already: int, reader: Reader, warnings: list[str]) -> Iterator[None]:
    """Records after the damage, read attribute by attribute.

    The first `already` record starts in the file are the records the XML
    reader could read; the ones after them are recovered.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return
    recovered = 0
    for n, m in enumerate(_SALVAGE.finditer(text)):
        if n < already:
            continue
        attrs = {k: _unescape(v) for k, v in _ATTR.findall(m.group(2))}
        if not attrs:
            continue
        reader.add(m.group(1), attrs, [], [], flags=("recovered-from-damaged-file",))
        recovered += 1
        yield
    if recovered:
        warnings.append(f"{recovered} record(s) were recovered from the damaged part; check "
                        "them by hand (flag recovered-from-damaged-file)")


def _unescape(value: str) -> str:
    try:
        return SafeET.fromstring(f'<x a="{value}"/>', forbid_dtd=True).get("a", value)
    except (ET.ParseError, DefusedXmlException):
        return value


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if item.mime not in ("application/xml", "text/xml", "text/plain"):
        return None
    root = _root_of(item.head)
    if root not in ("smses", "calls"):
        return None
    kind = "sms-backup" if root == "smses" else "call-log"
    if refuses_dtd(item.path):
        return Extraction(warnings=(REFUSED_DTD,), kind=kind, facts={"root": root})
    reader = Reader(getattr(case, "timezone", "") or "Europe/Brussels")
    # streamed (issue 19): the events are read as the host takes them; the facts,
    # warnings and derived items are filled in by the time the last event is taken
    facts: dict = {"root": root}
    warnings: list[str] = []
    return Extraction(events=_events(item.path, reader, warnings, facts),
                      derived=reader.derived, warnings=warnings, facts=facts, kind=kind)


def _events(path, reader: Reader, warnings: list[str], facts: dict) -> Iterator[Event]:
    own: list[str] = []
    found = False
    for event in stream_backup(path, reader, own):
        found = True
        yield event
    facts.update({"sms": reader.counts["sms"], "mms": reader.counts["mms"],
                  "calls": reader.counts["call"]})
    if not found and not own:
        own.append("the backup holds no messages or calls")
    warnings.extend(own + reader.warnings)

"""WhatsApp chat exports: the ``.txt`` file and the ``.zip`` with media.

Reads Android exports (``18/03/2022, 14:56 - Name: text``) and iOS exports
(``[18/03/2022, 14:56:01] Name: text``) in the date orders and clocks of
Dutch, French, English and many other phones. Each message header becomes a
``message`` event with the sender as written; lines without a header belong
to the message above them. Lines without a sender (group events, the
encryption notice on Android) are events with ``system`` true.

The date order (day-first or month-first) is decided once per file from all
headers; when the headers cannot tell, the file's language and message order
decide and the extraction carries the warning ``ambiguous-date-order``.

Times are the phone's wall clock, without a zone: claims carry no offset and
the core reads them in the case's zone.

In a zip, every member other than the chat text becomes a derived item,
linked to the message that names it. Zip members are read in memory only,
never written to disk, and members that look like a zip bomb are skipped.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath

from intake import N_, DerivedItem, Event, Extraction, ItemView, TimeClaim, hookimpl

__version__ = "0.1.0"

SOURCE = "WhatsApp message header"

# --- text normalisation ---------------------------------------------------

#: Invisible characters WhatsApp puts around dates, names and media lines.
_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u061c\u200b"
_NORMALISE = {ord(c): None for c in _INVISIBLE}
_NORMALISE.update({ord(c): " " for c in "\u00a0\u202f\u2007\u2009"})
_NORMALISE.update({0x0660 + i: str(i) for i in range(10)})  # Arabic-Indic digits
_NORMALISE.update({0x06F0 + i: str(i) for i in range(10)})  # Eastern Arabic-Indic digits
_NORMALISE[ord("\u060c")] = ","  # Arabic comma


def _norm(text: str) -> str:
    return text.translate(_NORMALISE)


def _strip_invisible(text: str) -> str:
    return text.translate({ord(c): None for c in _INVISIBLE})


def _map_back(original: str, kept: int) -> int:
    """The index in `original` after `kept` characters survived normalisation."""
    count = 0
    for i, ch in enumerate(original):
        if count == kept:
            return i
        if ch not in _INVISIBLE:
            count += 1
    return len(original)


# --- headers ----------------------------------------------------------------

_AMPM = r"(?P<ampm>[AaPp]\.?\s?[Mm]\.?|\u0635|\u0645|SA|CH|vorm\.|nachm\.)"
_DATE = (r"(?P<d1>\d{1,4})(?P<ds>[/.\-])(?P<d2>\d{1,2})(?P=ds)(?P<d3>\d{1,4})"
         r"(?P<be>\s?BE)?\.?")
_TIME = r"(?P<h>\d{1,2})(?P<ts>[:.])(?P<mi>\d{2})(?:(?P=ts)(?P<s>\d{2}))?(?:\s?" + _AMPM + r")?"
_STAMPS = (
    _DATE + r"(?:,\s?|\s+(?:klo|\u00e0|om|um|at)\s+|\s+)" + _TIME,  # date, then time
    _TIME + r",\s?" + _DATE,  # time, then date (Vietnamese)
)
_HEADERS = tuple(
    re.compile(pattern) for stamp in _STAMPS for pattern in (
        r"^\s*\[\s*(?P<stamp>" + stamp + r")\s*\]\s?",  # iOS: [stamp] rest
        r"^\s*(?P<stamp>" + stamp + r")\s?(?:-|\u2013|:)\s",  # Android: stamp - rest
    )
)


@dataclass
class Header:
    line: int
    stamp: str  # as written (original characters)
    parts: dict
    rest: str  # original text after the header
    bracket: bool = False  # iOS style "[stamp] rest"


@dataclass
class Message:
    header: Header
    lines: list[str] = field(default_factory=list)


def match_header(line: str) -> Header | None:
    """A header at the start of `line`, or None."""
    normal = _norm(line)
    for pattern in _HEADERS:
        m = pattern.match(normal)
        if m:
            start = _map_back(line, m.start("stamp"))
            end = _map_back(line, m.end("stamp"))
            rest = line[_map_back(line, m.end()):]
            return Header(0, line[start:end], m.groupdict(), rest,
                          bracket=pattern.pattern.startswith(r"^\s*\["))
    return None


# --- date order -------------------------------------------------------------

_DAY_FIRST_WORDS = re.compile(
    r"(?i)\b(bericht|berichten|verwijderd|weggelaten|bijgevoegd|versleuteld|gemiste|"
    r"messages et|supprim|omis|chiffr|fichier|appel manqu|nachricht|verschl|"
    r"weggelassen|anhang|sind ende)")


def _day_month_candidates(headers: list[Header]) -> list[tuple[int, int]]:
    return [(int(h.parts["d1"]), int(h.parts["d2"])) for h in headers
            if len(h.parts["d1"]) <= 2]


def _backward_steps(headers: list[Header], day_first: bool) -> int:
    """How often the date goes back in file order under one reading."""
    steps, last = 0, None
    for h in headers:
        p = h.parts
        if len(p["d1"]) > 2:
            continue
        d1, d2, year = int(p["d1"]), int(p["d2"]), int(p["d3"])
        day, month = (d1, d2) if day_first else (d2, d1)
        key = (year, month, day)
        if last is not None and key < last:
            steps += 1
        last = key
    return steps


def decide_order(headers: list[Header], text: str) -> tuple[bool, str]:
    """(day_first, reason); reason is "" when the headers themselves decide."""
    pairs = _day_month_candidates(headers)
    day_first_seen = any(a > 12 for a, _ in pairs)
    month_first_seen = any(b > 12 for _, b in pairs)
    if day_first_seen and not month_first_seen:
        return True, ""
    if month_first_seen and not day_first_seen:
        return False, ""
    if day_first_seen and month_first_seen:
        return True, "conflict"
    if not pairs:
        return True, ""
    back_day, back_month = _backward_steps(headers, True), _backward_steps(headers, False)
    if back_day != back_month:
        return back_day < back_month, "message order"
    separators = {h.parts["ds"] for h in headers}
    if separators & {".", "-"}:
        return True, "dots or dashes in the dates"
    if _DAY_FIRST_WORDS.search(text):
        return True, "Dutch, French or German words in the chat"
    android = any(not h.bracket for h in headers)
    ampm = any(h.parts.get("ampm") and h.parts["ampm"][:1] in "AaPp" for h in headers)
    if ampm and android:
        return False, "an English phone with an AM/PM clock"
    return True, "the case's (Belgian) habit of writing the day first"


def _hour(h: int, ampm: str | None, flags: list[str]) -> int:
    if not ampm:
        return h
    marker = ampm.replace(".", "").replace(" ", "").lower()
    pm = marker in ("pm", "\u0645", "ch", "nachm")
    if h == 0:
        flags.append("impossible-12h-time")
        return 0
    if h > 12:
        flags.append("impossible-12h-time")
        return h
    if pm:
        return h if h == 12 else h + 12
    return 0 if h == 12 else h


def header_time(h: Header, day_first: bool) -> tuple[str, str, list[str]]:
    """(ISO local, granularity, flags) of one header; raises ValueError if impossible."""
    p = h.parts
    flags: list[str] = []
    d1, d2, d3 = p["d1"], p["d2"], p["d3"]
    if len(d1) == 4:
        year, month, day = int(d1), int(d2), int(d3)
    else:
        a, b = int(d1), int(d2)
        day, month = (a, b) if day_first else (b, a)
        if a > 12 and not day_first or b > 12 and day_first:
            day, month = month, day
            flags.append("date-order-differs-in-file")
        year = int(d3)
        if len(d3) <= 2:
            year += 2000
    if p.get("be") or year > 2400:
        year -= 543
        flags.append("buddhist-calendar")
    hour = _hour(int(p["h"]), p.get("ampm"), flags)
    second = int(p["s"]) if p.get("s") else 0
    moment = datetime(year, month, day, hour, int(p["mi"]), second)
    return moment.isoformat(), "second" if p.get("s") else "minute", flags


# --- messages ---------------------------------------------------------------

_SYSTEM_TEXT = re.compile(
    r"(?i)(end-to-end|ende-zu-ende|de bout en bout|security code|sicherheitsnummer|"
    r"code de s[eé]curit|beveiligingscode)")
_ATTACHED = re.compile(
    r"<(?:attached|anhang|bijgevoegd|bijlage|pi[eè]ce jointe|allegato|adjunto|anexo)"
    r"\s?:\s*(?P<file>[^<>]+?)\s*>", re.IGNORECASE)
_FILE_ATTACHED = re.compile(
    r"^(?P<file>\S[^\n]*?\.\w{1,5})\s\((?:file attached|bestand bijgevoegd|fichier joint|"
    r"fichier attach[ée]|datei angeh[äa]ngt|archivo adjunto|arquivo anexado|"
    r"файл добавлен|[^()]{2,40})\)\s*$", re.IGNORECASE)
_WA_NAME = re.compile(r"(?:IMG|VID|AUD|PTT|STK|DOC)-\d{8}-WA\d{3,}")
_OMITTED = re.compile(
    r"(?i)^(?:<[^<>]*(?:omitted|weggelaten|omis|ontbreekt|weggelassen|absente|manquant)[^<>]*>"
    r"|\S+(?:\s\S+)?\s(?:omitted|weggelaten|weggelassen|omis|absente|manquant|retir[ée]))$")


def media_of(text: str) -> tuple[str, bool]:
    """(file name, omitted) named by a message's text."""
    first = _strip_invisible(text.split("\n", 1)[0]).strip()
    m = _ATTACHED.search(first)
    if m:
        return m.group("file"), False
    m = _FILE_ATTACHED.match(first)
    if m and (_WA_NAME.search(m.group("file")) or re.search(
            r"(?i)\((file attached|bestand bijgevoegd|fichier joint|datei angeh|файл добавлен)", first)):
        return m.group("file"), False
    if _OMITTED.match(first):
        return "", True
    return "", False


def split_sender(rest: str) -> tuple[str, str]:
    """("Name", "text") or ("", whole text) for a system line."""
    i = rest.find(":")
    if i > 0:
        who = _strip_invisible(rest[:i]).strip()
        if who and len(who) <= 100 and '"' not in who and "http" not in who \
                and "\u201c" not in who:
            text = rest[i + 1:]
            return who, text[1:] if text.startswith(" ") else text
    return "", rest


_CHAT_NAME = (
    re.compile(r"(?i)^WhatsApp[ -]Chat (?:with|mit|con|com|avec|met) (?P<n>.+?)(?:\.txt|\.zip)?$"),
    re.compile(r"(?i)^WhatsApp[ -]chat (?:-|\u2013) (?P<n>.+?)(?:\.txt|\.zip)?$"),
    re.compile(r"(?i)^Discussion WhatsApp avec (?P<n>.+?)(?:\.txt|\.zip)?$"),
    re.compile(r"(?i)^Chat (?:de )?WhatsApp (?:con|com|mit|avec) (?P<n>.+?)(?:\.txt|\.zip)?$"),
    re.compile(r"(?i)^Чат WhatsApp с (?:контактом )?(?P<n>.+?)(?:\.txt|\.zip)?$"),
)


def chat_name(name: str) -> str:
    base = unicodedata.normalize("NFC", PurePosixPath(name.replace("\\", "/")).name)
    base = base.replace("\u00a0", " ")
    for pattern in _CHAT_NAME:
        m = pattern.match(base)
        if m:
            return m.group("n").strip()
    return ""


def _decode(data: bytes, warnings: list[str]) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append("some characters of the chat could not be read as UTF-8 and were "
                        "replaced by \ufffd")
        return data.decode("utf-8-sig", errors="replace")


def looks_like_chat(lines: list[str]) -> bool:
    """The first written line is a message header, or many early lines are."""
    nonblank = [line for line in lines[:200] if _strip_invisible(line).strip()][:50]
    if not nonblank:
        return False
    if match_header(nonblank[0]):
        return True
    hits = sum(1 for line in nonblank if match_header(line))
    return hits >= 3 and hits * 3 >= len(nonblank)


def parse_chat(text: str, name: str) -> Extraction | None:
    """The events of a chat text, or None if it is not a WhatsApp chat."""
    warnings: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not looks_like_chat(lines):
        return None
    messages: list[Message] = []
    preamble = 0
    for n, line in enumerate(lines, 1):
        header = match_header(line)
        if header:
            header.line = n
            messages.append(Message(header))
        elif messages:
            messages[-1].lines.append(line)
        elif line.strip():
            preamble += 1
    if preamble:
        warnings.append(f"{preamble} line(s) before the first message could not be read "
                        "as messages")
    headers = [m.header for m in messages]
    day_first, reason = decide_order(headers, text)
    order = "day-first" if day_first else "month-first"
    flags: tuple[str, ...] = ()
    confidence = "high"
    if reason == "conflict":
        warnings.append("the chat mixes day-first and month-first dates; each date was read "
                        "the way its numbers allow, day first where both are possible")
        flags = ("ambiguous-date-order",)
        confidence = "medium"
    elif reason:
        warnings.append(f"ambiguous-date-order: the dates of this chat could be read day first "
                        f"or month first; they were read {order.replace('-', ' ')} "
                        f"because of {reason}")
        flags = ("ambiguous-date-order",)
        confidence = "medium"
    chat = chat_name(name)
    events: list[Event] = []
    impossible = 0
    unreadable = 0
    for n, msg in enumerate(messages, 1):
        h = msg.header
        who, first = split_sender(h.rest)
        body = "\n".join([first, *msg.lines]).rstrip("\n")
        media, omitted = media_of(body)
        # No sender: a group event or Android's notice. iOS writes its notices
        # (encryption, security code) under the chat's name, behind a mark.
        system = not who or bool(_SYSTEM_TEXT.search(body) and body[:1] in _INVISIBLE)
        claims: tuple[TimeClaim, ...] = ()
        try:
            local, granularity, claim_flags = header_time(h, day_first)
            if "impossible-12h-time" in claim_flags:
                impossible += 1
            claims = (TimeClaim(
                local=local, source=SOURCE, meaning="sent", offset=None,
                granularity=granularity, confidence=confidence,
                note=f"as written: {_strip_invisible(h.stamp).strip()} (read {order})",
                flags=tuple(dict.fromkeys([*flags, *claim_flags]))),)
        except ValueError:
            unreadable += 1
        facts = {"chat": chat, "text": _strip_invisible(body).strip() if system else body,
                 "media": media, "system": system, "stamp": h.stamp, "line": h.line}
        if omitted:
            facts["media_omitted"] = True
        shown = _strip_invisible(body).strip().replace("\n", " ")
        if len(shown) > 80:
            shown = shown[:77] + "..."
        summary = (f"WhatsApp message from {who}: {shown}" if who and not system
                   else f"WhatsApp: {shown}")
        message = (N_("WhatsApp message from {who}") if who and not system
                   else N_("WhatsApp notice in the chat {chat}"))
        events.append(Event(kind="message", summary=summary, claims=claims, key=f"msg-{n}",
                            who=who, flags=flags, facts=facts, message=message))
    if impossible:
        warnings.append(f"{impossible} message time(s) like '00:08 AM' do not exist on a "
                        "12-hour clock; they were read as 00:08 (flag impossible-12h-time)")
    if unreadable:
        warnings.append(f"{unreadable} message date(s) do not exist in the calendar and have "
                        "no time")
    facts = {"chat": chat, "messages": len(events), "date_order": order,
             "date_order_reason": reason}
    return Extraction(events=tuple(events), warnings=tuple(warnings), facts=facts,
                      kind="whatsapp-chat")


# --- zip --------------------------------------------------------------------

MAX_MEMBER = 512 * 1024 * 1024
MAX_TOTAL = 2 * 1024 * 1024 * 1024
MAX_RATIO = 200


def _member_problem(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x1:
        return "it is encrypted"
    if info.file_size > MAX_MEMBER:
        return f"it says it unpacks to {info.file_size} bytes (more than 512 MB)"
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
        return "it unpacks to more than 200 times its packed size (a possible zip bomb)"
    return ""


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise zipfile.BadZipFile("the member is larger than it says")
    return data


def _is_chat_member(name: str) -> int:
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base.lower().endswith(".txt"):
        return 0
    if base == "_chat.txt":
        return 3
    if base.lower().startswith("whatsapp") or chat_name(base):
        return 2
    return 1


def parse_zip(item: ItemView) -> Extraction | None:
    try:
        zf = zipfile.ZipFile(item.path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    warnings: list[str] = []
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        candidates = sorted((i for i in infos if _is_chat_member(i.filename)),
                            key=lambda i: -_is_chat_member(i.filename))
        chat_info, extraction = None, None
        for info in candidates[:5]:
            if _member_problem(info):
                continue
            try:
                data = _read_member(zf, info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
                continue
            text = _decode(data, warnings)
            name = info.filename if chat_name(info.filename) else item.name
            extraction = parse_chat(text, name)
            if extraction is not None:
                chat_info = info
                break
        if extraction is None or chat_info is None:
            return None
        by_media: dict[str, str] = {}
        for event in extraction.events:
            media = event.facts.get("media")
            if media:
                by_media.setdefault(media, event.key)
        derived: list[DerivedItem] = []
        total = 0
        skipped = 0
        for info in infos:
            if info is chat_info:
                continue
            problem = _member_problem(info)
            if not problem and total + info.file_size > MAX_TOTAL:
                problem = "the files in the zip together unpack to more than 2 GB"
            if problem:
                warnings.append(f"the file {info.filename!r} in the zip was not unpacked: "
                                f"{problem}")
                skipped += 1
                continue
            try:
                data = _read_member(zf, info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                    RuntimeError) as exc:
                warnings.append(f"the file {info.filename!r} in the zip is damaged and could "
                                f"not be unpacked ({exc})")
                skipped += 1
                continue
            total += len(data)
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            key = by_media.get(base) or by_media.get(info.filename, "")
            if not key:
                for event in extraction.events:
                    if base and base in event.facts.get("text", ""):
                        key = event.key
                        break
            derived.append(DerivedItem(data=data, name=info.filename, relation="zip-member",
                                       event_key=key))
    facts = dict(extraction.facts)
    facts.update({"chat_file": chat_info.filename, "members": len(infos),
                  "members_skipped": skipped})
    return Extraction(events=extraction.events, derived=tuple(derived),
                      warnings=tuple(extraction.warnings) + tuple(warnings), facts=facts,
                      kind="whatsapp-export")


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if item.mime == "application/zip":
        return parse_zip(item)
    if not item.mime.startswith("text/") or item.mime in ("text/html", "text/csv"):
        return None
    warnings: list[str] = []
    head_text = item.head.decode("utf-8", errors="replace")
    if not looks_like_chat(head_text.replace("\r", "\n").split("\n")[:-1] or [head_text]):
        return None
    data = item.read_bytes()
    text = _decode(data, warnings)
    extraction = parse_chat(text, item.name)
    if extraction is None:
        return None
    if warnings:
        extraction = Extraction(events=extraction.events, derived=extraction.derived,
                                warnings=tuple(warnings) + extraction.warnings,
                                facts=extraction.facts, kind=extraction.kind)
    return extraction


__all__ = ["intake_extract", "parse_chat", "match_header", "chat_name"]

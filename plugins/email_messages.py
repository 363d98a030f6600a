"""E-mail: saved messages (.eml), mailboxes (.mbox) and Outlook .msg files.

One ``email`` event per message, with the Date header and every Received hop
as time claims, the addresses checked (invalid and look-alike addresses are
flagged, never dropped), the subject, a text excerpt of the body, and every
attachment and inline image as a derived item. See docs/plugins/email.md.
"""

from __future__ import annotations

import binascii
import dataclasses
import html
import quopri
import re
from collections.abc import Iterator
from datetime import UTC
from email import policy
from email.message import Message
from email.parser import BytesParser

from intake import N_, DerivedItem, Event, Extraction, ItemView, TimeClaim, hookimpl

from . import _mail

__version__ = "0.1.0"

MAIL_MIMES = ("message/rfc822", "application/mbox")
OUTLOOK_MIME = "application/vnd.ms-outlook"
MAX_DEPTH = 50
MAX_MESSAGES = 100_000
EXCERPT = 500
#: The longest body kept as a fact (the exhibit itself always holds all of it).
BODY_LIMIT = 100_000
ADDRESS_FIELDS = ("From", "To", "Cc", "Reply-To", "Sender")
_HEADERISH = re.compile(rb"^[!-9;-~]+:", re.MULTILINE)
_MBOX_SPLIT = re.compile(rb"(?:\A|(?<=\n))From [^\n]*\n")
_KNOWN_HEADERS = ("date", "from", "to", "subject", "message-id", "received", "mime-version")


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if item.mime == OUTLOOK_MIME:
        return _read_msg(item)
    if item.mime not in MAIL_MIMES:
        return None
    data = item.read_bytes()
    if item.mime == "application/mbox":
        chunks = _split_mbox(data)
        fmt = "mbox"
    else:
        chunks = [(b"", data)]
        fmt = "eml"
    if not any(_looks_like_mail(body) for _, body in chunks[:20]):
        return None  # text that starts with "From " but holds no mail headers
    derived: list = []
    warnings: list[str] = []
    if len(chunks) > MAX_MESSAGES:
        warnings.append(f"the mailbox holds {len(chunks)} messages; only the first "
                        f"{MAX_MESSAGES} were read")
        chunks = chunks[:MAX_MESSAGES]
    del data
    # streamed (issue 19): each message is read as the host takes its event; the
    # derived items, warnings and count are complete once the last event is taken
    facts: dict = {"format": fmt}
    return Extraction(events=_events(chunks, derived, warnings, facts), derived=derived,
                      warnings=warnings, facts=facts, kind="email")


def _events(chunks: list, derived: list, warnings: list[str], facts: dict,
            ) -> Iterator[Event]:
    keys: set[str] = set()
    total = len(chunks)
    for n in range(1, total + 1):
        (envelope, body), chunks[n - 1] = chunks[n - 1], None  # each message's bytes go once read
        reading = _read_message(body, n, envelope, keys)
        derived.extend(reading.derived)
        prefix = f"message {n}: " if total > 1 else ""
        warnings.extend(prefix + w for w in reading.warnings)
        facts["messages"] = n
        yield reading.event
    facts.setdefault("messages", 0)


def _looks_like_mail(body: bytes) -> bool:
    head = body[:16384].lower()
    names = {m.group(0)[:-1].decode("ascii", "replace") for m in _HEADERISH.finditer(head)}
    return any(h in names for h in _KNOWN_HEADERS)


def _split_mbox(data: bytes) -> list[tuple[bytes, bytes]]:
    """(From_ line, message bytes) for each message; the From_ line is not part of it."""
    starts = list(_MBOX_SPLIT.finditer(data))
    if not starts:
        return [(b"", data)]
    out = []
    if starts[0].start() > 0 and data[:starts[0].start()].strip():
        out.append((b"", data[:starts[0].start()]))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(data)
        out.append((m.group(0).rstrip(b"\r\n"), data[m.end():end]))
    return out


# --- one RFC 5322 message -----------------------------------------------------


class _Reading:
    def __init__(self) -> None:
        self.event: Event | None = None
        self.derived: list[DerivedItem] = []
        self.warnings: list[str] = []


def _charsets(msg: Message) -> tuple[str, ...]:
    try:
        return tuple(c for c in msg.get_charsets() if c)
    except Exception:
        return ()


def _read_message(body: bytes, n: int, envelope: bytes, keys: set[str]) -> _Reading:
    out = _Reading()
    too_deep = False
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(body)
    except RecursionError:
        # Too deep for Python's parser: read the headers only.
        too_deep = True
        out.warnings.append(f"the message is nested more than {MAX_DEPTH} levels deep; only its "
                            f"headers were read")
        msg = BytesParser(policy=policy.compat32).parsebytes(body, headersonly=True)
    except Exception as exc:  # the parser is tolerant; this is a last resort
        out.warnings.append(f"the message could not be read: {type(exc).__name__}: {exc}")
        out.event = Event(kind="email", summary="E-mail (could not be read)", key=f"msg-{n}",
                          flags=("unreadable",), message=N_("E-mail that could not be read"))
        return out
    charsets = _charsets(msg)
    header = _HeaderReader(msg, charsets)

    message_id = header.text("Message-ID")
    key = message_id if message_id and message_id not in keys else f"msg-{n}"
    keys.add(key)

    claims, flags, facts = _headers_to_claims(header, out.warnings)
    if envelope:
        claims.extend(_envelope_claim(envelope))

    addresses, who, to, reply_to, from_address = _addresses(header, flags)
    subject = header.text("Subject")

    walker = _Walker(key, out, charsets)
    if not too_deep:
        walker.walk(msg, 0)
    if walker.too_deep or too_deep:
        flags.append("nested-too-deep")
    body = body_text(walker.plain, walker.html)
    excerpt = body[:EXCERPT]

    facts.update({
        "message_id": message_id,
        "subject": subject,
        "excerpt": excerpt,
        "body": body[:BODY_LIMIT],
        "reply_to": reply_to,
        "from_address": from_address,
        "addresses": addresses,
        "attachments": [{"name": d.name, "mime": d.mime, "relation": d.relation,
                         "bytes": len(d.data)} for d in out.derived],
    })
    if len(body) > BODY_LIMIT:
        facts["body_cut"] = len(body) - BODY_LIMIT
    if envelope:
        facts["mbox_from_line"] = _mail.clean_text(envelope.decode("utf-8", "surrogateescape"))[:500]
    summary = f"E-mail from {who or 'an unknown sender'}"
    if subject:
        summary += f": {subject[:200]}"
    out.event = Event(kind="email", summary=summary, claims=tuple(claims), key=key, who=who,
                      to=tuple(to), flags=tuple(dict.fromkeys(flags)), facts=facts,
                      message=email_message(who, subject))
    return out


class _HeaderReader:
    """Header access that never raises and always returns clean text."""

    def __init__(self, msg: Message, charsets: tuple[str, ...]) -> None:
        self.msg = msg
        self.charsets = charsets

    def raw_all(self, name: str) -> list[str]:
        """Every value of a header exactly as parsed (raw 8-bit bytes kept)."""
        lower = name.lower()
        try:
            values = [v for k, v in self.msg.raw_items() if k.lower() == lower]
        except Exception:
            return []
        return [_mail.clean_text(v, self.charsets) for v in values]

    def raw(self, name: str) -> str | None:
        values = self.raw_all(name)
        return values[0] if values else None

    def text(self, name: str) -> str:
        raw = self.raw(name)
        return _mail.header_text(name, raw, self.charsets) if raw is not None else ""


def _headers_to_claims(header: _HeaderReader, warnings: list[str]
                       ) -> tuple[list[TimeClaim], list[str], dict]:
    claims: list[TimeClaim] = []
    flags: list[str] = []
    facts: dict = {}
    dates = header.raw_all("Date")
    if not dates:
        flags.append("no-date")
        facts["date_as_written"] = None
    else:
        written = _mail.unfold(dates[0])
        facts["date_as_written"] = written
        reading = _mail.parse_mail_date(written, "Date header", "sent", "high")
        if reading.claim:
            claims.append(reading.claim)
        flags.extend(reading.flags)
        if reading.problem:
            warnings.append(reading.problem if not reading.claim else
                            f"the Date header {written[:200]!r} is not well formed: "
                            f"{reading.problem}")
        if len(dates) > 1:
            flags.append("several-date-headers")
            warnings.append(f"the message has {len(dates)} Date headers; the first is used")
    hops = []
    received = header.raw_all("Received")
    for i, raw in enumerate(received, 1):
        hop = _mail.parse_received(raw)
        hop["n"] = i
        if hop["date"] and i <= _mail.MAX_HOPS:
            by = hop.get("by", "")
            source = f"Received header {i}" + (f" (by {by})" if by else "")
            reading = _mail.parse_mail_date(hop["date"], source, "received", "medium")
            if reading.claim:
                note = ("Received header 1 is the last server, nearest the recipient; "
                        + reading.claim.note)
                claims.append(dataclasses.replace(reading.claim, note=note))
                hop["readable"] = True
            else:
                hop["readable"] = False
        else:
            hop["readable"] = False
        hops.append(hop)
    facts["received"] = hops
    return claims, flags, facts


_ASCTIME_IN_FROM = re.compile(rb"[A-Z][a-z]{2} +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d{2}(?::\d{2})?"
                              rb"(?: +[A-Za-z]+| +[+-]\d{4})? +\d{4}")


def _envelope_claim(envelope: bytes) -> list[TimeClaim]:
    m = _ASCTIME_IN_FROM.search(envelope)
    if not m:
        return []
    reading = _mail.parse_mail_date(m.group(0).decode("ascii"), "mbox From_ line", "received", "low")
    if not reading.claim:
        return []
    claim = reading.claim
    note = ("when the mail program stored the message in the mailbox, in that machine's clock "
            "(usually without a zone); " + claim.note)
    flags = tuple(f for f in claim.flags if f != "malformed-date")
    return [dataclasses.replace(claim, confidence="low", note=note, flags=flags)]


def _addresses(header: _HeaderReader, flags: list[str]):
    entries: list[dict] = []
    pairs_by_field: dict[str, list[tuple[str, str]]] = {}
    for field_name in ADDRESS_FIELDS:
        pairs: list[tuple[str, str]] = []
        for raw in header.raw_all(field_name):
            pairs.extend(_mail.read_addresses(field_name, raw, header.charsets))
        pairs_by_field[field_name] = pairs
        for display, address in pairs:
            entry = _mail.check_address(field_name, display, address)
            if not entry["valid"]:
                flags.append("invalid-address")
            if entry["lookalike"]:
                flags.append("look-alike-address")
            entries.append(entry)
    who = header.text("From")
    from_pairs = pairs_by_field["From"]
    from_address = from_pairs[0][1] if from_pairs else ""
    to = [_mail.format_address(d, a) for f in ("To", "Cc") for d, a in pairs_by_field[f]]
    reply_to = header.text("Reply-To") or None
    if reply_to and from_address:
        reply_addresses = {a.casefold() for _, a in pairs_by_field["Reply-To"] if a}
        if reply_addresses and from_address.casefold() not in reply_addresses:
            flags.append("reply-to-differs")
    return entries, who, to, reply_to, from_address


# --- the MIME tree: body text and attachments ----------------------------------------


_BODY_TYPES = ("text/plain", "text/html", "text/enriched", "message/delivery-status",
               "message/disposition-notification", "text/rfc822-headers")


class _Walker:
    def __init__(self, key: str, out: _Reading, charsets: tuple[str, ...] = ()) -> None:
        self.key = key
        self.charsets = charsets
        self.out = out
        self.plain: str | None = None
        self.html: str | None = None
        self.too_deep = False
        self.count = 0

    def walk(self, part: Message, depth: int) -> None:
        if depth > MAX_DEPTH:
            if not self.too_deep:
                self.out.warnings.append(
                    f"the message is nested more than {MAX_DEPTH} levels deep; "
                    f"the parts below that level were not read")
            self.too_deep = True
            return
        self.count += 1
        try:
            ctype = part.get_content_type()
        except Exception:
            ctype = "application/octet-stream"
        if ctype == "message/rfc822" or (part.is_multipart() and ctype.startswith("message/")
                                          and ctype not in _BODY_TYPES):
            if depth > 0:
                self._derive_message(part, ctype)
                return
        if part.is_multipart():
            try:
                children = part.get_payload()
            except Exception:
                children = []
            for child in children if isinstance(children, list) else []:
                if isinstance(child, Message):
                    self.walk(child, depth + 1)
            return
        if ctype.startswith("multipart/"):
            # A multipart without a usable boundary: Python keeps it as text.
            if self.plain is None:
                self.plain = _part_text(part)
            return
        disposition = (part.get_content_disposition() or "") if _safe(part) else ""
        name = _filename(part, self.charsets)
        if (ctype in _BODY_TYPES or ctype.startswith("text/")) and disposition != "attachment" \
                and not name:
            self._body(part, ctype)  # the text of the message, not an attachment
            return
        relation = "attachment"
        if ctype.startswith("image/") and disposition != "attachment" and (
                disposition == "inline" or part.get("Content-ID")):
            relation = "inline-image"
        data = _payload_bytes(part)
        if data is None:
            self.out.warnings.append(f"the attachment {name or ctype!r} could not be decoded")
            return
        self.out.derived.append(DerivedItem(data=data, name=name, relation=relation,
                                            event_key=self.key, mime=ctype))

    def _derive_message(self, part: Message, ctype: str) -> None:
        data = _payload_bytes(part)
        cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if data is not None and cte in ("base64", "quoted-printable"):
            # Not allowed for message/rfc822, but mail programs do it: undo it.
            try:
                body = data.strip()
                data = (binascii.a2b_base64(body) if cte == "base64"
                        else quopri.decodestring(body))
            except (binascii.Error, ValueError):
                self.out.warnings.append("an attached message has a broken encoding; "
                                         "it is kept as written")
        if data is None:
            self.out.warnings.append("an attached message could not be read")
            return
        self.out.derived.append(DerivedItem(data=data, name=_filename(part, self.charsets), relation="attachment",
                                            event_key=self.key, mime=ctype))

    def _body(self, part: Message, ctype: str) -> None:
        text = _part_text(part)
        if text is None:
            return
        if ctype == "text/html":
            if self.html is None:
                self.html = text
        elif ctype.startswith("text/") and self.plain is None:
            self.plain = text


def _safe(part: Message) -> bool:
    try:
        part.get_content_disposition()
        return True
    except Exception:
        return False


def _filename(part: Message, charsets: tuple[str, ...] = ()) -> str:
    """The attachment's name as written, decoded (RFC 2231 and 2047); never a path."""
    scratch = _mail.clean_part(part, charsets)
    try:
        name = scratch.get_filename()
    except Exception:
        name = None
    if not name:
        return ""
    return _mail.decode_words(str(name), charsets)


def _payload_bytes(part: Message) -> bytes | None:
    try:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload
        inner = part.get_payload()
        if isinstance(inner, list):
            return b"".join(m.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))
                            if isinstance(m, Message) else b"" for m in inner)
        if isinstance(inner, str):
            return inner.encode("utf-8", "surrogateescape")
    except Exception:
        return None
    return None


def _part_text(part: Message) -> str | None:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        inner = part.get_payload()
        if isinstance(inner, list):
            return "\n".join(str(m) for m in inner if isinstance(m, Message))
        return None
    charset = part.get_content_charset() or "utf-8"
    for cs in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(cs)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", "replace")


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def _excerpt(plain: str | None, html_text: str | None) -> str:
    return body_text(plain, html_text)[:EXCERPT]


def email_message(who: str, subject: str) -> str:
    """The message id a reader sees (the subject and sender are its parameters)."""
    if who:
        return N_("E-mail from {who}: {subject}") if subject else N_("E-mail from {who}")
    return (N_("E-mail from an unknown sender: {subject}") if subject
            else N_("E-mail from an unknown sender"))


def body_text(plain: str | None, html_text: str | None) -> str:
    """The message's whole text: the plain part, else the HTML part as text
    (at most BODY_LIMIT characters; facts.body_cut says how many more there were)."""
    if plain is not None and plain.strip():
        text = plain
    elif html_text:
        text = html.unescape(_TAG.sub(" ", html_text))
    else:
        return ""
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    return text


# --- Outlook .msg ------------------------------------------------------------


_MAPI_TIMES = (
    ("00390040", "MAPI ClientSubmitTime", "sent", "high",
     "when the sender's Outlook submitted the message (UTC)"),
    ("0E060040", "MAPI MessageDeliveryTime", "received", "high",
     "when the message was delivered to this mailbox (UTC); for a draft, when it was saved"),
    ("30070040", "MAPI CreationTime", "created", "low",
     "when this copy of the message was created in the mail store (UTC), not when it was sent"),
    ("30080040", "MAPI LastModificationTime", "modified", "low",
     "when this copy of the message was last changed in the mail store (UTC)"),
)


def _is_outlook(path) -> bool:
    try:
        import olefile
        if not olefile.isOleFile(str(path)):
            return False
        with olefile.OleFileIO(str(path)) as ole:
            return ole.exists("__properties_version1.0")
    except Exception:
        return False


def _read_msg(item: ItemView) -> Extraction | None:
    if not _is_outlook(item.path):
        return None  # a Word or Excel file, or another OLE2 container
    try:
        import extract_msg
    except ImportError:
        return Extraction(warnings=("the Outlook message could not be read: extract-msg is "
                                    "not installed",), kind="email")
    try:
        msg = extract_msg.openMsg(str(item.path))
    except Exception as exc:
        return Extraction(warnings=(f"the Outlook message is damaged and could not be opened: "
                                    f"{type(exc).__name__}: {exc}"[:500],), kind="email",
                          facts={"format": "msg"})
    try:
        return _msg_extraction(msg)
    finally:
        try:
            msg.close()
        except Exception:
            pass


def _msg_attr(msg, name: str):
    try:
        return getattr(msg, name)
    except Exception:
        return None


def _msg_extraction(msg) -> Extraction:
    warnings: list[str] = []
    claims: list[TimeClaim] = []
    flags: list[str] = []
    facts: dict = {}
    header_text = _msg_attr(msg, "headerText")
    transport = None
    if isinstance(header_text, str) and header_text.strip():
        try:
            transport = BytesParser(policy=policy.compat32).parsebytes(
                header_text.encode("utf-8", "surrogateescape"), headersonly=True)
        except Exception:
            transport = None
    header = _HeaderReader(transport, ()) if transport is not None else None
    if header is not None:
        header_claims, header_flags, facts = _headers_to_claims(header, warnings)
        claims.extend(header_claims)
        flags.extend(f for f in header_flags if f != "no-date")
    else:
        facts["received"] = []
        facts["date_as_written"] = None
    props = _msg_attr(msg, "props")
    present = {}
    for tag, source, meaning, confidence, note in _MAPI_TIMES:
        value = None
        try:
            prop = props.get(tag) if props is not None else None
            value = getattr(prop, "value", None)
        except Exception:
            value = None
        if value is None or not hasattr(value, "astimezone"):
            continue
        try:
            utc = value.astimezone(UTC).replace(tzinfo=None)
        except (ValueError, OverflowError):
            continue
        spec = "milliseconds" if utc.microsecond else "seconds"
        present[source] = True
        claims.append(TimeClaim(local=utc.isoformat(timespec=spec), offset="Z", zone="utc",
                                source=source, meaning=meaning, confidence=confidence,
                                granularity="subsecond" if utc.microsecond else "second",
                                note=note))
    if "MAPI ClientSubmitTime" not in present and not facts.get("date_as_written"):
        flags.append("not-sent")
        flags.append("no-date")
        warnings.append("the Outlook message has no sent time: it may be a draft that was "
                        "never sent")
    # Addresses: the transport headers as written, else Outlook's own fields.
    if header is not None and header.raw("From"):
        addresses, who, to, reply_to, from_address = _addresses(header, flags)
    else:
        fake = Message()
        for field_name, attr in (("From", "sender"), ("To", "to"), ("Cc", "cc")):
            value = _msg_attr(msg, attr)
            if isinstance(value, str) and value.strip():
                fake[field_name] = value.replace(";", ",")
        addresses, who, to, reply_to, from_address = _addresses(_HeaderReader(fake, ()), flags)
    subject = _msg_attr(msg, "subject") or (header.text("Subject") if header else "")
    message_id = _msg_attr(msg, "messageId") or (header.text("Message-ID") if header else "")
    key = str(message_id).strip() if message_id else "msg-1"
    body = _msg_attr(msg, "body")
    html_body = None
    if not (isinstance(body, str) and body.strip()):
        raw_html = _msg_attr(msg, "htmlBody")
        if isinstance(raw_html, bytes):
            html_body = raw_html.decode("utf-8", "replace")
        body = None
    derived: list[DerivedItem] = []
    for n, attachment in enumerate(_msg_attr(msg, "attachments") or [], 1):
        name = ""
        for attr in ("longFilename", "shortFilename", "displayName", "name"):
            value = _msg_attr(attachment, attr)
            if isinstance(value, str) and value.strip():
                name = value
                break
        mime = _msg_attr(attachment, "mimetype") or ""
        data = _msg_attr(attachment, "data")
        if not isinstance(data, bytes):
            exporter = getattr(data, "exportBytes", None)
            try:
                data = exporter() if exporter else None
            except Exception:
                data = None
        if not isinstance(data, bytes):
            warnings.append(f"attachment {n} ({name or 'no name'}) could not be extracted")
            continue
        relation = "attachment"
        if str(mime).startswith("image/") and _msg_attr(attachment, "hidden"):
            relation = "inline-image"
        derived.append(DerivedItem(data=data, name=_mail.clean_text(name), relation=relation,
                                   event_key=key, mime=str(mime or "")))
    facts.update({
        "message_id": str(message_id) if message_id else "",
        "subject": _mail.clean_text(subject),
        "excerpt": _excerpt(body, html_body),
        "body": body_text(body, html_body)[:BODY_LIMIT],
        "reply_to": reply_to,
        "from_address": from_address,
        "addresses": addresses,
        "attachments": [{"name": d.name, "mime": d.mime, "relation": d.relation,
                         "bytes": len(d.data)} for d in derived],
        "transport_headers": transport is not None,
    })
    summary = f"E-mail from {who or 'an unknown sender'}"
    if subject:
        summary += f": {_mail.clean_text(subject)[:200]}"
    event = Event(kind="email", summary=summary, claims=tuple(claims), key=key, who=who,
                  to=tuple(to), flags=tuple(dict.fromkeys(flags)), facts=facts,
                  message=email_message(who, subject))
    return Extraction(events=(event,), derived=tuple(derived), warnings=tuple(warnings),
                      facts={"format": "msg", "messages": 1}, kind="email")

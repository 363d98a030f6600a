"""Helpers for the e-mail plugin: header text, dates, addresses, Received hops.

Everything here is tolerant: a header that cannot be decoded is returned as
close to its written form as possible, a date that cannot be read gives no
claim but a flag, and nothing raises on bad input.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message

from intake import TimeClaim
from intake.months import month_number  # RFC 5322's abbreviations, and nl/fr ones

#: Longest header value we read; longer ones are cut (a hostile file must not
#: make us spend minutes on one header).
MAX_HEADER = 64 * 1024
#: Most Received hops turned into claims.
MAX_HOPS = 100


#: RFC 5322 section 4.3 obsolete zone names.
_ZONES = {"UT": 0, "GMT": 0, "Z": 0, "EST": -5 * 60, "EDT": -4 * 60, "CST": -6 * 60,
          "CDT": -5 * 60, "MST": -7 * 60, "MDT": -6 * 60, "PST": -8 * 60, "PDT": -7 * 60}


# --- text ------------------------------------------------------------------


def clean_text(value: object, charsets: tuple[str, ...] = ()) -> str:
    """A header value as readable text, without lone surrogates.

    Python's parser keeps raw 8-bit header bytes as surrogate escapes; those
    are turned back into bytes and decoded as UTF-8, then the message's own
    charsets, then Windows-1252.
    """
    text = str(value) if value is not None else ""
    if len(text) > MAX_HEADER:
        text = text[:MAX_HEADER]
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    for charset in ("utf-8", *charsets):
        try:
            return raw.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("cp1252", "replace")


_CHARSET_ALIASES = {"iso-8859-8-i": "iso-8859-8", "iso-8859-8-e": "iso-8859-8",
                    "iso-8859-6-i": "iso-8859-6", "iso-8859-6-e": "iso-8859-6",
                    "ks_c_5601-1987": "cp949", "gb2312": "gb18030", "gbk": "gb18030",
                    "x-sjis": "shift_jis", "unknown-8bit": "utf-8", "x-unknown": "utf-8",
                    "windows-874": "cp874", "x-mac-roman": "mac_roman"}


def decode_bytes(data: bytes, charset: str | None, charsets: tuple[str, ...] = ()) -> str:
    """Bytes in a declared charset, trying UTF-8 and Windows-1252 when it fails."""
    names = []
    if charset:
        names.append(_CHARSET_ALIASES.get(charset.lower().strip(), charset.strip()))
    names.extend(["utf-8", *charsets])
    for name in names:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError, ValueError):  # a damaged charset name
            continue  # (a NUL in it is a ValueError, not a LookupError)
    return data.decode("cp1252", "replace")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)\s+(?==\?)")


def _decode_word(m: re.Match, charsets: tuple[str, ...]) -> str:
    charset, encoding, payload = m.group(1), m.group(2).upper(), m.group(3)
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    try:
        if encoding == "B":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("latin-1"), header=True)
    except (ValueError, UnicodeEncodeError, binascii.Error):
        return m.group(0)
    return decode_bytes(data, charset, charsets)


def decode_words(value: str, charsets: tuple[str, ...] = ()) -> str:
    """Decode RFC 2047 encoded words (``=?utf-8?q?...?=``); raw text where they are broken."""
    text = unfold(clean_text(value, charsets))
    if "=?" not in text:
        return text
    text = _BETWEEN_WORDS.sub("", text)
    return _ENCODED_WORD.sub(lambda m: _decode_word(m, charsets), text)


def unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", text).strip()


def header_text(name: str, raw: str, charsets: tuple[str, ...] = ()) -> str:
    """One header as readable text: unfolded, encoded words decoded, never raising."""
    return decode_words(raw, charsets)


def strip_comments(text: str) -> str:
    """Remove RFC 5322 comments ``(...)``, nested ones too."""
    out, depth, escaped = [], 0, False
    for ch in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if ch == "(":
            depth += 1
            continue
        if ch == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return " ".join("".join(out).split())


# --- dates -----------------------------------------------------------------


@dataclass
class DateReading:
    """What a date string says: a claim (or None), flags and a plain note."""

    claim: TimeClaim | None
    flags: list[str] = field(default_factory=list)
    problem: str = ""


_RFC_DATE = re.compile(
    r"^(?:(?P<wd>[A-Za-z]+)\s*,?\s*)?(?P<d>\d{1,2})\s*(?P<mon>[A-Za-z]+)\s*(?P<y>\d{2,4})\s+"
    r"(?P<time>\S+)(?:\s+(?P<zone>\S+))?\s*$")
_ASCTIME = re.compile(
    r"^(?:(?P<wd>[A-Za-z]+)\s+)?(?P<mon>[A-Za-z]+)\s+(?P<d>\d{1,2})\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?:\s+(?P<zone>[A-Za-z]+|[+-]\d{4}))?\s+(?P<y>\d{4})\s*$")
_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.\d+)?\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?)?$")
_TIME = re.compile(r"^(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?$")


def _zone(zone: str | None) -> tuple[str | None, str, bool]:
    """(offset, note, malformed) for a zone as written."""
    if not zone:
        return None, "no zone written; read in the case's zone", True
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone)
    if m:
        sign, hh, mm = m.groups()
        if int(hh) > 23 or int(mm) > 59:
            return "+00:00", f"zone {zone!r} is out of range; read as UTC (RFC 5322: -0000)", True
        if zone in ("-0000", "-00:00"):
            return "+00:00", "zone -0000: the time is UTC, the sender's own zone is unknown", False
        return f"{sign}{hh}:{mm}", "", False
    upper = zone.upper()
    if upper in _ZONES:
        minutes = _ZONES[upper]
        sign = "-" if minutes < 0 else "+"
        minutes = abs(minutes)
        return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}", f"obsolete zone name {zone!r}", False
    return "+00:00", (f"zone {zone!r} is not a known zone; read as UTC, as RFC 5322 says "
                      f"for unknown zones"), True


def _year(text: str) -> tuple[int, str]:
    year = int(text)
    if len(text) == 2:
        return (year + 2000 if year < 50 else year + 1900), "two-digit year (RFC 5322 rule)"
    if len(text) == 3:
        return year + 1900, "three-digit year (RFC 5322 rule)"
    return year, ""


def parse_mail_date(written: str, source: str, meaning: str, confidence: str) -> DateReading:
    """Read an e-mail date (Date header, Received hop, mbox From_ line).

    Strict RFC 5322 (with its obsolete forms) gives a claim at `confidence`;
    anything looser is flagged ``malformed-date`` and gets a lower confidence,
    or no claim when no day can be read.
    """
    text = strip_comments(clean_text(written))
    notes: list[str] = []
    flags: list[str] = []
    malformed = False
    m = _RFC_DATE.match(text)
    if m:
        mon = month_number(m["mon"][:3]) if len(m["mon"]) >= 3 else None
        year, ynote = _year(m["y"])
        time_text, zone = m["time"], m["zone"]
    else:
        m = _ASCTIME.match(text) or _ISO.match(text)
        if not m:
            return DateReading(None, ["malformed-date"],
                               f"the {source} {written.strip()[:200]!r} could not be read as a date")
        malformed = True
        notes.append("not written in the e-mail date format")
        if "m" in m.groupdict():
            mon = int(m["m"])
        else:
            mon = month_number(m["mon"][:3])
        year, ynote = int(m["y"]), ""
        time_text, zone = m["time"], m["zone"]
    if ynote:
        notes.append(ynote)
    day = int(m["d"])
    if not mon or not 1 <= mon <= 12 or not 1 <= day <= 31 or not 1 <= year <= 9999:
        return DateReading(None, ["malformed-date"],
                           f"the {source} {written.strip()[:200]!r} has no readable month or day")
    try:
        datetime.date(year, mon, day)
    except ValueError:
        return DateReading(None, ["malformed-date"],
                           f"the {source} {written.strip()[:200]!r} is not a real day")
    offset, znote, zbad = _zone(zone)
    if znote:
        notes.append(znote)
    malformed = malformed or zbad
    local = f"{year:04d}-{mon:02d}-{day:02d}"
    granularity = "day"
    tm = _TIME.match(time_text or "")
    if tm and int(tm["H"]) <= 23 and int(tm["M"]) <= 59 and int(tm["S"] or 0) <= 60:
        second = min(int(tm["S"] or 0), 59)
        local += f"T{int(tm['H']):02d}:{int(tm['M']):02d}:{second:02d}"
        granularity = "second" if tm["S"] is not None else "minute"
        if tm["S"] is None:
            local = local[:-3]
    else:
        malformed = True
        notes.append(f"the time {time_text!r} cannot be read; only the day is used")
    if malformed:
        flags.append("malformed-date")
        confidence = "low"
    if not 1971 <= year <= 2099:
        flags.append("implausible-date")
        notes.append(f"year {year} is outside the years e-mail has existed in")
    if granularity == "day" and offset:
        # A day with an offset would pin midnight at that offset; keep the day only.
        offset = None
    claim = TimeClaim(local=local, offset=offset, source=source, meaning=meaning,
                      granularity=granularity, confidence=confidence,
                      note="; ".join([f"as written: {unfold(clean_text(written))[:200]}", *notes]),
                      flags=tuple(flags))
    return DateReading(claim, flags, "; ".join(notes) if malformed else "")


# --- Received hops -----------------------------------------------------------


_HOP_WORD = re.compile(r"\b(from|by|via|with|id|for)\s+(\S+)", re.IGNORECASE)


def parse_received(raw: str) -> dict:
    """A Received header's parts (from, by, with, id, for) and its date as written."""
    text = unfold(clean_text(raw))
    body, _, date = text.rpartition(";")
    if not body:
        body, date = text, ""
    hop: dict = {}
    for word, value in _HOP_WORD.findall(strip_comments(body)):
        key = word.lower()
        hop.setdefault(key, value.strip("<>;,"))
    hop["date"] = date.strip()
    hop["raw"] = text[:2000]
    return hop


# --- addresses -------------------------------------------------------------

#: Letters of other scripts that look like Latin ones (the usual homoglyphs).
_CONFUSABLE = set(
    "аеорсухіјѕԁԛԝһӏАВЕКМНОРСТХЅІЈ"  # Cyrillic
    "αονρικτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"  # Greek
    "ıɑɡɩʟꞮ"  # Latin look-alikes outside ASCII
)
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202b", "\u202c",
              "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u00ad"}
_ADDR_IN_NAME = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ")[0]
    except ValueError:
        return "UNKNOWN"


def lookalike_reasons(display: str, address: str) -> list[str]:
    """Why an address might imitate another one (empty list: nothing seen)."""
    reasons: list[str] = []
    _, _, domain = address.rpartition("@")
    labels = domain.split(".")
    if any(label.lower().startswith("xn--") for label in labels):
        try:
            shown = domain.encode("ascii").decode("idna")
        except (UnicodeError, ValueError):
            shown = domain
        reasons.append(f"the domain is written in punycode; it shows as {shown!r}")
        domain = shown
        labels = domain.split(".")
    for label in labels:
        letters = [ch for ch in label if ch.isalpha()]
        scripts = {_script(ch) for ch in letters}
        odd = sorted({ch for ch in label if ch in _CONFUSABLE})
        if len(scripts) > 1:
            others = sorted({ch for ch in letters if _script(ch) != "LATIN"})
            reasons.append(f"the domain part {label!r} mixes scripts ({', '.join(sorted(scripts))}: "
                           f"{', '.join(f'U+{ord(c):04X}' for c in others)})")
        elif odd:
            reasons.append(f"the domain part {label!r} uses letters that look like Latin ones "
                           f"({', '.join(f'U+{ord(c):04X}' for c in odd)})")
    if unicodedata.normalize("NFKC", domain) != domain:
        reasons.append("the domain contains letters in a special form (full-width or styled)")
    if any(ch in _INVISIBLE for ch in address + display):
        reasons.append("the address or name contains invisible characters")
    for other in _ADDR_IN_NAME.findall(display or ""):
        if other.casefold() != address.casefold():
            reasons.append(f"the display name shows a different address ({other})")
    return reasons


def check_address(field_name: str, display: str, address: str) -> dict:
    """One address as a plain dict: as written, whether it is valid, and why not."""
    entry = {"field": field_name, "name": display, "address": address, "valid": True,
             "reason": "", "lookalike": []}
    if not address:
        entry.update(valid=False, reason="no address, only a name")
    else:
        # imported at the first address, not when the plugins load: every intake
        # command loads them, few read a mail (bench/profile-notes.md, session 6)
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(address, check_deliverability=False, allow_smtputf8=True)
        except EmailNotValidError as exc:
            entry.update(valid=False, reason=str(exc))
        except Exception as exc:  # the validator itself failed on odd input
            entry.update(valid=False, reason=f"could not be checked: {exc}")
    entry["lookalike"] = lookalike_reasons(display, address)
    return entry


def _split_list(text: str) -> list[str]:
    """Split an address list on commas outside quotes, <...>, comments and encoded words."""
    out, current = [], []
    quoted = False
    angle = depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if not quoted and text.startswith("=?", i):
            m = _ENCODED_WORD.match(text, i)
            if m:
                current.append(m.group(0))
                i = m.end()
                continue
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if ch == '"' and not depth:
            quoted = not quoted
        elif not quoted:
            if ch == "(":
                depth += 1
            elif ch == ")" and depth:
                depth -= 1
            elif ch == "<" and not depth:
                angle += 1
            elif ch == ">" and angle and not depth:
                angle -= 1
            elif ch in ",;" and not angle and not depth:
                out.append("".join(current))
                current = []
                i += 1
                continue
        current.append(ch)
        i += 1
    out.append("".join(current))
    return [part.strip() for part in out if part.strip()]


_GROUP_NAME = re.compile(r'^\s*([^"<>@:,]*):')


def read_addresses(field_name: str, raw: str, charsets: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header as written; never raises.

    Nothing is dropped: an entry that is not a valid address keeps its text as
    the address, so that the validator can say what is wrong with it.
    """
    text = unfold(clean_text(raw, charsets))
    pairs = []
    for chunk in _split_list(text):
        group = _GROUP_NAME.match(chunk)
        if group and "<" not in chunk[:group.end()]:
            chunk = chunk[group.end():].strip()  # "A Group: a@b, c@d;" -> the members
            if not chunk:
                continue
        if not strip_comments(chunk):
            continue  # only a comment, e.g. "(the end of the group)"
        angle = re.search(r"<([^<>]*)>\s*(?:\([^)]*\)\s*)*$", chunk)
        if angle:
            address = strip_comments(angle.group(1)).strip()
            display = chunk[:angle.start()].strip()
        else:
            address = strip_comments(chunk).strip()
            display = ""
            inner = re.findall(r"\(([^()]*)\)", chunk)
            if inner and not address:
                display = inner[0]
        display = strip_comments(display) if display and not display.startswith('"') else display
        if len(display) >= 2 and display[0] == display[-1] == '"':
            display = re.sub(r'\\(.)', r"\1", display[1:-1])
        display = decode_words(display, charsets) if display else ""
        if address or display:
            pairs.append((display, address))
    return pairs


def format_address(display: str, address: str) -> str:
    if display and address:
        return f"{display} <{address}>"
    return display or address


def clean_part(part: Message, charsets: tuple[str, ...] = ()) -> Message:
    """A scratch copy of a part's Content-Type/-Disposition without raw 8-bit bytes.

    Python hides raw 8-bit header bytes behind replacement characters; this
    copy holds them decoded (UTF-8, the message's charsets, Windows-1252),
    so that parameters such as the file name read as written.
    """
    scratch = Message()
    try:
        for key, value in part.raw_items():
            if key.lower() in ("content-type", "content-disposition"):
                scratch[key] = clean_text(value, charsets)
    except Exception:
        pass
    return scratch

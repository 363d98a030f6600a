"""What counts as an incident on page 1, and the chart of incidents per week.

One module, so that the PDF and the HTML count and chart the same way.

An incident is what the other party did: a call, SMS, MMS, chat message,
e-mail or letter from someone the case names as a suspect or from an unknown
or withheld party, and every fact in the victim's logbook. Not counted: the
victim's own messages and calls, messages from people the case knows and does
not name as suspect, notices of the phone or the app, logbook entries a later
one corrects, files intake could not read (and empty ones), photos and
screenshots (their facts are in the logbook or the messages they show), and
entries the adviser excluded from the police report.

Only the time of the fact itself places an incident in time: undated entries
and times that come only from the file system (when a file was copied or
saved) never count in the chart nor stretch the period, and neither do dates
a device made up (``placeholder``) or that are implausible.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from .dates import format_date

#: Kinds that carry what someone said or did to the victim.
COMMUNICATION = ("call", "sms", "mms", "message", "email", "letter")
#: Directions in which the victim acted, not the other party.
OWN_DIRECTIONS = ("outgoing", "draft", "sent", "outbox", "failed", "queued")
#: Flags that make a time unfit to place a fact in the chart or the period.
UNDATABLE = ("placeholder", "implausible-date")
#: Person roles that are not the other party.
NOT_SUSPECT = ("victim", "witness", "friend", "other")


def _roles(entry: dict, persons: dict[str, dict]) -> set[str]:
    return {str(persons[p].get("role")) for p in entry.get("persons") or () if p in persons}


def other_party(entry: dict, persons: dict[str, dict]) -> bool:
    """Whether the other party (a suspect, or an unknown or withheld sender) did it.

    `persons` are the case's persons by id (``chronology["persons"]``), which
    entries name in ``entry["persons"]``. Without persons, the plugins'
    direction facts decide: what reached the victim counts, what the victim
    sent does not. This is the one place to extend the rule.
    """
    facts = entry.get("facts") or {}
    roles = _roles(entry, persons)
    if "suspect" in roles:
        return True
    if roles & set(NOT_SUSPECT):
        return False
    if str(facts.get("direction") or "").lower() in OWN_DIRECTIONS:
        return False
    if "not-sent" in (entry.get("flags") or []):
        return False
    if entry.get("kind") == "message":
        if facts.get("system"):
            return False
        chat, who = str(facts.get("chat") or ""), str(entry.get("who") or "")
        # A one-to-one export is named after the other party: their messages
        # carry that name, the victim's carry the victim's own.
        if chat and who and chat.casefold() != who.casefold():
            return False
    if facts.get("withheld") is True:
        return True
    if any(p.get("role") == "suspect" for p in persons.values()):
        # The case names its suspects: a party the victim's phone knows by
        # name, and who is not one of them, is not the other party.
        return not facts.get("contact")
    return True


def is_incident(entry: dict, persons: dict[str, dict] | None = None) -> bool:
    """Whether page 1 counts this entry (see the module's rule)."""
    persons = persons or {}
    flags = entry.get("flags") or []
    if "superseded" in flags:
        return False
    if (entry.get("curation") or {}).get("police") == "exclude":
        return False
    kind = entry.get("kind")
    if kind == "logbook":
        return True
    if kind not in COMMUNICATION:
        return False
    return other_party(entry, persons)


def fact_date(entry: dict) -> date | None:
    """The local date of the fact, or None when its time cannot place it."""
    if not entry.get("instant") or any(f in (entry.get("flags") or []) for f in UNDATABLE):
        return None
    claims = entry.get("claims") or []
    chosen = next((c for c in claims if c.get("chosen")), None)
    if chosen is None or chosen.get("meaning") == "filed":
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", entry.get("local") or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def persons_by_id(chronology: dict) -> dict[str, dict]:
    return {str(p.get("id")): p for p in chronology.get("persons") or [] if p.get("id")}


def incidents(chronology: dict) -> list[dict]:
    """The dated incidents, in chronology order."""
    persons = persons_by_id(chronology)
    return [e for e in chronology.get("entries") or []
            if is_incident(e, persons) and fact_date(e) is not None]


def facts_span(chronology: dict) -> tuple[date, date] | None:
    """First and last day of the dated facts (file system times and made-up dates left out)."""
    return span_of_days(d for e in chronology.get("entries") or [] if (d := fact_date(e)))


def span_of_days(days: Iterable[date]) -> tuple[date, date] | None:
    """First and last of these days, or None."""
    first = last = None
    for d in days:  # one pass: `days` may be a stream over many entries
        if first is None or d < first:
            first = d
        if last is None or d > last:
            last = d
    return (first, last) if first is not None else None


def chart(chronology: dict, lang: str = "nl") -> dict:
    """Incidents per ISO week of the local date over the incidents' span (per month
    past 78 weeks, per year past 20 years), empty weeks as zeros.

    Each bar has `key` (``2024-W27`` or ``2024-07``), the `label` and `sub`
    printed under it, its `count`, and `permille` of the peak for its height.
    """
    return chart_of_days([d for e in incidents(chronology) if (d := fact_date(e))], lang)


def chart_of_days(days: Iterable[date], lang: str = "nl") -> dict:
    """`chart` for the incidents' days (a caller that walks the entries once gathers them)."""
    days = sorted(days)
    if not days:
        return {"unit": "week", "bars": [], "peak": 0, "total": 0, "first": "", "last": ""}
    first, last = days[0], days[-1]
    monday = first - timedelta(days=first.weekday())
    n_weeks = (last - monday).days // 7 + 1
    keys: list[tuple[str, str, str, int]] = []
    if n_weeks <= 78:
        unit = "week"
        counts = Counter((d - monday).days // 7 for d in days)
        for i in range(n_weeks):
            start = monday + timedelta(weeks=i)
            y, w, _ = start.isocalendar()
            keys.append((f"{y}-W{w:02d}", f"W{w:02d}", format_date(start.isoformat(), lang),
                         counts.get(i, 0)))
    elif (last.year - first.year) * 12 + last.month - first.month < 240:
        unit = "month"
        counts = Counter((d.year, d.month) for d in days)
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            keys.append((f"{y}-{m:02d}", f"{m:02d}/{y}", "", counts.get((y, m), 0)))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    else:  # decades: per year; over a century only the years that have incidents
        unit = "year"
        counts = Counter(d.year for d in days)
        years = (range(first.year, last.year + 1) if last.year - first.year < 100
                 else sorted(counts))
        keys = [(str(y), str(y), "", counts.get(y, 0)) for y in years]
    peak = max(k[3] for k in keys)
    every = max(1, -(-len(keys) // 14))
    bars = [{"key": key, "label": label, "sub": sub, "count": c,
             "show": i % every == 0,
             "permille": (c * 1000) // peak if peak else 0}
            for i, (key, label, sub, c) in enumerate(keys)]
    return {"unit": unit, "bars": bars, "peak": peak, "total": len(days),
            "first": first.isoformat(), "last": last.isoformat()}

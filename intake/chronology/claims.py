"""Which time claim dates an entry, and why, in plain words.

The order of preference (meaning for the kind, placeholder clocks last,
confidence, known zone, granularity, then total tie-breaks) and the test for
claims that disagree; docs/chronology.md says the same for people."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..timeclaims import format_utc
from ..types import GRANULARITIES

#: Same-meaning claims further apart than this (beyond their granularity) disagree.
DISAGREE_TOLERANCE = timedelta(minutes=2)
#: For each kind, the meanings that best date the fact, best first. Meanings
#: not listed follow in DEFAULT_MEANINGS order; "filed" (file system times)
#: always comes last.
MEANINGS_BY_KIND: dict[str, tuple[str, ...]] = {
    "photo": ("taken", "created", "modified"),
    "screenshot": ("taken", "created", "modified"),
    "email": ("sent", "written", "received"),
    "letter": ("written", "sent", "created", "received", "modified"),
    "message": ("sent", "received", "written"),
    "sms": ("sent", "received"),
    "mms": ("sent", "received"),
    "call": ("called",),
    "logbook": ("happened", "written", "recorded"),
}
DEFAULT_MEANINGS = ("happened", "taken", "sent", "called", "received", "written", "created",
                    "recorded", "modified")
CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}
ZONE_RANK = {"explicit": 0, "utc": 0, "gps": 0, "assumed": 1}
GRANULARITY_RANK = {g: i for i, g in enumerate(GRANULARITIES)}
#: How long a claim of each granularity covers, for the disagreement test.
GRANULARITY_SPAN = {
    "subsecond": timedelta(0), "second": timedelta(seconds=1), "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1), "day": timedelta(days=1), "month": timedelta(days=31),
    "year": timedelta(days=366),
}
CLAIM_FIELDS = ("local", "offset", "utc", "zone", "source", "meaning", "granularity",
                "confidence", "note", "flags")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

def parse_instant(utc: str) -> datetime:
    """An ISO UTC instant (``...Z``) -> aware datetime."""
    moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


#: Integers beyond this are not exact in canonical JSON (canonical.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1
#: An instant as format_utc writes it: whole seconds, milliseconds or microseconds.
NORMAL_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                         r"(?:\.(?!000Z)[0-9]{3}|\.[0-9]{3}(?!000Z)[0-9]{3})?Z")


def utc_text(utc: str) -> str:
    """``format_utc(parse_instant(utc))``: an instant already in that form is only
    checked (100,000 claims of a phone backup are), the others are rewritten.
    Raises ValueError for text that is no instant."""
    if NORMAL_UTC.fullmatch(utc):
        datetime.fromisoformat(utc[:-1])  # the date must exist: ValueError as below
        return utc
    return format_utc(parse_instant(utc))


def micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def meaning_rank(kind: str, meaning: str) -> int:
    order = list(MEANINGS_BY_KIND.get(kind, ()))
    order += [m for m in DEFAULT_MEANINGS if m not in order]
    if meaning == "filed":
        return len(order) + 1
    return order.index(meaning) if meaning in order else len(order)


def claim_preference(kind: str, claim: Mapping[str, Any]) -> tuple:
    """The sort key that picks the chosen claim (smallest wins); total."""
    return (
        meaning_rank(kind, claim["meaning"]),
        1 if "placeholder" in claim["flags"] else 0,
        CONFIDENCE_RANK.get(claim["confidence"], 3),
        ZONE_RANK.get(claim["zone"], 2),
        GRANULARITY_RANK.get(claim["granularity"], len(GRANULARITY_RANK)),
        claim["source"],
        claim["plugin"],
        claim["exhibit"],
        micros(parse_instant(claim["utc"])),
        claim["local"],
        claim["offset"],
        # the rest of the claim, so that the order is total without serialising it
        claim["meaning"], claim["zone"], claim["confidence"], claim["granularity"],
        claim["note"], tuple(claim["flags"]), claim.get("plugin_version", ""),
    )


def best_claim(kind: str, claims: list[dict]) -> dict:
    """The chosen claim of an event (`claim_preference`); most events have one."""
    if len(claims) == 1:
        return claims[0]
    return min(claims, key=lambda c: claim_preference(kind, c))


def claims_disagree(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two claims disagree if the times they cover are more than the tolerance apart."""
    a0, b0 = parse_instant(a["utc"]), parse_instant(b["utc"])
    a1 = a0 + GRANULARITY_SPAN.get(a["granularity"], timedelta(0))
    b1 = b0 + GRANULARITY_SPAN.get(b["granularity"], timedelta(0))
    gap = max(timedelta(0), a0 - b1, b0 - a1)
    return gap > DISAGREE_TOLERANCE


def one_period(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The start and the end of one period (a logbook "21:00-21:30"): not two witnesses."""
    marks = {*a["flags"], *b["flags"]} & {"period-start", "period-end"}
    return (marks == {"period-start", "period-end"} and a["exhibit"] == b["exhibit"]
            and a["source"] == b["source"])


_GRAN_WORDS = {"subsecond": "a fraction of a second"}


def _gran_word(g: str) -> str:
    return _GRAN_WORDS.get(g, f"the {g}")


_KIND_WORDS = {"email": "an e-mail", "sms": "an SMS", "mms": "an MMS", "": "a fact"}


def _a_kind(kind: str) -> str:
    if kind in _KIND_WORDS:
        return _KIND_WORDS[kind]
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


@functools.lru_cache(maxsize=4096)
def only_claim(source: str, meaning: str, confidence: str) -> str:
    text = f"{source} ({meaning}, {confidence} confidence) is the only time claim."
    if meaning == "filed":
        text += _FILED
    elif confidence == "low":
        text += _LOW
    return text


_FILED = (" Only file system times are known: they tell when a file was copied or saved, "
          "not when the fact happened.")
_LOW = " The chosen time has low confidence."


def because(kind: str, claims: list[dict], disagree: bool) -> str:
    """Plain English: why the first claim (already sorted) was chosen."""
    if not claims:
        return "No readable time: the entry is listed as undated."
    best = claims[0]
    if len(claims) == 1 and not disagree:  # most entries: one text shared by all alike
        return only_claim(best["source"], best["meaning"], best["confidence"])
    head = f"{best['source']} ({best['meaning']}, {best['confidence']} confidence)"
    if len(claims) == 1:
        text = f"{head} is the only time claim."
    else:
        other = claims[1]
        if meaning_rank(kind, best["meaning"]) != meaning_rank(kind, other["meaning"]):
            why = (f"for {_a_kind(kind)}, the time it was {best['meaning']} is preferred over "
                   f"the time it was {other['meaning']}")
        elif ("placeholder" in best["flags"]) != ("placeholder" in other["flags"]):
            why = f"{other['source']} looks like a device's default clock"
        elif best["confidence"] != other["confidence"]:
            why = (f"it has {best['confidence']} confidence, {other['source']} "
                   f"{other['confidence']}")
        elif ZONE_RANK.get(best["zone"], 2) != ZONE_RANK.get(other["zone"], 2):
            why = (f"its time zone is known ({best['zone']}), while the zone of "
                   f"{other['source']} was assumed")
        elif best["granularity"] != other["granularity"]:
            why = (f"it is precise to {_gran_word(best['granularity'])}, {other['source']} "
                   f"only to {_gran_word(other['granularity'])}")
        elif best["utc"] == other["utc"]:
            why = "the others give the same time (the first by source name and exhibit is shown)"
        else:
            why = ("the claims are equally good, so the first by source name, plugin and "
                   "exhibit is taken")
        n = len(claims) - 1
        text = f"{head} chosen over {n} other claim{'s' if n > 1 else ''}: {why}."
    if best["meaning"] == "filed":
        text += _FILED
    elif best["confidence"] == "low":
        text += _LOW
    if disagree:
        text += " Other claims of the same kind disagree by more than 2 minutes: see the claims."
    return text

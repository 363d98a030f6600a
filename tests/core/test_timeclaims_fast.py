"""`resolved_fields` reads the common claim (canonical wall time, written offset)
by a shorter way (issue 19, figure 7); it must give exactly what the general
reading gives, or fail with the same exception and the same words."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.timeclaims import (
    epoch_ms_to_iso,
    epoch_ms_to_iso_general,
    resolved_fields,
    resolved_fields_general,
)
from intake.types import TimeClaim

ZONES = ("Europe/Brussels", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata")
OFFSETS = (None, "", "Z", "+00:00", "-00:00", "+02:00", "+0100", "-05:00", "+05:30",
           "-0930", "+14:00", "+23:59", "+24:00", "2:00", "bad", "+02:60")


def outcome(function, claim: TimeClaim, zone: str):
    try:
        return function(claim, zone)
    except Exception as exc:  # the same type and words are part of the record (warnings)
        return type(exc), str(exc)


def _texts(moment: datetime) -> st.SearchStrategy[str]:
    return st.sampled_from([
        moment.isoformat(timespec="seconds"), moment.isoformat(timespec="milliseconds"),
        moment.isoformat(timespec="microseconds"), moment.isoformat(timespec="minutes"),
        moment.date().isoformat(), moment.isoformat(sep=" ", timespec="seconds"),
        moment.isoformat(timespec="milliseconds")[:-3] + "000",
        moment.isoformat(timespec="seconds") + "Z",
        moment.isoformat(timespec="seconds") + "+02:00",
        moment.strftime("%G-W%V-%uT%H:%M:%S"),  # a week date fromisoformat reads
    ])


instants = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
odd_texts = st.sampled_from(["2021-02-30T10:00:00", "2021-13-01T00:00:00",
                             "2021-03-28T24:00:00", "2021-03-28T02:30:00.5",
                             "0001-01-01T00:00:00", "9999-12-31T23:59:59.999",
                             "２０２１-03-28T02:30:00", "", "yesterday"])
texts = st.one_of(instants.flatmap(_texts), odd_texts)
claims = st.builds(
    lambda local, offset, zone, flags: TimeClaim(local=local, source="s", meaning="sent",
                                                 offset=offset, zone=zone, flags=flags),
    texts, st.sampled_from(OFFSETS), st.sampled_from(["", "utc", "gps", "explicit"]),
    st.lists(st.sampled_from(["a", "b", "date-in-seconds"]), max_size=4).map(tuple))


@settings(max_examples=3000, deadline=None)
@given(claims, st.sampled_from(ZONES))
def test_fast_reading_equals_the_general_one(claim: TimeClaim, zone: str) -> None:
    assert outcome(resolved_fields, claim, zone) == outcome(resolved_fields_general, claim, zone)


def test_the_phone_backup_claims_and_the_calendar_edges() -> None:
    """Named cases: epoch claims (``Z``) with and without milliseconds, ``.000``, an
    offset that moves the day and the year, the ends of the calendar, a day that
    does not exist, a DST night read with and without its offset."""
    cases = [
        ("2020-09-13T12:26:40.123", "Z", "2020-09-13T12:26:40.123Z"),
        ("2020-09-13T12:26:40.000", "Z", "2020-09-13T12:26:40Z"),
        ("2020-09-13T12:26:40", "Z", "2020-09-13T12:26:40Z"),
        ("2021-01-01T00:30:00.120", "+01:00", "2020-12-31T23:30:00.120Z"),
        ("2021-10-31T02:30:00", "+01:00", "2021-10-31T01:30:00Z"),
        ("2021-10-31T02:30:00", "+02:00", "2021-10-31T00:30:00Z"),
        ("2021-10-31T02:30:00", None, "2021-10-31T00:30:00Z"),  # assumed, dst-ambiguous
        ("9999-12-31T23:59:59.999", "-00:00", "9999-12-31T23:59:59.999Z"),
    ]
    for local, offset, utc in cases:
        claim = TimeClaim(local=local, offset=offset, source="s", meaning="sent")
        fast = resolved_fields(claim, "Europe/Brussels")
        assert fast == resolved_fields_general(claim, "Europe/Brussels")
        assert fast["utc"] == utc
    gap = resolved_fields(TimeClaim(local="2021-10-31T02:30:00", source="s", meaning="sent"),
                          "Europe/Brussels")
    assert (gap["zone"], gap["flags"], gap["offset"]) == ("assumed", ("dst-ambiguous",),
                                                          "+02:00")
    for local, offset in [("0001-01-01T00:00:00", "+02:00"), ("9999-12-31T23:59:59", "-05:00"),
                          ("2021-02-30T10:00:00", "Z")]:
        claim = TimeClaim(local=local, offset=offset, source="s", meaning="sent")
        assert outcome(resolved_fields, claim, "UTC") == \
            outcome(resolved_fields_general, claim, "UTC")
    assert outcome(resolved_fields, TimeClaim(local="2021-02-30T10:00:00", offset="Z",
                                              source="s", meaning="sent"), "UTC")[1] == \
        "time '2021-02-30T10:00:00' is not an ISO date and time"


def _iso_outcome(function, ms):
    try:
        return function(ms)
    except Exception as exc:
        return type(exc), str(exc)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.integers(min_value=-62_135_596_800_000 - 10**6,
                             max_value=253_402_300_799_999 + 10**6),
                 st.integers(), st.sampled_from([0, -1, 1, 999, 1000, 86_399_999,
                                                 86_400_000, 1_600_000_000_000,
                                                 -62_135_596_800_000, 253_402_300_799_999,
                                                 253_402_300_800_000])))
def test_epoch_milliseconds_written_as_datetime_writes_them(ms: int) -> None:
    """The day-and-time writing of `epoch_ms_to_iso` equals the datetime one, errors
    included (year 1 and 9999, before 1970, whole seconds, the day's last ms)."""
    assert _iso_outcome(epoch_ms_to_iso, ms) == _iso_outcome(epoch_ms_to_iso_general, ms)


def test_epoch_milliseconds_named_values() -> None:
    assert epoch_ms_to_iso(1_600_000_037_123) == "2020-09-13T12:27:17.123"
    assert epoch_ms_to_iso(1_600_000_037_000) == "2020-09-13T12:27:17"
    assert epoch_ms_to_iso(-1) == "1969-12-31T23:59:59.999"
    assert epoch_ms_to_iso(1.5) == epoch_ms_to_iso_general(1.5) == "1970-01-01T00:00:00.001"


def test_plain_checked_events_are_the_objects_made_plain() -> None:
    """`check_events(plain=True)` copies a plain Event's and TimeClaim's `__dict__`
    (issue 19); a subclass with a field more, an instance given an attribute of its
    own, and the plugin's quick constructor must come out as the objects' fields."""
    import dataclasses
    import json

    from intake.builtin._construct import new_claim, new_event

    from intake.extract import check_events
    from intake.serialize import to_plain
    from intake.types import CaseInfo, Event

    @dataclasses.dataclass(frozen=True)
    class Louder(Event):
        volume: int = 11

    claim = TimeClaim(local="2021-10-31T02:30:00", source="s", meaning="sent")
    odd = Event(kind="sms", summary="odd", claims=(claim,))
    object.__setattr__(odd, "extra", "not a field")
    events = [Event(kind="sms", summary="plain", claims=(claim,), facts={"a": 1}),
              Louder(kind="call", summary="loud", claims=(claim,)), odd,
              new_event(kind="mms", summary="quick", facts={"n": [1]},
                        claims=(new_claim(local="2021-03-28T02:30:00.120", offset="Z",
                                          source="s", meaning="sent"),))]
    case = CaseInfo(timezone="Europe/Brussels")
    plain, warnings = check_events(events, case, plain=True)
    objects, same_warnings = check_events(events, case)
    # tuples stay tuples in the plain form (both are JSON arrays); the plain form
    # holds an Event's fields only, a subclass's own field left out (as before)
    whole = to_plain(objects)
    assert whole[1].pop("volume") == 11
    assert json.dumps(plain, sort_keys=True) == json.dumps(whole, sort_keys=True)
    assert warnings == same_warnings == []
    assert "extra" not in plain[2] and "volume" not in plain[1]
    assert plain[0]["claims"][0]["flags"] == ("dst-ambiguous",)
    assert plain[3]["claims"][0]["utc"] == "2021-03-28T02:30:00.120Z"

"""`to_plain` takes orjson's fast path (issue 19): the plain copy must be the one
the Python walk makes, and what orjson cannot hold exactly must still go
through the walk."""

from __future__ import annotations

from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from intake import DerivedItem, Event, TimeClaim
from intake.serialize import _walk, to_plain

texts = st.text(max_size=20)
facts = st.dictionaries(texts, st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1)
                        | texts | st.lists(texts, max_size=3), max_size=5)
claims = st.builds(TimeClaim, local=st.just("2024-03-01T10:00:00"), source=texts,
                   meaning=st.just("sent"), offset=st.none() | st.just("+01:00"), note=texts,
                   flags=st.lists(texts, max_size=2).map(tuple),
                   utc=st.none() | st.just("2024-03-01T09:00:00Z"))
events = st.builds(Event, kind=texts, summary=texts, claims=st.lists(claims, max_size=3)
                   .map(tuple), key=texts, facts=facts,
                   to=st.lists(texts, max_size=2).map(tuple))


@given(events)
def test_fast_plain_copy_is_the_walk(event):
    assert to_plain(event) == _walk(event)


def test_a_message_event_plain():
    claim = TimeClaim(local="2024-03-01T10:00:00", source="date", meaning="received",
                      offset="Z", flags=("a",), utc="2024-03-01T10:00:00Z")
    event = Event(kind="sms", summary="SMS from +32470", claims=(claim,), key="sms-1",
                  facts={"number": "+32470", "n": 2**40, "parts": ("x", "y")})
    plain = to_plain(event)
    assert plain["claims"][0]["flags"] == ["a"]
    assert plain["claims"][0]["utc"] == "2024-03-01T10:00:00Z"
    assert plain["facts"] == {"number": "+32470", "n": 2**40, "parts": ["x", "y"]}
    assert plain["to"] == []


def test_what_orjson_cannot_hold_goes_through_the_walk():
    # bytes are left out with the `data` field; a huge integer and a read-only
    # mapping are kept as the walk keeps them
    item = DerivedItem(data=b"\x00\x01", name="a.jpg", relation="attachment")
    assert "data" not in to_plain(item) and to_plain(item)["name"] == "a.jpg"
    assert to_plain({"big": 2**70}) == {"big": 2**70}
    assert to_plain(MappingProxyType({1: (2, 3)})) == {"1": [2, 3]}

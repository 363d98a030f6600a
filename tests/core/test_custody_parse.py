"""`custody.parse_line` reads JSON faster than json.loads and must give exactly its values.

verify parses every custody line and every metadata file with it; a value read otherwise
(orjson reads an integer beyond 64 bits as a float) would make the verified facts differ
from the index, or hide a difference.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.custody_chain import link_of, parse_line

_SCALARS = (st.none() | st.booleans() | st.text(max_size=20)
            | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
            | st.integers(min_value=-(2 ** 64) - 5, max_value=2 ** 64 + 5)
            | st.floats(allow_nan=True, allow_infinity=True))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=5)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=30)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.booleans())
def test_parse_line_gives_exactly_what_json_loads_gives(value: object, indent: bool) -> None:
    data = json.dumps(value, indent=1 if indent else None, ensure_ascii=False).encode()
    assert _same(parse_line(data), json.loads(data))


def test_the_numbers_orjson_reads_otherwise_are_read_by_the_standard_library() -> None:
    for text in (b'{"a": 18446744073709551616}', b'[-9223372036854775809]',
                 b'{"ns": 1732960000123456789, "f": 0.00009436599793843925}',
                 b'{"a": NaN}', b'{"a": 1e400}', b'{"a": 12345678901234567890.5}'):
        assert _same(parse_line(text), json.loads(text)), text
    assert parse_line(b'{"a": 18446744073709551616}')["a"] == 2 ** 64  # an int, not a float


def _link_by_json(data: bytes) -> object:
    try:
        record = json.loads(data)
    except ValueError:
        return ValueError
    if not isinstance(record, dict):
        return (False, None, None)
    return (True, record.get("prev"), record.get("seq"))


def _link_by_chain(data: bytes) -> object:
    try:
        return link_of(data)
    except ValueError:
        return ValueError


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.booleans(), st.booleans())
def test_a_lines_link_is_exactly_what_json_loads_gives(value: object, ascii_only: bool,
                                                     as_line: bool) -> None:
    if as_line:  # a custody line: an object with prev and seq among other fields
        value = {"a": value, "prev": value, "seq": value, "z": [value]}
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert _same(_link_by_chain(data), _link_by_json(data))


@pytest.mark.parametrize("data", [
    b'{"prev":"a","prev":"b","seq":1}',  # the last of a repeated key, as json.loads
    b'{"x":"a\x01b","prev":"p","seq":1}',  # a control character in a string: not JSON
    b'{"x":"\\ud800","prev":"p","seq":1}',  # a lone surrogate: json.loads reads it
    b'{"x":NaN,"prev":"p","seq":1}', b'{"x":1e999,"prev":"p","seq":1}',
    b'{"x":01,"prev":"p"}', b'{"prev":"p","seq":1}x', b'{"x":[1,],"prev":"p"}',
    b'{"x":"\xff","prev":"p","seq":1}',  # not UTF-8
    "{\"x\":\"é\",\"prev\":\"p\",\"seq\":2}".encode(),
    b'{"prev":"p","seq":123456789012345678901234567890}', b'{"prev":"p","seq":1.0}',
    b'[1, 2]', b'"prev"', b'', b' {"prev": null} ', b'\xef\xbb\xbf{"prev":"p"}',
])
def test_odd_lines_link_as_json_loads_reads_them(data: bytes) -> None:
    assert _same(_link_by_chain(data), _link_by_json(data)), data

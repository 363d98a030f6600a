"""`custody.parse_line` reads JSON faster than json.loads and must give exactly its values.

verify parses every custody line and every metadata file with it; a value read otherwise
(orjson reads an integer beyond 64 bits as a float) would make the verified facts differ
from the index, or hide a difference.
"""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.custody_chain import parse_line

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
    if isinstance(a, list):
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

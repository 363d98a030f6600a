"""One month-name table (intake/months.py) for the logbook, OCR, e-mail and picture dates.

There were four, and they disagreed: the OCR reader of letters knew "november"
but not the French "novembre", so "Liège, le 3 novembre 2024" gave no date.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from intake.logtime import parse_date
from intake.months import ANY_LANGUAGE, FULL_NAMES, MONTHS, month_number
from plugins import _imagedates, _ocrtext

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("word", "table", "prefixes", "number"), [
    ("Novembre", FULL_NAMES, False, 11), ("février", FULL_NAMES, False, 2),
    ("Août", FULL_NAMES, False, 8), ("mrt", FULL_NAMES, False, None),
    ("mrt", MONTHS, False, 3), ("Sept.", MONTHS, False, 9), ("juil.", MONTHS, False, 7),
    ("Mär", MONTHS, False, 3), ("ott", MONTHS, False, None), ("ott", ANY_LANGUAGE, False, 10),
    ("Juillet", ANY_LANGUAGE, True, 7), ("Augu", ANY_LANGUAGE, True, 8),
    ("Augu", ANY_LANGUAGE, False, None), ("maandag", MONTHS, False, None),
])
def test_month_number(word, table, prefixes, number):
    assert month_number(word, table, prefixes=prefixes) == number


def test_the_views_nest_and_every_month_has_its_full_names():
    assert set(FULL_NAMES.items()) < set(MONTHS.items()) < set(ANY_LANGUAGE.items())
    for n in range(1, 13):
        names = {k for k, v in FULL_NAMES.items() if v == n}
        assert len(names) >= 2, n  # Dutch, French (and English where it differs)


def test_a_french_letter_dated_in_november_is_read():
    assert _ocrtext.written_date("Liège, le 3 novembre 2024\nMadame,") == (
        "2024-11-03", "Liège, le 3 novembre 2024")
    assert _ocrtext.written_date("Gent, 12 oktober 2024") == ("2024-10-12", "Gent, 12 oktober 2024")


def test_logbook_and_picture_text_read_the_same_names():
    assert parse_date("5 mrt 2024") == parse_date("5 mars 2024") == parse_date("5/3/2024")
    assert parse_date("1 sept. 2024").isoformat() == "2024-09-01"
    assert _imagedates.parse_text_time("Sat 01 Mär 2024 09:15:30 PM CET")[:2] == (
        "2024-03-01T21:15:30", "+01:00")


def test_no_other_month_table_is_left_in_the_code():
    """A second table is how they drifted apart: "januari" is written in one module only."""
    holders = sorted(str(p.relative_to(ROOT)) for folder in ("intake", "plugins")
                     for p in (ROOT / folder).rglob("*.py")
                     if re.search(r"[\"']januari[\"']", p.read_text(encoding="utf-8")))
    assert holders == ["intake/months.py"]

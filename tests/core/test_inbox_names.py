"""The inbox's temporary-name rule, now one regular expression (session 7): it must
answer exactly as the pattern-by-pattern fnmatch it replaced, for any name."""

from __future__ import annotations

import fnmatch

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.inbox import TEMP_PATTERNS, _match, is_temporary


def _reference(name: str, patterns: tuple[str, ...]) -> str | None:
    return next((p for p in patterns if fnmatch.fnmatchcase(name, p)
                 or fnmatch.fnmatchcase(name.lower(), p.lower())), None)


_PIECES = st.sampled_from(["a", "B", ".", "~", "$", "#", "!", "-", "part", "PART", "tmp",
                           "sb", "icloud", "DS_Store", "lock", "sync", "qB", "dropbox",
                           "Thumbs", "db", "é", "İ", " ", "\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=6).map("".join) | st.text(max_size=12))
def test_the_rule_answers_as_fnmatch_for_any_name(name: str) -> None:
    assert _match(name, TEMP_PATTERNS) == _reference(name, TEMP_PATTERNS)
    extra = ("*.bak", "Scan_[0-9]*")  # an adviser's inbox.ignore
    assert _match(name, TEMP_PATTERNS + extra) == _reference(name, TEMP_PATTERNS + extra)


def test_names_people_give_their_evidence() -> None:
    assert is_temporary("threat.tmp") and is_temporary("IMG_0001.JPG.PART")
    assert is_temporary("~$brief.docx") and is_temporary(".DS_Store")
    assert is_temporary("photo.jpg.sb-1a2b3c") and is_temporary("thumbs.DB")
    assert not is_temporary("IMG_0001.JPG") and not is_temporary("bericht-0001.eml")
    assert not is_temporary("tmp.txt") and not is_temporary("partial agreement.pdf")

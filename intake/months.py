"""Month names as people and programs write them: one table for the core and the plugins.

Keys are folded (lower case, accents taken off: ``février`` -> ``fevrier``);
look words up with `month_number`, which folds them the same way. Three
views of the one table, from strict to lenient:

- ``FULL_NAMES``: the whole names in Dutch, French and English (a date
  written in a letter, read by OCR: "12 oktober 2024", "3 novembre 2024");
- ``MONTHS``: those and their usual abbreviations in the same languages
  (the victim's logbook: "5 mrt 2024", "1 sept. 2024"; e-mail headers);
- ``ANY_LANGUAGE``: also the abbreviations other languages' programs write
  into pictures' text fields (German, Spanish, Italian, Portuguese,
  Romanian: "Mär", "ene", "ott", "dez").
"""

from __future__ import annotations

import unicodedata

_FULL = {
    1: ("januari", "janvier", "january"),
    2: ("februari", "fevrier", "february"),
    3: ("maart", "mars", "march"),
    4: ("april", "avril"),
    5: ("mei", "mai", "may"),
    6: ("juni", "juin", "june"),
    7: ("juli", "juillet", "july"),
    8: ("augustus", "aout", "august"),
    9: ("september", "septembre"),
    10: ("oktober", "octobre", "october"),
    11: ("november", "novembre"),
    12: ("december", "decembre"),
}
_SHORT = {
    1: ("jan", "janv"), 2: ("feb", "fev", "fevr"), 3: ("mar", "maa", "mrt"), 4: ("apr", "avr"),
    6: ("jun",), 7: ("jul", "juil"), 8: ("aug",), 9: ("sep", "sept"), 10: ("okt", "oct"),
    11: ("nov",), 12: ("dec",),
}
_OTHER_LANGUAGES = {
    1: ("ian", "ene", "gen"), 4: ("abr",), 5: ("mag",), 6: ("iun", "giu"), 7: ("iul", "lug"),
    8: ("ago",), 9: ("set",), 10: ("ott", "out"), 11: ("noi",), 12: ("dez", "dic"),
}


def _table(*parts: dict[int, tuple[str, ...]]) -> dict[str, int]:
    return {name: number for part in parts for number, names in part.items() for name in names}


FULL_NAMES: dict[str, int] = _table(_FULL)
MONTHS: dict[str, int] = _table(_FULL, _SHORT)
ANY_LANGUAGE: dict[str, int] = _table(_FULL, _SHORT, _OTHER_LANGUAGES)


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: words as the table holds them."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace("\u2019", "'").split())


def month_number(word: str, table: dict[str, int] = MONTHS, *,
                 prefixes: bool = False) -> int | None:
    """The month a word names (``"Sept."`` -> 9), or None.

    :param prefixes: also try the word's first four and three letters, as
        programs cut names anywhere ("Juill", "Augu").
    """
    token = fold(word).strip(".")
    found = table.get(token)
    if found is None and prefixes:
        found = table.get(token[:4]) or table.get(token[:3])
    return found

"""Every word a reader sees has a Dutch and a French translation, in good typography."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from intake import catalogues
from intake.i18n import format_params, translator
from intake.reports import labels as L
from intake.reports.dates import format_date

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", catalogues.TRANSLATED)
def test_every_message_id_has_a_translation(lang: str) -> None:
    missing = [f"{m.context or ''}|{m.msgid}" for m in catalogues.missing(lang)]
    assert missing == [], f"run 'make locale' and translate in {catalogues.po_path(lang)}"


@pytest.mark.parametrize("lang", catalogues.TRANSLATED)
def test_compiled_catalogue_matches_its_source(lang: str) -> None:
    assert catalogues.compiled_is_current(lang), "run 'make locale'"


def _flag_literals() -> set[str]:
    """Flag codes written in the code: string constants added to something called flags."""
    found: set[str] = set()
    for path in list((ROOT / "plugins").glob("*.py")) + list((ROOT / "intake").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            values: list[ast.AST] = []
            if isinstance(node, ast.keyword) and node.arg == "flags":
                values = [node.value]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in ("append", "add")
                  and "flag" in ast.unparse(node.func.value).lower()):
                values = list(node.args)
            elif isinstance(node, ast.Assign) and any(
                    "flags" in ast.unparse(t).lower() for t in node.targets):
                values = [node.value]
            for v in values:
                for c in ast.walk(v):
                    if (isinstance(c, ast.Constant) and isinstance(c.value, str)
                            and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+|[a-z]{4,}", c.value)):
                        found.add(c.value)
    return found


def test_every_flag_in_the_code_has_words_and_a_legend() -> None:
    ignore = {"flags", "file", "second", "minute", "day", "high", "medium", "low", "assumed", "utc", "explicit", "gps"}
    unknown = sorted(_flag_literals() - set(L.FLAGS) - ignore)
    assert unknown == [], "add these flags to intake/reports/labels.py FLAGS"


@pytest.mark.parametrize("lang", catalogues.TRANSLATED)
def test_kinds_categories_flags_meanings_and_sources_are_translated(lang: str) -> None:
    t = translator(lang)
    for table, context in ((L.KINDS, "kind"), (L.CATEGORY_NAMES, "category"),
                           (L.MEANINGS, "meaning"), (L.DIRECTIONS, "direction"),
                           (L.SOURCES, "source"), (L.SOURCE_PATTERNS, "source")):
        for english in table.values():
            assert t.has(english, context), (context, english)
    for name, legend in L.FLAGS.values():
        assert t.has(name, "flag") and t.has(legend, "flag-legend"), name
    from intake.types import CATEGORIES, MEANINGS
    assert set(CATEGORIES) <= set(L.CATEGORY_NAMES)
    assert set(MEANINGS) <= set(L.MEANINGS)


def test_french_typography_spaces_before_double_punctuation() -> None:
    from babel.messages.pofile import read_po

    with open(catalogues.po_path("fr"), "rb") as f:
        cat = read_po(f, locale="fr")
    bad = []
    for m in cat:
        if not m.id:
            continue  # the header
        for s in (m.string if isinstance(m.string, tuple) else (m.string,)):
            # "Date : 12" needs a no-break space before ":", ";", "?", "!" (not in
            # times like 02:33, URLs or {placeholders}).
            for hit in re.finditer(r"(?<![\d\s\u00a0\u202f/])[:;?!](?=\s|$)|(?<=\s)[:;?!]", s):
                before = s[max(0, hit.start() - 1):hit.start()]
                if before not in ("\u00a0", "\u202f"):
                    bad.append(s[max(0, hit.start() - 20):hit.end() + 5])
    assert bad == []


def test_parameters_are_filled_and_missing_ones_never_crash() -> None:
    assert format_params("Missed call from {number}", {"number": "+32468990123"}) == \
        "Missed call from +32468990123"
    assert format_params("SMS from {who}", {}) == "SMS from …"
    assert format_params("a {stray brace", {"x": 1}) == "a {stray brace"
    fr = translator("fr")
    assert fr.ngettext("{n} page", "{n} pages", 1) == "1 page"


def test_belgian_dates_long_and_short() -> None:
    assert translator("nl").date("2024-10-27", "long") == "27 oktober 2024"
    assert translator("fr").date("2024-10-27", "long") == "27 octobre 2024"
    assert translator("fr").date("2024-10-27") == "27/10/2024"
    assert format_date("2024-07-01", "nl") == "01/07/2024"


def _source_literals() -> set[str]:
    """Time sources written in the plugins' code: ``source="..."`` (an f-string's
    parts filled with ``X``), and the labels in their tables of time fields."""
    found: set[str] = set()
    for path in (ROOT / "plugins").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "source":
                v = node.value
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    found.add(v.value)
                elif isinstance(v, ast.JoinedStr):
                    found.add("".join(p.value if isinstance(p, ast.Constant) else "X"
                                      for p in v.values))
    from intake.builtin import _imaging

    found |= {row[3] for row in _imaging.EXIF_TIMES} | {row[1] for row in _imaging.XMP_TIMES}
    return found


def test_every_time_source_in_the_plugins_has_words() -> None:
    missing = sorted(s for s in _source_literals() if not L.has_source(s))
    assert missing == [], "add these to SOURCES or SOURCE_PATTERNS in intake/reports/labels.py"


def test_french_de_is_elided_before_a_vowel_and_nowhere_else() -> None:
    fr, nl = translator("fr"), translator("nl")
    msg = "WhatsApp message from {who}"
    assert fr.message(msg, {"who": "Anna"}) == "Message WhatsApp d'Anna"
    assert fr.message(msg, {"who": "Émile"}) == "Message WhatsApp d'Émile"
    assert fr.message(msg, {"who": "Kevin"}) == "Message WhatsApp de Kevin"
    assert fr.message(msg, {"who": "+32468990123"}) == "Message WhatsApp de +32468990123"
    assert nl.message(msg, {"who": "Anna"}) == "WhatsApp-bericht van Anna"
    assert translator("en").message(msg, {"who": "Anna"}) == "WhatsApp message from Anna"

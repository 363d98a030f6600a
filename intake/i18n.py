"""Words people read, in the case's language: gettext catalogues (nl, fr, en).

Every word a report, the CLI or a plugin's event shows a reader comes from
the catalogues in ``intake/locale/<lang>/LC_MESSAGES/intake.po`` (compiled to
``intake.mo`` beside it; both are committed, see docs/i18n.md). The message
ids are the English text, with named ``{parameters}``; English therefore
needs no catalogue, Dutch and French do, and a translator edits only the
``.po`` files.

The API, for the core, report writers and plugins::

    from intake.i18n import translator, N_
    t = translator("fr")
    _ = t.gettext
    _("Missed call from {number}", number="+32468990123")
    t.ngettext("{n} page", "{n} pages", 3)          # n is a parameter too
    t.pgettext("col_date", "Date")                  # a context tells equal ids apart
    t.message(event_message_id, facts)              # a plugin's message id with its facts

``N_("...")`` only marks a text as a message id (it returns it unchanged), so
that ``make locale`` finds it; translate it later with a translator. A
parameter that is missing shows as ``…``, never as a crash.

Plugins never write sentences for reports: an event carries a message id
(``Event.message``, e.g. ``N_("SMS from {who}")``) whose parameters are the
event's facts (plus ``who`` and ``to``); the report translates it.
"""

from __future__ import annotations

import gettext as _gettext
import re
import string
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["LANGUAGES", "DEFAULT", "DOMAIN", "LOCALE_DIR", "N_", "Translator", "language",
           "translator", "format_params"]

LANGUAGES = ("nl", "fr", "en")
DEFAULT = "nl"
DOMAIN = "intake"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Babel locales for dates: Belgian Dutch and French.
BABEL_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_BE"}
MISSING = "…"


def N_(msgid: str) -> str:
    """Mark `msgid` as a message id to translate later; returns it unchanged."""
    return msgid


def language(code: str | None) -> str:
    """The language for a requested code (``fr``, ``fr_BE``, ``NL-be``): nl, fr or en; else nl."""
    text = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return text if text in LANGUAGES else DEFAULT


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return MISSING


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None else value


#: French "de" before a value that starts with a vowel is written "d'" ("d'Anna").
_DE_BEFORE = re.compile(r"(^|[\s(«\u00a0])([Dd])e $")
_VOWEL = re.compile(r"[AEIOUYÀÂÄÆÉÈÊËÎÏÔÖŒÙÛÜaeiouyàâäæéèêëîïôöœùûü]")


def format_params(text: str, params: Mapping[str, Any] | None, *, elide: bool = False) -> str:
    """Fill the ``{name}`` parameters of `text`; unknown or bad ones show as ``…``.

    :param elide: French: "de {who}" becomes "d'Anna" when the value starts with a vowel.
    """
    if not params and "{" not in text:
        return text
    values = _Params({str(k): _plain(v) for k, v in (params or {}).items()})
    out = []
    try:
        for literal, field, spec, conv in string.Formatter().parse(text):
            out.append(literal)
            if field is None:
                continue
            name = field.split(".")[0].split("[")[0]
            value = values[name] if name else MISSING
            try:
                if conv == "r":
                    value = repr(value)
                filled = format(value, spec or "")
            except (ValueError, TypeError):
                filled = str(value)
            if elide and literal and _VOWEL.match(filled):
                out[-1] = _DE_BEFORE.sub(r"\1\2'", literal)
            out.append(filled)
    except ValueError:  # a stray brace: show the text as it is
        return text
    return "".join(out)


class Translator:
    """The words of one language. Get one with `translator(lang)`."""

    def __init__(self, lang: str, catalogue: _gettext.NullTranslations):
        self.lang = lang
        self._cat = catalogue

    def has(self, msgid: str, context: str | None = None) -> bool:
        """Whether the catalogue holds a translation (English always has one)."""
        if self.lang == "en":
            return True
        key = f"{context}\x04{msgid}" if context else msgid
        return key in getattr(self._cat, "_catalog", {})

    def fill(self, text: str, params: Mapping[str, Any] | None) -> str:
        """`text` of this language with its parameters (French elision included)."""
        return format_params(text, params, elide=self.lang == "fr")

    def gettext(self, msgid: str, **params: Any) -> str:
        return self.fill(self._cat.gettext(msgid), params) if params else \
            self._cat.gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        return self.fill(self._cat.ngettext(singular, plural, n), {"n": n, **params})

    def pgettext(self, context: str, msgid: str, **params: Any) -> str:
        text = self._cat.pgettext(context, msgid)
        return self.fill(text, params) if params else text

    def message(self, msgid: str, params: Mapping[str, Any] | None = None) -> str:
        """A plugin's message id, translated, its parameters filled from `params`."""
        return self.fill(self._cat.gettext(msgid), params or {})

    def date(self, iso: str | date | None, style: str = "short") -> str:
        """A date as Belgians write it: ``27/10/2024`` (short) or ``27 oktober 2024``
        / ``27 octobre 2024`` (long). Text that is not a date is returned as is."""
        if isinstance(iso, date):
            day = iso
        else:
            try:
                day = date.fromisoformat(str(iso or "")[:10])
            except ValueError:
                return str(iso or "")
        if style == "long":
            from babel.dates import format_date

            return format_date(day, "d MMMM y", locale=BABEL_LOCALES[self.lang])
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


@lru_cache(maxsize=8)
def translator(lang: str | None) -> Translator:
    """The translator for `lang` (nl, fr or en; anything else is nl)."""
    code = language(lang)
    if code == "en":
        return Translator(code, _gettext.NullTranslations())
    cat = _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[code],
                               fallback=True)
    return Translator(code, cat)

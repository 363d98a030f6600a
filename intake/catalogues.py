"""Keeping the gettext catalogues in step with the code (``make locale``).

Run ``python -m intake.catalogues`` after adding or changing any text a
reader sees: it collects every message id the code uses (the report labels
and vocabulary tables, the core's reasons, and every ``N_()``, ``_()``,
``gettext()``, ``ngettext()`` and ``pgettext()`` call in ``intake/`` and
``plugins/``), adds the new ones to ``intake/locale/{nl,fr}/LC_MESSAGES/intake.po``
with an empty translation, keeps every existing translation, and compiles each
``.po`` into the ``.mo`` the program reads. ``--check`` changes nothing and
exits 1 if a message lacks a translation or a ``.mo`` is out of date.

Both files are committed: a plain ``pip install .`` then ships the compiled
catalogues with no build step (docs/i18n.md). Needs Babel (a dependency).
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .i18n import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
#: Languages with a catalogue (English is the message ids themselves).
TRANSLATED = ("nl", "fr")
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2),
            "pgettext": ((1, "c"), 2)}
#: Fixed header dates, so that the same messages give the same bytes.
FIXED_DATE = datetime(2024, 1, 1)


@dataclass(frozen=True)
class Msg:
    context: str | None
    msgid: str
    plural: str | None = None
    where: str = ""


def code_messages() -> list[Msg]:
    """Every message id marked in the Python code of intake/ and plugins/."""
    from babel.messages.extract import extract_from_dir

    out = []
    for folder in ("intake", "plugins"):
        base = ROOT / folder
        if not base.is_dir():
            continue
        for fname, lineno, message, _comments, context in extract_from_dir(
                str(base), method_map=[("**.py", "python")], keywords=KEYWORDS,
                comment_tags=(), strip_comment_tags=True):
            if isinstance(message, tuple):
                msgid, plural = message[0], message[1]
            else:
                msgid, plural = message, None
            if msgid:
                out.append(Msg(context, msgid, plural, f"{folder}/{fname}:{lineno}"))
    out += template_messages()
    return out


def template_messages() -> list[Msg]:
    """Every ``_()`` and ``ngettext()`` in the pages of ``intake serve`` (Jinja2)."""
    from babel.messages.extract import extract_from_dir

    base = ROOT / "intake" / "web" / "templates"
    out = []
    for fname, lineno, message, _comments, context in extract_from_dir(
            str(base), method_map=[("**.html", "jinja2.ext:babel_extract")], keywords=KEYWORDS,
            comment_tags=(), strip_comment_tags=True):
        msgid, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        if msgid:
            out.append(Msg(context, msgid, plural, f"intake/web/templates/{fname}:{lineno}"))
    return out


def table_messages() -> list[Msg]:
    """The report labels, vocabularies and the core's reasons."""
    from .messages import REASONS
    from .reports import labels as L

    out = [Msg(k, v, where="labels") for k, v in L.LABELS.items() if k not in L.EN_ONLY]
    out += [Msg("kind", v, where="kinds") for v in L.KINDS.values()]
    out += [Msg("category", v, where="categories") for v in L.CATEGORY_NAMES.values()]
    for name, legend in L.FLAGS.values():
        out += [Msg("flag", name, where="flags"), Msg("flag-legend", legend, where="flags")]
    out += [Msg("meaning", v, where="meanings") for v in L.MEANINGS.values()]
    out += [Msg("direction", v, where="directions") for v in L.DIRECTIONS.values()]
    out += [Msg("source", v, where="sources") for v in L.SOURCES.values()]
    out += [Msg("source", v, where="sources") for v in L.SOURCE_PATTERNS.values()]
    out += [Msg("reason", r, where="reasons") for r in REASONS]
    return out


def all_messages() -> list[Msg]:
    """Every message id, once, in a stable order (tables first, then the code's)."""
    seen: dict[tuple[str | None, str], Msg] = {}
    for m in table_messages() + code_messages():
        seen.setdefault((m.context, m.msgid), m)
    return list(seen.values())


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(lang: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = po_path(lang)
    if path.exists():
        with open(path, "rb") as f:
            return read_po(f, locale=lang, domain=DOMAIN)
    return Catalog(locale=lang, domain=DOMAIN)


def updated_catalogue(lang: str):
    """The catalogue for `lang` with every current message, old translations kept."""
    from babel.messages.catalog import Catalog

    old = _read(lang)
    cat = Catalog(locale=lang, domain=DOMAIN, project="intake", version="",
                  creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                  language_team=f"{lang} <intake>", fuzzy=False)
    for m in all_messages():
        key = (m.msgid, m.plural) if m.plural else m.msgid
        prev = old.get(key, context=m.context) or old.get(m.msgid, context=m.context)
        string = prev.string if prev is not None else ("", "") if m.plural else ""
        if m.plural and isinstance(string, str):
            string = (string, string)
        cat.add(key, string, context=m.context, auto_comments=(m.where,) if m.where else ())
    return cat


def po_bytes(cat) -> bytes:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, cat, width=100, sort_output=False, include_lineno=False,
             ignore_obsolete=True)
    return buf.getvalue()


def mo_bytes(cat) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)
    return buf.getvalue()


def missing(lang: str) -> list[Msg]:
    """Messages the code uses that the committed `lang` catalogue does not translate."""
    cat = _read(lang)
    out = []
    for m in all_messages():
        key = (m.msgid, m.plural) if m.plural else m.msgid
        found = cat.get(key, context=m.context) or cat.get(m.msgid, context=m.context)
        strings = found.string if found is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if found is None or found.fuzzy or not all(s.strip() for s in strings):
            out.append(m)
    return out


def compiled_is_current(lang: str) -> bool:
    """Whether the committed .mo holds exactly the translations of the committed .po
    (compared message by message, so that another Babel version's header does not matter)."""
    import gettext

    mo = po_path(lang).with_suffix(".mo")
    if not mo.exists():
        return False
    with open(mo, "rb") as f:
        have = dict(gettext.GNUTranslations(f)._catalog)
    want = dict(gettext.GNUTranslations(io.BytesIO(mo_bytes(_read(lang))))._catalog)
    have.pop("", None)
    want.pop("", None)
    return have == want


def update() -> list[str]:
    """Merge new message ids into the .po files and compile the .mo files."""
    report = []
    for lang in TRANSLATED:
        cat = updated_catalogue(lang)
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(po_bytes(cat))
        with open(path, "rb") as f:
            from babel.messages.pofile import read_po

            cat = read_po(f, locale=lang, domain=DOMAIN)
        path.with_suffix(".mo").write_bytes(mo_bytes(cat))
        todo = missing(lang)
        report.append(f"{path.relative_to(ROOT)}: {len(cat)} messages, "
                      f"{len(todo)} without a translation")
    return report


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = 0
        for lang in TRANSLATED:
            for m in missing(lang):
                print(f"{lang}: no translation for {m.msgid!r}"
                      + (f" (context {m.context})" if m.context else "") + f" [{m.where}]")
                bad += 1
            if not compiled_is_current(lang):
                print(f"{lang}: {po_path(lang).with_suffix('.mo').name} is out of date: "
                      "run make locale")
                bad += 1
        return 1 if bad else 0
    for line in update():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

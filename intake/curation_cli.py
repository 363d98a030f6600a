"""``intake person ...`` and ``intake entry ...``: the adviser's decisions, from the CLI.

Each command that decides something writes one curation record
(intake/curation.py); nothing here touches an item. Registered on the main
command group by ``register(cli)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .cli_common import case_option, console, open_case, print_json
from .curation import (
    REPORTS,
    ROLES,
    decide,
    fold_persons,
    identifier,
    next_person_id,
    resolve_entries,
    store_record,
)
from .errors import IntakeError


def register(cli: click.Group) -> None:
    """Add the ``person`` and ``entry`` groups to the main command group."""
    cli.add_command(person)
    cli.add_command(entry)



def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")(f)


def _open(case_dir: Path, write: bool = True):
    return open_case(case_dir, write=write)


def _echo(value: Any) -> None:
    print_json(value)


def _say(text: str) -> None:
    console.print(text, markup=False)


# --------------------------------------------------------------------------- persons

@click.group()
def person() -> None:
    """The people of the case (victim, suspects, witnesses) and their numbers and addresses."""


def _words(case: Any) -> Any:
    from .i18n import translator

    return translator(case.config.language)


def _person_line(p: dict, t: Any) -> str:
    ids = ", ".join(i["value"] for i in p["identifiers"]) or t.gettext("no identifiers")
    role = {"victim": t.pgettext("role", "victim"), "suspect": t.pgettext("role", "suspect"),
            "witness": t.pgettext("role", "witness"), "friend": t.pgettext("role", "friend"),
            "other": t.pgettext("role", "other")}.get(p["role"], p["role"])
    return f"{p['id']}  {role:<8} {p['name'] or t.gettext('(no name)')}: {ids}" + (
        f"  [{p['note']}]" if p.get("note") else "")


@person.command("add")
@case_option
@json_option
@click.option("--role", type=click.Choice(ROLES), help="victim, suspect, witness, friend, other.")
@click.option("--name", default="", help="The person's name as the adviser writes it.")
@click.option("--phone", "phones", multiple=True, help="A phone number, any form (repeat).")
@click.option("--email", "emails", multiple=True, help="An e-mail address (repeat).")
@click.option("--handle", "handles", multiple=True,
              help="A name or handle as chats show it, e.g. 'Kevin' or '@kev' (repeat).")
@click.option("--note", default="", help="A short note about the person.")
@click.option("--to", "existing", help="Add these identifiers to person pN instead.")
def person_add(case_dir: Path, as_json: bool, role: str | None, name: str,
               phones: tuple[str, ...], emails: tuple[str, ...], handles: tuple[str, ...],
               note: str, existing: str | None) -> None:
    """Add a person, or (with --to pN) more identifiers to one."""
    with _open(case_dir) as case:
        t = _words(case)
        idents = ([identifier("phone", p) for p in phones]
                  + [identifier("email", e) for e in emails]
                  + [identifier("handle", h) for h in handles])
        records = case.index.curation_records()
        known = {p["id"] for p in fold_persons(records)}
        if existing:
            if existing not in known:
                raise IntakeError(f"there is no person {existing}; see 'intake person list'")
            pid = existing
        else:
            if not role:
                raise IntakeError("say who this is: --role victim, suspect, witness, friend "
                                  "or other")
            if not name and not idents:
                raise IntakeError("give a --name or at least one --phone, --email or --handle")
            pid = next_person_id(records)
        store_record(case, {"kind": "person", "action": "add", "person": pid,
                            "role": role or "", "name": name.strip(), "note": note.strip(),
                            "identifiers": idents})
        result = next(p for p in fold_persons(case.index.curation_records()) if p["id"] == pid)
    if as_json:
        _echo(result)
    else:
        line = _person_line(result, t)
        _say(t.gettext("Updated: {person}", person=line) if existing
             else t.gettext("Added: {person}", person=line))


@person.command("list")
@case_option
@json_option
def person_list(case_dir: Path, as_json: bool) -> None:
    """The persons of the case, with their identifiers (phone numbers in E.164)."""
    with _open(case_dir, write=False) as case:
        people = fold_persons(case.index.curation_records())
        t = _words(case)
    if as_json:
        _echo(people)
        return
    if not people:
        _say(t.gettext("No persons yet: add them with 'intake person add --role suspect "
                       "--name ...'."))
    for p in people:
        _say(_person_line(p, t))


@person.command("remove")
@case_option
@json_option
@click.argument("person_id")
def person_remove(case_dir: Path, as_json: bool, person_id: str) -> None:
    """Remove a person (a record saying so; the earlier records stay in the log)."""
    with _open(case_dir) as case:
        if person_id not in {p["id"] for p in fold_persons(case.index.curation_records())}:
            raise IntakeError(f"there is no person {person_id}; see 'intake person list'")
        rec = store_record(case, {"kind": "person", "action": "remove", "person": person_id})
        t = _words(case)
    if as_json:
        _echo({"removed": person_id, "record": rec["rid"]})
    else:
        _say(t.gettext("Removed {person}.", person=person_id))


# --------------------------------------------------------------------------- entries

@click.group()
def entry() -> None:
    """The adviser's notes, tags, stars and choices on chronology entries.

    ENTRY is an entry's id (e-…, from 'intake entry list'; a unique start of
    it is enough) or its number in the chronology as it stands now.
    """


def _summary(e: dict) -> dict:
    return {"id": e["id"], "number": e["number"], "local": e.get("local"), "kind": e["kind"],
            "what": e.get("what", ""), "category": e.get("category", ""),
            "persons": e.get("persons", []), "curation": e.get("curation", {})}


def _entry_line(e: dict, lang: str) -> str:
    """One entry on one line, in the case's language (the headline the reports show)."""
    from .i18n import translator
    from .reports.entryview import headline
    from .reports.labels import kind_name

    t = translator(lang)
    c = e.get("curation") or {}
    marks = ("*" if c.get("star") else " ")
    extra = []
    if c.get("tags"):
        extra.append(t.gettext("tags: {tags}", tags=", ".join(c["tags"])))
    decided = {("include", "police"): t.gettext("included in the police report"),
               ("exclude", "police"): t.gettext("excluded from the police report"),
               ("include", "ombudsman"): t.gettext("included in the ombudsman request"),
               ("exclude", "ombudsman"): t.gettext("excluded from the ombudsman request")}
    for report in REPORTS:
        if c.get(report):
            extra.append(decided.get((c[report], report), f"{c[report]} {report}"))
    if c.get("note"):
        extra.append(t.gettext("note: {note}", note=c["note"]))
    when = (e.get("local") or t.gettext("undated"))[:19].replace("T", " ")
    what = headline(e, lang)[:70]
    return (f"{marks}{e['number']:>5}  {e['id']}  {when:<19}  {kind_name(e['kind'], lang):<10} "
            f"{what}" + (f"  [{'; '.join(extra)}]" if extra else ""))


def _decide(case_dir: Path, refs: tuple[str, ...], data: dict, as_json: bool,
            kinds: tuple[str, ...] | None = None) -> None:
    with _open(case_dir) as case:
        done = decide(case, refs, data, kinds)
        lang = case.config.language
    if as_json:
        _echo([_summary(e) for e in done])
    else:
        for e in done:
            _say(_entry_line(e, lang))


@entry.command("list")
@case_option
@json_option
@click.option("--kind", "kinds", multiple=True, help="Only entries of this kind (repeat).")
@click.option("--starred", is_flag=True, help="Only starred entries.")
@click.option("--tag", "tags", multiple=True, help="Only entries with this tag (repeat).")
@click.option("--ombudsman", is_flag=True, help="Only what the ombudsman request holds.")
def entry_list(case_dir: Path, as_json: bool, kinds: tuple[str, ...], starred: bool,
               tags: tuple[str, ...], ombudsman: bool) -> None:
    """The chronology's entries with their ids and the adviser's decisions."""
    from .reporting import build_doc
    from .reports.ombudsman import selected_entries

    with _open(case_dir, write=False) as case:
        doc = build_doc(case)
        lang = case.config.language
    entries = selected_entries(doc) if ombudsman else doc["entries"] + doc["undated"]
    entries = [e for e in entries
               if (not kinds or e["kind"] in kinds)
               and (not starred or e["curation"]["star"])
               and all(t in e["curation"]["tags"] for t in tags)]
    if as_json:
        _echo([_summary(e) for e in entries])
        return
    for e in entries:
        _say(_entry_line(e, lang))
    _say(_words(case).ngettext("{n} entry.", "{n} entries.", len(entries)))


@entry.command("show")
@case_option
@json_option
@click.argument("ref")
def entry_show(case_dir: Path, as_json: bool, ref: str) -> None:
    """One entry in full, with the records that decided its curation."""
    from .reporting import build_doc

    with _open(case_dir, write=False) as case:
        e = resolve_entries(build_doc(case), [ref])[0]
        records = [r for r in case.index.curation_records()
                   if r["rid"] in set(e["curation"]["records"])]
    if as_json:
        _echo({**e, "records": records})
        return
    lang = case.config.language
    _say(_entry_line(e, lang))
    from .reports import entryview

    text = entryview.shown_text(e, case.config.language, "")
    if text:
        _say("   " + text.replace("\n", "\n   "))
    for r in records:
        _say("   " + _words(case).gettext(
            "{at}  {action} {value}  (record {record}, custody line {seq})", at=r["at"],
            action=r["action"], value=r.get("value", ""), record=r["rid"], seq=r["seq"]))


@entry.command("note")
@case_option
@json_option
@click.argument("ref")
@click.argument("text")
def entry_note(case_dir: Path, as_json: bool, ref: str, text: str) -> None:
    """Set the adviser's note on ENTRY (e.g. "stil", "bedreigingen"); "" removes it."""
    _decide(case_dir, (ref,), {"action": "note", "value": text.strip()}, as_json)


@entry.command("tag")
@case_option
@json_option
@click.argument("ref")
@click.argument("tags", nargs=-1, required=True)
def entry_tag(case_dir: Path, as_json: bool, ref: str, tags: tuple[str, ...]) -> None:
    """Add one or more tags to ENTRY."""
    _decide(case_dir, (ref,), {"action": "tag", "value": sorted({t.strip() for t in tags
                                                                  if t.strip()})}, as_json)


@entry.command("untag")
@case_option
@json_option
@click.argument("ref")
@click.argument("tags", nargs=-1, required=True)
def entry_untag(case_dir: Path, as_json: bool, ref: str, tags: tuple[str, ...]) -> None:
    """Remove tags from ENTRY."""
    _decide(case_dir, (ref,), {"action": "untag", "value": sorted({t.strip() for t in tags})},
            as_json)


@entry.command("star")
@case_option
@json_option
@click.argument("refs", nargs=-1)
def entry_star(case_dir: Path, as_json: bool, refs: tuple[str, ...]) -> None:
    """Star entries (what matters most)."""
    _decide(case_dir, refs, {"action": "star"}, as_json)


@entry.command("unstar")
@case_option
@json_option
@click.argument("refs", nargs=-1)
def entry_unstar(case_dir: Path, as_json: bool, refs: tuple[str, ...]) -> None:
    """Take the star off entries."""
    _decide(case_dir, refs, {"action": "unstar"}, as_json)


_FOR = click.option("--for", "reports", type=click.Choice([*REPORTS, "both"]), required=True,
                    help="The police report, the ombudsman request, or both.")


def _reports(value: str) -> list[str]:
    return list(REPORTS) if value == "both" else [value]


@entry.command("include")
@case_option
@json_option
@_FOR
@click.argument("refs", nargs=-1)
def entry_include(case_dir: Path, as_json: bool, reports: str, refs: tuple[str, ...]) -> None:
    """Put entries in the police report or the ombudsman request, whatever the rule says."""
    kinds = ("call", "sms", "mms") if "ombudsman" in _reports(reports) else None
    _decide(case_dir, refs, {"action": "include", "value": _reports(reports)}, as_json, kinds)


@entry.command("exclude")
@case_option
@json_option
@_FOR
@click.argument("refs", nargs=-1)
def entry_exclude(case_dir: Path, as_json: bool, reports: str, refs: tuple[str, ...]) -> None:
    """Leave entries out of the police report or the ombudsman request."""
    _decide(case_dir, refs, {"action": "exclude", "value": _reports(reports)}, as_json)


@entry.command("default")
@case_option
@json_option
@_FOR
@click.argument("refs", nargs=-1)
def entry_default(case_dir: Path, as_json: bool, reports: str, refs: tuple[str, ...]) -> None:
    """Undo include/exclude: the report's own rule decides again."""
    _decide(case_dir, refs, {"action": "default", "value": _reports(reports)}, as_json)

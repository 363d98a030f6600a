"""``intake status``: what the case holds, what waits and why, in the case's language.

Registered on the main command group by ``register(cli)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from .cli_common import case_option, console, errors, json_option, open_case, print_json
from .devices import where_copies_are
from .messages import translate
from .seal.cli import status_of


def register(cli: click.Group) -> None:
    """Add ``status`` to the main command group."""
    cli.add_command(status)


def _print_copies(copies: dict, _: Callable[..., str]) -> None:
    """Which device holds which replicas, and the one-device warning (once per command)."""
    for d in copies["devices"]:
        names = ", ".join(d["replicas"])
        if d["free_bytes"] is None:
            console.print(_("  on {where}: replica {names}", where=d["where"], names=names),
                          markup=False)
        else:
            free = format(d["free_bytes"] / 1e9, ".1f")
            console.print(_("  on {where}, {free} GB free: replica {names}", where=d["where"],
                            free=free, names=names), markup=False)
    if copies["one_device_warning_shown"]:
        console.print(copies["one_device_warning_shown"], markup=False)


@click.command()
@case_option
@json_option
def status(case_dir: Path, as_json: bool) -> None:
    """Items, receipts, replicas and their health, what waits, what has warnings."""
    from .checks import status as get_status

    with open_case(case_dir, write=False) as case:
        s = get_status(case)
        s["copies"] = where_copies_are(case)
        seal_state = status_of(case)
        if seal_state is not None:
            s["seal"] = seal_state
        lang = case.config.language
    if as_json:
        print_json(s)
        return
    c = s["counts"]
    from .i18n import translator

    t = translator(lang)
    _ = t.gettext
    ngettext = t.ngettext
    console.print(_("Case {case}: {items} ({derived} found inside other files), "
                    "{receipts}, {events}, {lines}",
                    case=s["case"], items=ngettext("{n} item", "{n} items", c["items"]),
                    derived=c["derived_items"],
                    receipts=ngettext("{n} receipt", "{n} receipts", c["receipts"]),
                    events=ngettext("{n} event", "{n} events", c["events"]),
                    lines=ngettext("{n} custody line", "{n} custody lines", s["custody_lines"])),
                  markup=False)
    console.print(_("Custody log head: line {seq}, SHA-256 {head}", seq=s["custody_lines"],
                    head=s["custody_head"]), markup=False)
    for words in s["custody_rollback"]:
        errors.print(_("WARNING: {words}", words=words), markup=False)
    if not s["index_up_to_date"]:
        console.print(_("The index is behind the custody log; run 'intake reindex' "
                        "(or any command that stores files) to bring it up to date."),
                      markup=False)
    for r in s["replicas"]:
        state = (ngettext("{n} item", "{n} items", r["items"]) if r["available"]
                 else _("NOT AVAILABLE: {reason}", reason=translate(r["reason"], lang)))
        console.print(_("  replica {name} ({path}): {state}", name=r["name"], path=r["path"],
                        state=state), markup=False)
    _print_copies(s["copies"], _)
    if s["waiting_for_copies"]:
        console.print(ngettext("{n} item waits for copies in: {replicas}",
                               "{n} items wait for copies in: {replicas}",
                               len(s["waiting_for_copies"]), replicas=", ".join(sorted(
                                   {n for w in s["waiting_for_copies"] for n in w["missing_in"]}))),
                      markup=False)
    if s.get("seal") and s["seal"]["awaiting_timestamp"]:
        console.print(ngettext("{n} item waits for a timestamp (since {since}); 'intake seal' "
                               "asks the TSA now",
                               "{n} items wait for a timestamp (since {since}); 'intake seal' asks "
                               "the TSA now", s["seal"]["awaiting_timestamp"],
                               since=s["seal"]["awaiting_since"]), markup=False)
    if s["originals_still_in_inbox"]:
        console.print(ngettext("{n} original still in the inbox (waiting for min_copies = {min})",
                               "{n} originals still in the inbox (waiting for min_copies = {min})",
                               len(s["originals_still_in_inbox"]), min=s["min_copies"]),
                      markup=False)
    for p in s["files_not_taken"]:
        console.print(_("  not taken: {source}: {reason}", source=p["source"],
                        reason=translate(p["reason"], lang)), markup=False)
    if s["not_extracted"]:
        console.print(ngettext("{n} item stored but not read by the plugins yet: {reason}",
                               "{n} items stored but not read by the plugins yet: {reason}",
                               len(s["not_extracted"]),
                               reason=translate(s["not_extracted"][0]["reason"], lang)),
                      markup=False)
    if s["left_in_inbox"]:
        console.print(ngettext("{n} file or folder left in the inbox:",
                               "{n} files or folders left in the inbox:", len(s["left_in_inbox"])),
                      markup=False)
    for p in s["left_in_inbox"]:
        console.print(_("  left: {path}: {reason}", path=p["path"],
                        reason=translate(p["reason"], lang)), markup=False)
    if s["ocr_not_read"]:
        console.print(ngettext("{n} picture whose text was not read: {reason}",
                               "{n} pictures whose text was not read: {reason}",
                               s["ocr_not_read"]["count"],
                               reason=translate(s["ocr_not_read"]["reason"], lang)),
                      markup=False)
    if s["items_with_warnings"]:
        console.print(ngettext("{n} item with warnings:", "{n} items with warnings:",
                               len(s["items_with_warnings"])), markup=False)
        for w in s["items_with_warnings"]:
            name = w["names"][0] if w["names"] else w["sha256"][:12]
            more = len(w["warnings"]) - 1
            console.print(f"  {name}: {translate(w['warnings'][0], lang)}"
                          + (" " + _("(+{n} more)", n=more) if more else ""), markup=False)

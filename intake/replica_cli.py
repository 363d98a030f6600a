"""``intake replica add PATH`` and ``intake replica list``: a second place in one command.

Registered on the main command group by ``register(cli)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from .cli_common import case_option, console, json_option
from .cli_common import print_json as _print_json
from .cli_common import progress as _progress
from .devices import place_of, where_copies_are
from .errors import IntakeError, VerifyFailed
from .i18n import translator
from .messages import translate


def register(cli: click.Group) -> None:
    """Add the ``replica`` group to the main command group."""
    cli.add_command(replica)


@click.group()
def replica() -> None:
    """The replicas: complete copies of the store (add a USB stick, list them)."""


@replica.command("add")
@case_option
@json_option
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="A short name for it (default: from the folder's name).")
def replica_add(case_dir: Path, as_json: bool, path: Path, name: str | None) -> None:
    """Add PATH (e.g. a folder on a USB stick) as a replica and copy everything there."""
    from .case import Case
    from .replica_admin import (
        add_to_config,
        choose_name,
        completeness,
        fill,
        prepare_folder,
        write_config,
    )

    with Case.open(case_dir) as case:  # holds the lock: no watcher writes meanwhile
        if any(r.root.resolve() == Path(path).resolve() for r in case.replicas
               if hasattr(r, "root")):
            raise IntakeError(f"{Path(path).resolve()} is already a replica of this case")
        folder, made = prepare_folder(path)
        name = choose_name(case, folder, name)
        config_path = case.config.case_dir / "config" / "intake.toml"
        try:
            old_config = add_to_config(case.config.case_dir, name, folder)
        except BaseException:
            if made:
                folder.rmdir()  # made a moment ago, still empty
            raise
    try:
        case = Case.open(case_dir)
    except BaseException:
        write_config(config_path, old_config)
        raise
    with case:
        rep = case.replica(name)
        if rep is None or rep not in case.available:
            reason = translate(case.unavailable.get(name, "it could not be opened"),
                               case.config.language)
        else:
            reason = ""
            total = len(case.index.all_items()) + len(case.index.meta_hashes())
            with _progress(not as_json) as progress:
                bar = progress.add_task(f"Copying to {name}", total=total)
                copied = fill(case, rep, lambda: progress.advance(bar))
            items, metas = len(case.index.all_items()), len(case.index.meta_hashes())
            case.log.event("replica-added", replica=name, path=str(folder), items=items,
                           copied=copied["items"])
            case.log.sync()
            lacking = completeness(case, rep)
            lines = case.log.seq
            copies = where_copies_are(case)
    if reason:
        write_config(config_path, old_config)
        raise IntakeError(f"{folder} cannot be used as a replica: {reason}; "
                          "the config is unchanged")
    if as_json:
        _print_json({"replica": name, "path": str(folder), "items": items, "meta": metas,
                     "copied": copied, "custody_lines": lines, "complete": not lacking,
                     "lacking": lacking, "copies": copies})
    else:
        t = translator(case.config.language)
        _, ngettext = t.gettext, t.ngettext
        console.print(_("Replica {name} added in {folder} (config/intake.toml updated).",
                        name=name, folder=folder), markup=False)
        if not lacking:
            console.print(_("It holds everything, checked by hash: {items}, {metas} and "
                            "{lines} ({copied}).",
                            items=ngettext("{n} item", "{n} items", items),
                            metas=ngettext("{n} metadata file", "{n} metadata files", metas),
                            lines=ngettext("{n} custody line", "{n} custody lines", lines),
                            copied=ngettext("{n} item copied now", "{n} items copied now",
                                            copied["items"])), markup=False)
        for what in lacking:
            console.print(_("MISSING in {name}: {what}", name=name, what=what), markup=False)
        if copies["one_device_warning_shown"]:
            console.print(copies["one_device_warning_shown"], markup=False)
    if lacking:
        raise VerifyFailed(f"replica {name} does not hold everything yet ({len(lacking)} "
                           "missing); run 'intake repair'")


def _health(available: bool, unavailable: str, log_problem: str, missing: int,
            n: int) -> Callable[[str], str]:
    """A replica's health in a language's words, counted in the singular or plural."""
    def words(lang: str) -> str:
        t = translator(lang)
        if not available:
            return translate(unavailable, lang)
        if log_problem:
            return t.gettext("custody log: {problem}", problem=log_problem)
        if missing:
            return t.ngettext("lacks the one item", "lacks {missing} of {n} items", n,
                              missing=missing)
        if not n:
            return t.gettext("holds no items yet")
        return t.ngettext("holds the one item", "holds all {n} items", n)
    return words


@replica.command("list")
@case_option
@json_option
def replica_list(case_dir: Path, as_json: bool) -> None:
    """Each replica with its device, free space and health."""
    from .case import Case

    with Case.open(case_dir, write=False) as case:
        items = set(case.index.all_items())
        rows = []
        for rep in case.replicas:
            place = place_of(rep, case.config.case_dir)
            available = rep in case.available
            held = set(rep.list_objects()) if available else set()
            log_problem = case.log.damaged.get(rep, "")
            health = _health(available, case.unavailable.get(rep.name, "not available"),
                             log_problem, len(items - held), len(items))
            rows.append({"name": rep.name, "path": rep.describe(),
                         "available": available, "device": place.where,
                         "this_computer": place.this_computer, "free_bytes": place.free_bytes,
                         "items": len(held & items), "missing_items": len(items - held),
                         "custody_problem": log_problem,  # health: English, like all JSON
                         "health": health("en"),
                         "health_shown": health(case.config.language)})
        copies = where_copies_are(case)
        _ = translator(case.config.language).gettext
    if as_json:
        _print_json({"replicas": rows, "copies": copies})
        return
    for r in rows:
        if r["free_bytes"] is None:
            line = _("{name}: {path} (on {device}): {health}", **r | {"health": r["health_shown"]})
        else:
            free = format(r["free_bytes"] / 1e9, ".1f")
            line = _("{name}: {path} (on {device}, {free} GB free): {health}",
                     **r | {"health": r["health_shown"], "free": free})
        console.print(line, markup=False)
    if copies["one_device_warning_shown"]:
        console.print(copies["one_device_warning_shown"], markup=False)

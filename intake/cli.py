"""The command line: the one place where exceptions become messages and exit codes.

Every command takes ``--case DIR`` (default: the current folder). Output is
for people; ``--json`` gives scripts something to read. No traceback unless
``--debug``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_common import case_option, console, errors, json_option  # shared by every command module
from .cli_common import open_case as _open
from .cli_common import print_json as _print_json
from .cli_common import progress as _progress
from .devices import where_copies_are
from .errors import IntakeError, VerifyFailed
from .extract_cli import extract_command, follow_rereading, waiting_line
from .messages import translate
from .seal.cli import (
    after_ingest,
    ask_secret,
    print_seal_summary,
    seal_problems,
    stamping,
    status_of,
)
from .types import CATEGORIES


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks when something fails.")
@click.option("--case", "case_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The case folder, for every command (same as the command's own --case).")
@click.version_option(__version__, prog_name="intake")
@click.pass_context
def cli(ctx: click.Context, debug: bool, case_dir: Path | None) -> None:
    """intake: keeps every file a victim drops, safely, and builds the chronology."""
    # --debug is read by main() from sys.argv, before click parses (it must catch click's errors).
    if case_dir is not None:
        ctx.default_map = _case_defaults(cli, case_dir)


def _case_defaults(group: click.Group, case_dir: Path) -> dict:
    """A default_map giving --case to every (sub)command that has it."""
    out: dict = {}
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out[name] = {"case_dir": case_dir, **_case_defaults(cmd, case_dir)}
        elif any(p.name == "case_dir" for p in cmd.params):
            out[name] = {"case_dir": case_dir}
    return out


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="The case's name (default: the folder's name).")
def init(directory: Path, name: str | None) -> None:
    """Make a new case folder: config, inbox and two replicas inside it."""
    from .case import init_case

    config = init_case(directory, name)
    console.print(f"New case [bold]{config.name}[/] in {config.case_dir}")
    console.print(f"  drop files into: {config.inbox}")
    console.print(f"  settings:        {config.case_dir / 'config' / 'intake.toml'}")


def _summarise(tasks: list, as_json: bool, language: str = "en") -> int:
    from collections import Counter

    outcomes = Counter(t.outcome for t in tasks)
    if as_json:
        _print_json({"files": len(tasks), "outcomes": dict(outcomes),
                     "results": [{"source": t.source, "sha256": t.sha256, "outcome": t.outcome,
                                  "reason": t.reason} for t in tasks]})
    else:
        stored = outcomes["settled"] + outcomes["stored"]
        console.print(f"{len(tasks)} files looked at: {stored} stored safely"
                      + (f", {outcomes['waiting']} waiting for copies" if outcomes["waiting"] else "")
                      + (f", {outcomes['refused']} not taken" if outcomes["refused"] else "")
                      + (f", {outcomes['changed']} still changing" if outcomes["changed"] else ""))
        for t in tasks:
            if t.outcome in ("refused", "waiting", "changed"):
                console.print(f"  {t.source}: {translate(t.reason, language)}", markup=False)
    return 0


@cli.command()
@case_option
@json_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--in-process", is_flag=True, hidden=True, help="Run plugins without a worker.")
def ingest(case_dir: Path, as_json: bool, paths: tuple[Path, ...], in_process: bool) -> None:
    """Take the inbox once (or the given files and folders, left where they are)."""
    from .ingest import Pipeline
    from .runner import ingest_inbox, ingest_paths

    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise IntakeError(f"{p}: no such file or folder")
    with _open(case_dir) as case, _progress(not as_json) as progress:
        bar = progress.add_task("Storing", total=None)
        with Pipeline(case, sandbox=not in_process,
                      on_item=lambda t: progress.advance(bar)) as pipeline:
            follow_rereading(pipeline, errors.print if as_json else console.print, progress)
            def total(n: int) -> None:
                progress.update(bar, total=n)
            if paths:
                tasks = ingest_paths(case, pipeline, paths, on_total=total)
            else:
                tasks = ingest_inbox(case, pipeline, on_total=total)
        _warn_one_device(case)
        _warn_ocr(case)
        after_ingest(case, errors.print if as_json else console.print)
    sys.exit(_summarise(tasks, as_json, case.config.language))


@cli.command()
@case_option
@click.option("--rescan", default=30.0, show_default=True, help="Seconds between full scans.")
@click.option("--no-chronology", is_flag=True, help="Do not rebuild the chronology after new items.")
def watch(case_dir: Path, rescan: float, no_chronology: bool) -> None:
    """Watch the inbox and take every file dropped into it (Ctrl+C to stop)."""
    from .ingest import Pipeline
    from .watcher import Watcher

    with _open(case_dir) as case, Pipeline(case) as pipeline:
        follow_rereading(pipeline, lambda s: console.print(s, markup=False))
        def report(task) -> None:
            if task.outcome == "settled":
                console.print(f"stored: {task.source} ({task.sha256[:12]}…)")
            elif task.outcome in ("refused", "waiting"):
                console.print(f"{task.outcome}: {task.source}: "
                              f"{translate(task.reason, case.config.language)}", markup=False)

        def rebuild() -> None:
            from .reporting import rebuild_chronology
            try:
                out = rebuild_chronology(case)
                console.print(f"chronology updated in {out}")
            except Exception as exc:  # a report failure must not stop the watcher
                errors.print(f"the chronology could not be rebuilt: {exc}")

        sealer = None
        if stamping(case):  # [seal]: timestamps beside the watcher (intake/seal/background.py)
            from .seal.background import Sealer

            sealer = Sealer(case, say=lambda s: console.print(s, markup=False))
        watcher = Watcher(case, pipeline, rescan_seconds=rescan, on_task=report,
                          on_settled=None if no_chronology else rebuild,
                          on_tick=sealer.tick if sealer else None)

        def first_ctrl_c(*_) -> None:
            # Stop between steps, never inside one (a report line, a custody write);
            # a second Ctrl+C interrupts at once, the crash recovery then finishes the step.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            watcher.stop()

        signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
        signal.signal(signal.SIGINT, first_ctrl_c)
        console.print(f"Watching {case.config.inbox} (Ctrl+C to stop)")
        _warn_one_device(case)
        try:
            watcher.run()
        except KeyboardInterrupt:
            watcher.stop()
        if sealer:
            sealer.wait(case.config.seal.timeout_seconds)
    console.print("Stopped.")


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


def _warn_one_device(case: Any) -> None:
    """The one-device warning on stderr, once for the whole command (ingest, watch)."""
    shown = where_copies_are(case)["one_device_warning_shown"]
    if shown:
        errors.print(shown, markup=False)


def _warn_ocr(case: Any) -> None:
    """Pictures whose text was not read (no Tesseract): once, on stderr, with the count."""
    from .checks import ocr_not_read
    from .i18n import translator

    missing = ocr_not_read(case)
    if missing:
        _ = translator(case.config.language).gettext
        errors.print(_("{n} pictures whose text was not read: {reason}", n=missing["count"],
                       reason=translate(missing["reason"], case.config.language)),
                     markup=False)


@cli.command()
@case_option
@json_option
def status(case_dir: Path, as_json: bool) -> None:
    """Items, receipts, replicas and their health, what waits, what has warnings."""
    from .checks import status as get_status

    with _open(case_dir, write=False) as case:
        s = get_status(case)
        s["copies"] = where_copies_are(case)
        seal_state = status_of(case)
        if seal_state is not None:
            s["seal"] = seal_state
        lang = case.config.language
    if as_json:
        _print_json(s)
        return
    c = s["counts"]
    from .i18n import translator

    t = translator(lang)
    _ = t.gettext
    console.print(_("Case {case}: {items} items ({derived} found inside other files), "
                    "{receipts} receipts, {events} events, {lines} custody lines",
                    case=s["case"], items=c["items"], derived=c["derived_items"],
                    receipts=c["receipts"], events=c["events"], lines=s["custody_lines"]),
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
        state = (_("{n} items", n=r["items"]) if r["available"]
                 else _("NOT AVAILABLE: {reason}", reason=translate(r["reason"], lang)))
        console.print(_("  replica {name} ({path}): {state}", name=r["name"], path=r["path"],
                        state=state), markup=False)
    _print_copies(s["copies"], _)
    if s["waiting_for_copies"]:
        console.print(_("{n} items wait for copies in: {replicas}",
                        n=len(s["waiting_for_copies"]), replicas=", ".join(
                            sorted({n for w in s["waiting_for_copies"] for n in w["missing_in"]}))),
                      markup=False)
    if s.get("seal") and s["seal"]["awaiting_timestamp"]:
        console.print(_("{n} items wait for a timestamp (since {since}); 'intake seal' asks "
                        "the TSA now", n=s["seal"]["awaiting_timestamp"],
                        since=s["seal"]["awaiting_since"]), markup=False)
    if s["originals_still_in_inbox"]:
        console.print(_("{n} originals still in the inbox (waiting for min_copies = {min})",
                        n=len(s["originals_still_in_inbox"]), min=s["min_copies"]), markup=False)
    for p in s["files_not_taken"]:
        console.print(_("  not taken: {source}: {reason}", source=p["source"],
                        reason=translate(p["reason"], lang)), markup=False)
    if s["not_extracted"]:
        console.print(_("{n} items stored but not read by the plugins yet: {reason}",
                        n=len(s["not_extracted"]),
                        reason=translate(s["not_extracted"][0]["reason"], lang)), markup=False)
    if s["left_in_inbox"]:
        console.print(_("{n} files or folders left in the inbox:", n=len(s["left_in_inbox"])),
                      markup=False)
    for p in s["left_in_inbox"]:
        console.print(_("  left: {path}: {reason}", path=p["path"],
                        reason=translate(p["reason"], lang)), markup=False)
    if s["ocr_not_read"]:
        console.print(_("{n} pictures whose text was not read: {reason}",
                        n=s["ocr_not_read"]["count"],
                        reason=translate(s["ocr_not_read"]["reason"], lang)), markup=False)
    if s["items_with_warnings"]:
        console.print(_("{n} items with warnings:", n=len(s["items_with_warnings"])),
                      markup=False)
        for w in s["items_with_warnings"]:
            name = w["names"][0] if w["names"] else w["sha256"][:12]
            more = len(w["warnings"]) - 1
            console.print(f"  {name}: {translate(w['warnings'][0], lang)}"
                          + (" " + _("(+{n} more)", n=more) if more else ""), markup=False)


@cli.command()
@case_option
@json_option
@click.option("--chronology", "chronology_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Check a chronology.json (offline; with the case's store if there is one).")
@click.option("--proof", "proof_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Check an inclusion proof of one entry (offline).")
@click.option("--root", "merkle_root", help="With --proof: the Merkle root printed in the PDF.")
@click.option("--against", "against_file", type=click.Path(exists=True, path_type=Path),
              help="A bundle (zip or folder) or chronology.json handed out earlier: name every "
                   "custody line, item and entry removed or changed since.")
@click.option("--tsa-ca", "tsa_ca", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="With --chronology and no case: the TSA's CA certificate for the .tsr.")
def verify(case_dir: Path, as_json: bool, chronology_file: Path | None,
           proof_file: Path | None, merkle_root: str | None, against_file: Path | None,
           tsa_ca: tuple[Path, ...]) -> None:
    """Re-hash every copy and check the custody chain; non-zero exit on any problem."""
    if against_file:
        _verify_against(case_dir, against_file, as_json)
        return
    if chronology_file or proof_file:
        _verify_chronology(case_dir, chronology_file, proof_file, merkle_root, as_json, tsa_ca)
        return
    from .checks import verify as run_verify

    with _open(case_dir, write=False) as case, _progress(not as_json) as progress:
        bar = progress.add_task("Verifying", total=None)
        problems, summary = run_verify(case, lambda d, t: progress.update(bar, completed=d,
                                                                           total=t))
        problems += seal_problems(case, summary)
        if not problems:
            case_w = None
            try:
                from .case import Case
                case_w = Case.open(case_dir, pm=case.pm)
                case_w.log.event("verified", items=summary["items"], problems=0)
                case_w.index.set_state("custody_seq", str(case_w.log.seq))
            except IntakeError:
                pass  # the watcher holds the lock: it logs its own steps
            finally:
                if case_w:
                    case_w.close()
    if as_json:
        _print_json({"ok": not problems, "summary": summary,
                     "problems": [p.as_dict() for p in problems]})
    else:
        for name, state in summary["replicas"].items():
            console.print(f"replica {name}: {state}")
        console.print(f"custody log head: line {summary['custody_lines']}, SHA-256 "
                      f"{summary['custody_head']}")
        for p in problems:
            console.print(f"PROBLEM: {p.message}")
        if "seal" in summary:
            print_seal_summary(summary["seal"], console.print)
        console.print(f"{summary['items']} items, {summary['objects_checked']} copies and "
                      f"{summary['meta_checked']} metadata files checked: "
                      + ("all good." if not problems else f"{len(problems)} problems."))
    if problems:
        raise VerifyFailed(f"{len(problems)} problems found; 'intake repair' fixes what a "
                           "healthy copy can fix")


def _verify_against(case_dir: Path, path: Path, as_json: bool) -> None:
    from .against import compare, load

    handed = load(path)
    with _open(case_dir, write=False) as case:
        problems, summary = compare(case, handed)
    if as_json:
        _print_json({"ok": not problems, "summary": summary, "problems": problems})
    else:
        if "custody_lines_then" in summary:
            console.print(f"handed out: custody log at line {summary['custody_lines_then']}, "
                          f"SHA-256 {summary['custody_head_then']}")
        console.print(f"today:      custody log at line {summary['custody_lines_now']}, "
                      f"SHA-256 {summary['custody_head_now']}")
        for p in problems:
            console.print(f"PROBLEM: {p}", markup=False)
        if not problems:
            console.print("Nothing handed out was removed or changed since: the case only went "
                          "on from there.")
    if problems:
        raise VerifyFailed(f"{len(problems)} things removed or changed since {path} was made")


def _entries_against_case(case: Any, data: bytes) -> list[str]:
    """Entries of an intact chronology that the case's verified evidence does not give."""
    from .against import chronology_now, compare_entries

    doc = json.loads(data)
    try:
        return compare_entries(doc, chronology_now(case, doc))
    except IntakeError as exc:
        return [str(exc)]


def _verify_chronology(case_dir: Path, chronology_file: Path | None, proof_file: Path | None,
                       merkle_root: str | None, as_json: bool,
                       tsa_ca: tuple[Path, ...] = ()) -> None:
    from .chronology.verify import verify_chronology, verify_proof
    from .seal.chronology import check_beside

    problems: list[str] = []
    if chronology_file:
        data = chronology_file.read_bytes()
        lookup: Callable[[str], Path | None] | None = None
        case = None
        if (case_dir / "config" / "intake.toml").is_file():
            case = _open(case_dir, write=False)
            lookup = case.object_path
        try:
            problems += verify_chronology(data, lookup)
            problems += check_beside(chronology_file, case.config.seal.tsa_ca_files
                                     if case and case.config.seal else tsa_ca)
            if case and not problems:  # intact: is each entry what the evidence says today?
                problems += _entries_against_case(case, data)
            if case:  # the file may be intact and still rest on a log that was cut since
                problems += case.rollback
        finally:
            if case:
                case.close()
    if proof_file:
        try:
            proof = json.loads(proof_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise IntakeError(f"{proof_file}: not a proof file ({exc})") from exc
        problems += verify_proof(proof)
        if merkle_root and proof.get("merkle_root") != merkle_root.strip().lower():
            problems.append("the proof is for another chronology: its Merkle root "
                            f"{proof.get('merkle_root')} is not {merkle_root}")
        elif not merkle_root:
            console.print("Note: compare the proof's merkle_root with the one printed in the "
                          "PDF, or pass it with --root.")
    if as_json:
        _print_json({"ok": not problems, "problems": problems})
    else:
        for p in problems:
            console.print(f"PROBLEM: {p}")
        if not problems and chronology_file:
            console.print("The chronology is intact: every hash, the chain and the root match.")
        if not problems and proof_file:
            console.print(f"The proof holds: entry {proof['entry'].get('number')} belongs to the "
                          f"chronology with Merkle root {proof.get('merkle_root')}.")
    if problems:
        raise VerifyFailed(f"{len(problems)} problems found in the chronology")


@cli.command()
@case_option
@json_option
def repair(case_dir: Path, as_json: bool) -> None:
    """Restore missing or damaged copies from a healthy replica."""
    from .checks import repair as run_repair

    with _open(case_dir) as case:
        actions, left = run_repair(case)
        case.index.set_state("custody_seq", str(case.log.seq))
    if as_json:
        _print_json({"actions": actions, "left": [p.as_dict() for p in left]})
    else:
        for a in actions:
            console.print(a)
        for p in left:
            console.print(f"NOT REPAIRED: {p.message}")
        if not actions and not left:
            console.print("Nothing to repair.")
    if left:
        raise VerifyFailed(f"{len(left)} problems could not be repaired")


@cli.command()
@case_option
@json_option
@click.option("--replica", help="Rebuild from this replica (default: the first healthy one).")
@click.option("--accept-rollback", is_flag=True,
              help="Accept a custody log that is shorter than, or differs from, a head recorded "
                   "earlier (the log records that you did).")
def reindex(case_dir: Path, as_json: bool, replica: str | None, accept_rollback: bool) -> None:
    """Rebuild the index from one replica alone."""
    from .case import Case
    from .checks import reindex as run_reindex

    with Case.open(case_dir, accept_rollback=accept_rollback) as case:
        try:
            counts = run_reindex(case, replica)
        except ValueError as exc:
            raise IntakeError(str(exc)) from exc
    if as_json:
        _print_json(counts)
    else:
        console.print(f"Index rebuilt from replica {counts['source_replica']}: {counts['items']} "
                      f"items, {counts['receipts']} receipts, {counts['events']} events.")


@cli.group(invoke_without_command=True)
@case_option
@json_option
@click.pass_context
def plugins(ctx: click.Context, case_dir: Path, as_json: bool) -> None:
    """List the loaded plugins (name, version, origin, hooks)."""
    if ctx.invoked_subcommand:
        return
    from .config import load_config
    from .plugins import get_plugin_manager, list_plugins

    folders: tuple[Path, ...] = ()
    if (case_dir / "config" / "intake.toml").is_file():
        folders = load_config(case_dir).plugin_folders
    infos = list_plugins(get_plugin_manager(folders))
    if as_json:
        _print_json([{"name": i.name, "version": i.version, "origin": i.origin,
                      "hooks": list(i.hooks)} for i in infos])
        return
    for i in infos:
        console.print(f"{i.name} {i.version}  [{i.origin}]  {', '.join(i.hooks)}", markup=False)
    if (case_dir / "config" / "intake.toml").is_file() and (line := waiting_line(case_dir)):
        console.print(line, markup=False)


@plugins.command("new")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              default=Path("plugins.local"), show_default=True)
@click.option("--case", "case_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True,
              help="The case whose config is to load the folder.")
def plugins_new(name: str, folder: Path, case_dir: Path) -> None:
    """Write a new plugin file and its test from the template, and load its folder."""
    from .scaffold import add_plugin_folder, new_plugin

    for path in new_plugin(name, folder):
        console.print(f"wrote {path}")
    console.print(add_plugin_folder(case_dir, folder), markup=False)


@cli.group()
def log() -> None:
    """The victim's logbook."""


@log.command("add")
@case_option
@click.option("--when", required=True, help='When it happened: "2024-03-01 21:15", '
                                            '"2024-03-01 21:00-21:30", "2024-03-01 ca. 21:00" '
                                            'or with an offset "2024-10-27 02:30 +01:00".')
@click.option("--what", required=True, help="What happened, in your own words.")
@click.option("--place", default="", help="Where it happened.")
@click.option("--witness", "witnesses", multiple=True, help='"Name, how to reach them" (repeat).')
@click.option("--pv", default="", help="Police report (PV) number.")
@click.option("--exhibit", "exhibits", multiple=True, help="A related file or exhibit (repeat).")
@click.option("--feeling", "--impact", "feeling", default="",
              help='How it felt, what it did to you ("rust ernstig verstoord").')
@click.option("--category", default="", help="Kind of behaviour (see docs/logbook.md).")
@click.option("--replaces", "--supersedes", "supersedes", default="",
              help="Id of the entry this one corrects (the old one is kept, marked replaced).")
def log_add(case_dir: Path, when: str, what: str, place: str, witnesses: tuple[str, ...],
            pv: str, exhibits: tuple[str, ...], feeling: str, category: str,
            supersedes: str) -> None:
    """Write one logbook entry and store it like any dropped file."""
    from .logbook_cli import add_entry

    path, outcome, notes = add_entry(case_dir, when=when, what=what, place=place,
                                     witnesses=witnesses, pv=pv, exhibits=exhibits,
                                     feeling=feeling, category=category, supersedes=supersedes)
    console.print(f"Logbook entry written: {path.name} ({outcome})", markup=False)
    for note in notes:
        console.print(f"  {note}", markup=False)


@cli.command()
@case_option
@click.argument("entry")
@click.argument("category", type=click.Choice(["none", *CATEGORIES]))
def category(case_dir: Path, entry: str, category: str) -> None:
    """Set the kind of behaviour of chronology entry ENTRY (its id, or its number now).

    The id (e-…, shown by 'intake entry list') never changes; a number is
    read in the chronology as it stands now. The change is an adviser's
    decision: a curation record in every replica and the custody log, shown
    in every later chronology.
    """
    from .reporting import set_category

    with _open(case_dir) as case:
        e = set_category(case, entry, "" if category == "none" else category)
    console.print(f"Entry {e['number']} ({e['id']}): category set to {category}.")


@cli.command()
@case_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "formats", default="json,pdf,html,csv,xlsx", show_default=True,
              help="Comma-separated: json, pdf, html, csv, xlsx, ombudsman, bundle.")
@click.option("--from", "date_from", help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Last day (YYYY-MM-DD).")
@click.option("--lang", type=click.Choice(["nl", "fr", "en"]), help="Language (default: the case's).")
@click.option("--proof", "proofs", type=int, multiple=True,
              help="Also write an inclusion proof of entry N (repeat for more).")
def chronology(case_dir: Path, out_dir: Path, formats: str, date_from: str | None,
               date_to: str | None, lang: str | None, proofs: tuple[int, ...]) -> None:
    """Build the chronology and its reports into --out."""
    from .case import Case
    from .errors import CaseLockedError
    from .reporting import make_reports

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    try:  # log "report made" when we may write; the watcher may hold the case
        case = Case.open(case_dir)
    except CaseLockedError:
        case = Case.open(case_dir, write=False)
    not_sealed: list[str] = []
    with case, _progress(True) as progress:
        bar = progress.add_task("Building", total=len(wanted) + 1)
        written = make_reports(case, out_dir, wanted, date_from=date_from, date_to=date_to,
                               language=lang, advance=lambda: progress.advance(bar),
                               proofs=proofs, sealed=not_sealed, ask=ask_secret)
    for path in written:
        console.print(f"wrote {path}")
    if not_sealed:
        raise IntakeError("the reports are written, but: " + "; ".join(not_sealed))


from . import replica_cli  # noqa: E402,F401  (registers `intake replica`)
from .curation_cli import register as _register_curation  # noqa: E402
from .seal.cli import register as _register_seal  # noqa: E402

_register_curation(cli)
cli.add_command(extract_command)
_register_seal(cli)

from .web.serve import register as _register_serve  # noqa: E402

_register_serve(cli, case_option)


def _case_language() -> str:
    """The language of the case this process opened (for a message after a failure)."""
    from .case import OPENED
    from .config import load_config

    try:
        return load_config(OPENED[-1]).language if OPENED else "en"
    except Exception:  # the config itself may be unreadable now
        return "en"


def _disk_full(exc: BaseException) -> bool:
    """A full disk (or quota), however it reached us: OSError ENOSPC or SQLite's words."""
    import errno
    import sqlite3

    for e in (exc, exc.__cause__, exc.__context__):
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(e, sqlite3.OperationalError) and "disk is full" in str(e):
            return True
        if isinstance(e, sqlite3.OperationalError) and "disk I/O error" in str(e):
            # SQLite says "I/O error" for a write refused by a full disk: look at the disk
            from .case import OPENED

            for folder in OPENED:
                try:
                    st = os.statvfs(folder)
                except OSError:
                    continue
                if st.f_bavail * st.f_frsize < 256 * 1024:
                    return True
    return False


def main() -> None:
    debug = "--debug" in sys.argv
    os.umask(0o077)  # store, index, logs and reports: readable by their owner only
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        errors.print("intake: stopped.")
        sys.exit(130)
    except click.ClickException as exc:
        errors.print(f"intake: {exc.format_message()}")
        sys.exit(exc.exit_code)
    except IntakeError as exc:
        if debug:
            traceback.print_exc()
        errors.print(f"intake: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if _disk_full(exc):
            if debug:
                traceback.print_exc()
            errors.print("intake: " + translate(
                "the disk holding the case is full; nothing was lost (every file not stored "
                "yet is still in the inbox, every copy made is verified): free some space and "
                "run the command again", _case_language()), markup=False)
            sys.exit(1)
        if debug:
            traceback.print_exc()
        errors.print(f"intake: something went wrong that intake did not expect: "
                     f"{type(exc).__name__}: {exc} (run again with --debug for details)",
                     markup=False)
        sys.exit(70)


if __name__ == "__main__":
    main()

"""``intake verify``, ``repair`` and ``reindex``: re-hash, mend from a good copy, rebuild.

``verify`` has three more forms: a chronology file (offline), an inclusion
proof, and a bundle handed out earlier (``--against``). Registered on the
main command group by ``register(cli)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cli_common import case_option, console, json_option, open_case, print_json, progress
from .errors import IntakeError, VerifyFailed
from .i18n import translator
from .messages import translate
from .seal.cli import print_seal_summary, seal_problems


def register(cli: click.Group) -> None:
    """Add ``verify``, ``repair`` and ``reindex`` to the main command group."""
    for command in (verify, repair, reindex):
        cli.add_command(command)


@click.command()
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
@click.option("--read-data", is_flag=True,
              help="Download and re-hash every object of a remote replica (s3) instead of "
                   "trusting the checksum the service keeps.")
def verify(case_dir: Path, as_json: bool, chronology_file: Path | None,
           proof_file: Path | None, merkle_root: str | None, against_file: Path | None,
           tsa_ca: tuple[Path, ...], read_data: bool) -> None:
    """Re-hash every copy and check the custody chain; non-zero exit on any problem."""
    if against_file:
        _verify_against(case_dir, against_file, as_json)
        return
    if chronology_file or proof_file:
        _verify_chronology(case_dir, chronology_file, proof_file, merkle_root, as_json, tsa_ca)
        return
    from .checks import verify as run_verify

    with open_case(case_dir, write=False) as case, progress(not as_json) as bars:
        bar = bars.add_task("Verifying", total=None)
        problems, summary = run_verify(case, lambda d, t: bars.update(bar, completed=d,
                                                                           total=t),
                                       read_data=read_data)
        problems += seal_problems(case, summary)
        if not problems:
            case_w = None
            try:
                from .case import Case
                # the chains just checked are not read again (unless a segment changed)
                case_w = Case.open(case_dir, pm=case.pm, checked=case.log)
                from .recording import record_line
                record_line(case_w, "verified", items=summary["items"], problems=0)
            except IntakeError:
                pass  # the watcher holds the lock: it logs its own steps
            finally:
                if case_w:
                    case_w.close()
    t, lang = translator(case.config.language), case.config.language
    if as_json:  # the record's words (English), for scripts
        print_json({"ok": not problems, "summary": summary,
                     "problems": [p.as_dict() for p in problems]})
    else:
        for name, state in summary["replicas"].items():
            say(t.gettext("replica {name}: {state}", name=name, state=translate(state, lang)))
        say(t.gettext("custody log head: line {n}, SHA-256 {head}", n=summary["custody_lines"],
                      head=summary["custody_head"]))
        for p in problems:
            say(t.gettext("PROBLEM: {problem}", problem=translate(p.message, lang)))
        if "seal" in summary:
            print_seal_summary(summary["seal"], say, lang)
        checked = t.ngettext("{n} item, {copies} copies and {meta} metadata files checked",
                             "{n} items, {copies} copies and {meta} metadata files checked",
                             summary["items"], copies=summary["objects_checked"],
                             meta=summary["meta_checked"])
        say(t.gettext("{checked}: all good.", checked=checked) if not problems else
            t.ngettext("{checked}: {n} problem.", "{checked}: {n} problems.", len(problems),
                       checked=checked))
    if problems:
        raise VerifyFailed(_counted(len(problems), "problem found", "problems found")
                           + "; 'intake repair' fixes what a healthy copy can fix")


def _counted(n: int, one: str, more: str) -> str:
    """A refusal's count in English; the CLI words it in the case's language
    (``intake/messages.py``: "1 problem found; …" and "{n} problems found; …")."""
    return f"{n} {one if n == 1 else more}"


def say(line: str) -> None:
    """One line for people: printed as it is (a path or a name may hold brackets)."""
    console.print(line, markup=False)


def _verify_against(case_dir: Path, path: Path, as_json: bool) -> None:
    from .against import compare, load

    handed = load(path)
    with open_case(case_dir, write=False) as case:
        problems, summary = compare(case, handed)
        lang = case.config.language
    t = translator(lang)
    if as_json:
        print_json({"ok": not problems, "summary": summary, "problems": problems})
    else:
        if "custody_lines_then" in summary:
            say(t.gettext("handed out: custody log at line {n}, SHA-256 {head}",
                          n=summary["custody_lines_then"], head=summary["custody_head_then"]))
        say(t.gettext("today:      custody log at line {n}, SHA-256 {head}",
                      n=summary["custody_lines_now"], head=summary["custody_head_now"]))
        for p in problems:
            say(t.gettext("PROBLEM: {problem}", problem=translate(p, lang)))
        if not problems:
            say(t.gettext("Nothing handed out was removed or changed since: the case only went "
                          "on from there."))
    if problems:
        raise VerifyFailed(_counted(len(problems), "thing removed", "things removed")
                           + f" or changed since {path} was made")


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
    lang = None
    if chronology_file:
        data = chronology_file.read_bytes()
        lookup: Callable[[str], Path | None] | None = None
        case = None
        if (case_dir / "config" / "intake.toml").is_file():
            case = open_case(case_dir, write=False)
            lookup = case.object_path
            lang = case.config.language
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
    if lang is None and (case_dir / "config" / "intake.toml").is_file():
        from .config import load_config  # a proof alone: the case's language when there is one

        try:
            lang = load_config(case_dir).language
        except IntakeError:
            lang = None
    t = translator(lang or "en")  # no case: English, as for any other message without one
    if proof_file:
        if merkle_root and proof.get("merkle_root") != merkle_root.strip().lower():
            problems.append("the proof is for another chronology: its Merkle root "
                            f"{proof.get('merkle_root')} is not {merkle_root}")
        elif not merkle_root and not as_json:
            say(t.gettext("Note: compare the proof's merkle_root with the one printed in the "
                          "PDF, or pass it with --root."))
    if as_json:
        print_json({"ok": not problems, "problems": problems})
    else:
        for p in problems:
            say(t.gettext("PROBLEM: {problem}", problem=translate(p, t.lang)))
        if not problems and chronology_file:
            say(t.gettext("The chronology is intact: every hash, the chain and the root match."))
        if not problems and proof_file:
            say(t.gettext("The proof holds: entry {number} belongs to the chronology with "
                          "Merkle root {root}.", number=proof["entry"].get("number"),
                          root=proof.get("merkle_root")))
    if problems:
        raise VerifyFailed(_counted(len(problems), "problem found", "problems found")
                           + " in the chronology")


@click.command()
@case_option
@json_option
def repair(case_dir: Path, as_json: bool) -> None:
    """Restore missing or damaged copies from a healthy replica."""
    from .checks import repair as run_repair

    with open_case(case_dir) as case:
        actions, left = run_repair(case)
        case.index.set_state("custody_seq", str(case.log.seq))
        lang = case.config.language
    t = translator(lang)
    if as_json:  # the record's words (English), for scripts
        print_json({"actions": actions, "left": [p.as_dict() for p in left]})
    else:
        for a in actions:
            say(translate(a, lang))
        for p in left:
            say(t.gettext("NOT REPAIRED: {problem}", problem=translate(p.message, lang)))
        if not actions and not left:
            say(t.gettext("Nothing to repair."))
    if left:
        raise VerifyFailed(_counted(len(left), "problem", "problems") + " could not be repaired")


@click.command()
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
        lang = case.config.language
        try:
            counts = run_reindex(case, replica)
        except ValueError as exc:
            raise IntakeError(str(exc)) from exc
    if as_json:
        print_json(counts)
    else:
        t = translator(lang)
        say(t.gettext("Index rebuilt from replica {name}: {items}, {receipts}, {events}.",
                      name=counts["source_replica"],
                      items=t.ngettext("{n} item", "{n} items", counts["items"]),
                      receipts=t.ngettext("{n} receipt", "{n} receipts", counts["receipts"]),
                      events=t.ngettext("{n} event", "{n} events", counts["events"])))

"""The command line: the one place where exceptions become messages and exit codes.

Every command takes ``--case DIR`` (default: the current folder). Output is
for people; ``--json`` gives scripts something to read. No traceback unless
``--debug``.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_common import case_option, console, errors, json_option  # shared by every command module
from .cli_common import open_case as _open
from .cli_common import print_json as _print_json
from .cli_common import progress as _progress
from .devices import where_copies_are
from .errors import IntakeError
from .extract_cli import follow_rereading, waiting_line
from .failures import case_language, disk_full
from .messages import translate
from .seal.cli import (
    after_ingest,
    ask_secret,
    stamping,
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
    from .i18n import translator

    config = init_case(directory, name)
    t = translator(config.language)
    console.print(t.gettext("New case {name} in {folder}", name=config.name,
                            folder=config.case_dir), markup=False)
    console.print("  " + t.gettext("drop files into: {folder}", folder=config.inbox),
                  markup=False)
    console.print("  " + t.gettext("settings: {file}",
                                   file=config.case_dir / "config" / "intake.toml"),
                  markup=False)


def _summarise(tasks: list, as_json: bool, language: str = "en") -> int:
    from collections import Counter

    outcomes = Counter(t.outcome for t in tasks)
    if as_json:
        _print_json({"files": len(tasks), "outcomes": dict(outcomes),
                     "results": [{"source": t.source, "sha256": t.sha256, "outcome": t.outcome,
                                  "reason": t.reason} for t in tasks]})
    else:
        from .i18n import translator

        t = translator(language)
        parts = [t.ngettext("{n} stored safely", "{n} stored safely",
                            outcomes["settled"] + outcomes["stored"])]
        if outcomes["waiting"]:
            parts.append(t.ngettext("{n} waiting for copies", "{n} waiting for copies",
                                    outcomes["waiting"]))
        if outcomes["refused"]:
            parts.append(t.ngettext("{n} not taken", "{n} not taken", outcomes["refused"]))
        if outcomes["changed"]:
            parts.append(t.ngettext("{n} still changing", "{n} still changing",
                                    outcomes["changed"]))
        looked = t.ngettext("{n} file looked at", "{n} files looked at", len(tasks))
        console.print(t.gettext("{looked}: {outcomes}", looked=looked,
                                outcomes=", ".join(parts)), markup=False)
        for task in tasks:
            if task.outcome in ("refused", "waiting", "changed"):
                console.print(f"  {task.source}: {translate(task.reason, language)}",
                              markup=False)
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
    if not in_process:
        _worker_early(case_dir, bool(paths))
    with _open(case_dir) as case, _progress(not as_json) as progress:
        from .i18n import translator

        bar = progress.add_task(translator(case.config.language).gettext("Storing"), total=None)
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


def _worker_early(case_dir: Path, given: bool) -> None:
    """Start the plugin worker before the case is opened, when there is a file to read.

    Its start (a new Python loading the plugins, ~0.3 s of CPU) then overlaps
    this process's own start on the other core instead of competing with the
    first file's digests and copies (issue 19, figure 1). An empty inbox starts
    none; a case that cannot be read is left to `Case.open` to report.
    """
    from .config import load_config
    from .plugin_worker import prestart

    try:
        config = load_config(case_dir)
        if not given:
            with os.scandir(config.inbox) as entries:
                if not any(e.path != str(config.ingested_dir) for e in entries):
                    return
    except (IntakeError, OSError, ValueError):  # Case.open says what is wrong, in words
        return
    prestart(config.plugin_folders)


@cli.command()
@case_option
@click.option("--rescan", default=30.0, show_default=True, help="Seconds between full scans.")
@click.option("--no-chronology", is_flag=True, help="Do not rebuild the chronology after new items.")
def watch(case_dir: Path, rescan: float, no_chronology: bool) -> None:
    """Watch the inbox and take every file dropped into it (Ctrl+C to stop)."""
    from .i18n import translator
    from .ingest import Pipeline
    from .watcher import Watcher

    with _open(case_dir) as case, Pipeline(case) as pipeline:
        language = case.config.language
        t = translator(language)
        follow_rereading(pipeline, lambda s: console.print(s, markup=False))
        def report(task) -> None:
            if task.outcome == "settled":
                console.print(t.gettext("stored: {file} ({sha256}…)", file=task.source,
                                        sha256=task.sha256[:12]), markup=False)
            elif task.outcome == "refused":
                console.print(t.gettext("not taken: {file}: {reason}", file=task.source,
                                        reason=translate(task.reason, language)), markup=False)
            elif task.outcome == "waiting":
                console.print(t.gettext("waiting for copies: {file}: {reason}", file=task.source,
                                        reason=translate(task.reason, language)), markup=False)

        def rebuild() -> None:
            from .reporting import rebuild_chronology
            try:
                out = rebuild_chronology(case)
                console.print(t.gettext("chronology updated in {folder}", folder=out),
                              markup=False)
            except Exception as exc:  # a report failure must not stop the watcher
                errors.print(t.gettext("the chronology could not be rebuilt: {reason}",
                                       reason=translate(str(exc), language)), markup=False)

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
        console.print(t.gettext("Watching {folder} (Ctrl+C to stop)", folder=case.config.inbox),
                      markup=False)
        _warn_one_device(case)
        try:
            watcher.run()
        except KeyboardInterrupt:
            watcher.stop()
        if sealer:
            sealer.wait(case.config.seal.timeout_seconds)
    console.print(t.gettext("Stopped."))


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
    console.print(outcome, markup=False)
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
        from .i18n import translator

        e = set_category(case, entry, "" if category == "none" else category)
        t = translator(case.config.language)
    console.print(t.gettext("Entry {number} ({id}): category set to {category}.",
                            number=e["number"], id=e["id"], category=category), markup=False)


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
        from .i18n import translator

        bar = progress.add_task(translator(lang or case.config.language).gettext("Building"),
                                total=len(wanted) + 1)
        written = make_reports(case, out_dir, wanted, date_from=date_from, date_to=date_to,
                               language=lang, advance=lambda: progress.advance(bar),
                               proofs=proofs, sealed=not_sealed, ask=ask_secret)
    from .i18n import translator

    t = translator(lang or case.config.language)
    for path in written:
        console.print(t.gettext("wrote {file}", file=path), markup=False)
    if not_sealed:
        raise IntakeError(t.gettext("the reports are written, but: {problems}", problems="; ".join(
            translate(p, t.lang) for p in not_sealed)))  # each whole: they hold "; " themselves


from . import curation_cli, extract_cli, replica_cli, status_cli, verify_cli  # noqa: E402
from .seal.cli import register as _register_seal  # noqa: E402

for _module in (status_cli, verify_cli, replica_cli, curation_cli, extract_cli):
    _module.register(cli)
_register_seal(cli)

from .web.serve import register as _register_serve  # noqa: E402

_register_serve(cli, case_option)


def _load_structlog() -> None:
    """Import structlog (the custody log's writer) without its rich tracebacks.

    structlog's ``__init__`` imports its console renderer's helpers, which load
    ``rich.traceback`` and ``rich.pretty`` (with pygments) when rich is there:
    about 0.05 s of CPU at every command, for a console renderer intake never
    uses (the custody log has its own processors and ``JSONRenderer``; its lines
    are the same either way). Hidden while structlog is imported, so it falls
    back to its plain tracebacks; importable again afterwards.
    """
    if "structlog" in sys.modules:
        return
    hidden = [name for name in ("rich.traceback", "rich.pretty") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "not installed" for structlog
    try:
        import structlog  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


def main() -> None:
    debug = "--debug" in sys.argv
    _load_structlog()
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
        errors.print("intake: " + translate(str(exc), case_language(exc)), markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if disk_full(exc):
            if debug:
                traceback.print_exc()
            errors.print("intake: " + translate(
                "the disk holding the case is full; nothing was lost (every file not stored "
                "yet is still in the inbox, every copy made is verified): free some space and "
                "run the command again", case_language()), markup=False)
            sys.exit(1)
        if debug:
            traceback.print_exc()
        errors.print(f"intake: something went wrong that intake did not expect: "
                     f"{type(exc).__name__}: {exc} (run again with --debug for details)",
                     markup=False)
        sys.exit(70)


if __name__ == "__main__":
    main()

"""``intake extract``: read stored items again, after a plugin was added or changed.

A new reading never replaces an earlier one: it is a new extraction record
beside it, with its custody line (docs/writing-plugins.md, "After you add or
change a plugin"). ``intake watch`` and ``intake ingest`` do the same at start
for what a new or changed plugin may read; this command does it on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cli_common import case_option, console, json_option, open_case, print_json, progress
from .errors import IntakeError


def follow_rereading(pipeline: Any, say: Callable[[str], None],
                     bar: Any = None) -> None:
    """Say when items are read again at start, and follow them on a progress bar."""
    from .i18n import translator

    t = translator(pipeline.case.config.language)
    task: list[Any] = []

    def on_reread(done: int, total: int) -> None:
        if done == 0:
            say(t.ngettext("{n} stored item is read again for new or changed plugins (in the "
                           "background; earlier readings are kept)",
                           "{n} stored items are read again for new or changed plugins (in the "
                           "background; earlier readings are kept)", total))
        if bar is not None:
            if not task:
                task.append(bar.add_task(t.gettext("Reading again"), total=total))
            bar.update(task[0], completed=done, total=total)
        elif done and (done == total or done % max(1, total // 10) == 0):
            say(t.ngettext("read again: {done} of {n} item", "read again: {done} of {n} items",
                           total, done=done))
    pipeline.on_reread = on_reread


def waiting_line(case_dir: Path) -> str:
    """`intake plugins`: how many stored items wait to be read again ("" if none)."""
    from .i18n import translator
    from .ingest import Pipeline

    try:
        with open_case(case_dir, write=False) as case:
            waiting = Pipeline(case).waiting_for_reread()
            t = translator(case.config.language)
    except IntakeError:  # no case here, or one that cannot be opened: nothing to say
        return ""
    if not waiting:
        return ""
    plugins = ", ".join(sorted({p for names in waiting.values() for p in names}))
    return t.ngettext("{n} stored item waits to be read again by new or changed plugins "
                      "({plugins}); 'intake ingest', 'intake watch' or 'intake extract' reads it",
                      "{n} stored items wait to be read again by new or changed plugins "
                      "({plugins}); 'intake ingest', 'intake watch' or 'intake extract' reads "
                      "them", len(waiting), plugins=plugins)


def _select(case: Any, pipeline: Any, everything: bool, plugin: str | None,
            items: tuple[str, ...]) -> dict[str, str]:
    index = case.index
    if everything:
        return dict.fromkeys(index.all_items(), "intake extract --all")
    if plugin:
        known = {p["plugin"] for p in pipeline.plugin_set()}
        if plugin not in known:
            raise IntakeError(f"no loaded plugin {plugin!r} reads files (loaded: "
                              f"{', '.join(sorted(known))}); see 'intake plugins'")
        return dict.fromkeys(pipeline.waiting_for_reread(plugin),
                             f"intake extract --plugin {plugin}")
    chosen: dict[str, str] = {}
    all_items = index.all_items()
    for word in items:
        low = word.lower()
        found = [s for s in all_items if len(low) >= 6 and s.startswith(low)]
        found = found or [s for s in all_items if word in index.names(s)]
        if not found:
            raise IntakeError(f"{word}: no stored item has this SHA-256 (or its first 6 or "
                              "more characters) or this name")
        if len(found) > 1:
            raise IntakeError(f"{word}: {len(found)} stored items match; give more of the "
                              "SHA-256")
        chosen[found[0]] = "intake extract"
    return chosen


@click.command("extract")
@case_option
@json_option
@click.option("--all", "everything", is_flag=True, help="Read every stored item again.")
@click.option("--plugin", metavar="NAME",
              help="Read again the items this plugin may read (its MIME types; otherwise "
                   "those it read, those that ended at the fallback and those on which a "
                   "plugin failed).")
@click.argument("items", nargs=-1)
@click.option("--in-process", is_flag=True, hidden=True, help="Run plugins without a worker.")
def extract_command(case_dir: Path, as_json: bool, everything: bool, plugin: str | None,
                    items: tuple[str, ...], in_process: bool) -> None:
    """Read stored items again (after adding or changing a plugin); earlier readings are kept.

    ITEM is a SHA-256 (or its first 6 or more characters) or a file name.
    """
    from .ingest import Pipeline

    if sum((everything, bool(plugin), bool(items))) != 1:
        raise IntakeError("say what to read again: --all, --plugin NAME, or one or more items")
    from .i18n import translator

    with open_case(case_dir) as case, progress(not as_json) as bar:
        t = translator(case.config.language)
        with Pipeline(case, sandbox=not in_process) as pipeline:
            selected = _select(case, pipeline, everything, plugin, items)
            task = bar.add_task("Reading again", total=len(selected))
            pipeline.on_reread = lambda done, total: bar.update(task, completed=done)
            pipeline.reread(selected)
        results = []
        for sha in selected:
            data = case.index.extraction(sha) or {}
            history = data.get("history") or []
            results.append({"sha256": sha, "name": (case.index.names(sha) or [sha])[0],
                            "plugin": data.get("plugin", ""), "version": data.get("version", ""),
                            "records": len(history)})
    if as_json:
        print_json({"read_again": len(results), "items": results})
        return
    console.print(t.ngettext("{n} item read again; earlier readings are kept beside the new ones.",
                             "{n} items read again; earlier readings are kept beside the new "
                             "ones.", len(results)), markup=False)
    for r in results:
        who = f"{r['plugin']} {r['version']}".strip() if r["plugin"] else t.gettext("no plugin")
        console.print(f"  {r['sha256'][:12]}… {r['name']}: "
                      + t.ngettext("read by {who} ({n} reading)", "read by {who} ({n} readings)",
                                   r["records"], who=who), markup=False)


def register(cli: click.Group) -> None:
    """Add ``intake extract`` to the command group."""
    cli.add_command(extract_command)

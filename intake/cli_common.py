"""What every command module shares: the consoles, --case and --json, JSON output, progress.

Kept apart from ``cli.py`` (the commands) so that ``replica_cli`` and
``curation_cli`` use public names, never the command module's private ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

# emoji=False: a name like "foto :smile:.jpg" is shown as written (rich would draw an
# emoji), and rich never loads its emoji table (0.012 s at every command)
console = Console(stderr=False, highlight=False, soft_wrap=True, emoji=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def _resolve_case(_ctx: click.Context, _param: click.Parameter, value: Path) -> Path:
    """The repository checkout points to the default case in the user's data folder."""
    from .home import resolve_case_dir

    case_dir, notes = resolve_case_dir(value)
    for note in notes:
        errors.print(note, markup=False)
    return case_dir


case_option = click.option("--case", "case_dir", type=click.Path(file_okay=False, path_type=Path),
                           default=Path("."), show_default=True, callback=_resolve_case,
                           help="The case folder (holding config/intake.toml).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")


def print_json(value: Any) -> None:
    """An answer for scripts (--json): indented, sorted, UTF-8 as is."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


class NoProgress:
    """What `progress` gives where no bar is shown: the calls the commands make, doing
    nothing, so that rich.progress (about 0.03 s to import) is loaded only for a bar."""

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def update(self, *args: Any, **kwargs: Any) -> None:
        return None

    def advance(self, *args: Any, **kwargs: Any) -> None:
        return None


def progress(enabled: bool) -> Progress | NoProgress:
    """A progress bar on the terminal (never in a pipe or a log)."""
    if not enabled or not errors.is_terminal:
        return NoProgress()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=errors, transient=True)


def open_case(case_dir: Path, write: bool = True):
    """Open the case a command names (read-only when `write` is False)."""
    from .case import Case

    return Case.open(case_dir, write=write)

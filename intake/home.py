"""Where the default case lives: in the user's data folder, never in the code checkout.

The repository's ``config/intake.toml`` is a pointer (``[pointer] case =
"default"``): commands run in the checkout use the case
``<data>/cases/default`` (``~/.local/share/intake/cases/default`` on Linux),
made on first use. ``git clean -fdx``, a re-clone or deleting the checkout
therefore never takes the evidence. The checkout's ``inbox`` becomes a link to
that case's inbox, so that what is dropped there is stored outside the
checkout from the first second.

``INTAKE_HOME`` replaces the data folder (tests set it to a temporary one).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .errors import ConfigError, IntakeError

DEFAULT_CASE = "default"


def data_home() -> Path:
    """intake's data folder: ``$INTAKE_HOME``, else the platform's (XDG_DATA_HOME on Linux)."""
    if os.environ.get("INTAKE_HOME"):
        return Path(os.environ["INTAKE_HOME"]).expanduser().resolve()
    import platformdirs

    return platformdirs.user_data_path("intake", appauthor=False)


def default_case_dir() -> Path:
    return data_home() / "cases" / DEFAULT_CASE


def pointer_of(case_dir: Path) -> str | None:
    """The case a folder's config points to, or None when the folder is a case itself."""
    path = Path(case_dir) / "config" / "intake.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not a pointer: load_config explains what is wrong with it
    pointer = data.get("pointer")
    if pointer is None:
        return None
    if not isinstance(pointer, dict) or pointer.get("case") != DEFAULT_CASE or len(data) > 1:
        raise ConfigError(f"{path}: key 'pointer' must be the file's only table and read "
                          f'case = "{DEFAULT_CASE}"; or remove it to make the folder a case')
    return DEFAULT_CASE


def resolve_case_dir(case_dir: Path) -> tuple[Path, list[str]]:
    """The case folder to use for `case_dir`, and lines to tell the user (the pointer case).

    A folder whose config is a pointer gives the default case, made on first
    use, with the folder's ``inbox`` linked to the case's inbox.
    """
    if pointer_of(case_dir) is None:
        return Path(case_dir), []
    from .case import init_case

    target = default_case_dir()
    notes = []
    if not (target / "config" / "intake.toml").is_file():
        if target.exists() and any(target.iterdir()):
            raise IntakeError(f"{target} exists but holds no config/intake.toml; move it "
                              "aside or set INTAKE_HOME to another folder")
        if _move_older_case(Path(case_dir).resolve(), target):
            notes.append(f"Moved this checkout's case (store/, .intake/, inbox/) to {target}")
        else:
            try:
                init_case(target, name="default case")
                notes.append(f"Made the default case in {target}")
            except IntakeError:
                if not (target / "config" / "intake.toml").is_file():
                    raise  # else another command made it at the same moment
    notes.append(f"Case: {target} (the evidence is kept there, outside this checkout)")
    notes += _link_inbox(Path(case_dir).resolve() / "inbox", target / "inbox")
    return target, notes


OLDER_CASE = ("store", ".intake", "inbox", "chronology")


def _move_older_case(checkout: Path, target: Path) -> bool:
    """Before 0.2 the checkout was the case: move its folders, unchanged, to `target`.

    Renames only (same disk): every byte stays as it was, and a rename that
    fails puts back what was moved, so nothing is ever half in each place.
    """
    if not (checkout / "store").is_dir() or (checkout / "inbox").is_symlink():
        return False
    from .config import write_default_config

    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    moved: list[str] = []
    try:
        for name in OLDER_CASE:
            if (checkout / name).exists() and not (checkout / name).is_symlink():
                os.rename(checkout / name, target / name)
                moved.append(name)
    except OSError as exc:
        for name in reversed(moved):
            os.rename(target / name, checkout / name)
        raise IntakeError(f"could not move this checkout's case to {target} ({exc.strerror}); "
                          f"move {', '.join(OLDER_CASE)} there by hand, then run again") from exc
    write_default_config(target, "default case")
    (target / "inbox").mkdir(exist_ok=True)
    return True


def _link_inbox(link: Path, inbox: Path) -> list[str]:
    """Make the checkout's ``inbox`` a link to the case's inbox; never move or delete a file."""
    if link.is_symlink():
        if link.resolve() == inbox.resolve():
            return [f"Drop files into {link} (a link to {inbox})"]
        link.unlink()  # a link to an older data folder: only the link goes
    elif link.is_dir():
        files = [p for p in link.rglob("*") if not p.is_dir()]
        if files:
            raise IntakeError(f"{link} is a folder holding {len(files)} files, not a link to the "
                              f"case's inbox: move them into {inbox}, remove the empty folder, "
                              "and run again (nothing was taken or moved)")
        for folder in sorted(link.rglob("*"), reverse=True):
            folder.rmdir()
        link.rmdir()
    elif link.exists():
        raise IntakeError(f"{link} is a file, not the inbox; move it into {inbox} and run again")
    try:
        link.symlink_to(inbox, target_is_directory=True)
    except OSError:  # e.g. Windows without the right to make links
        return [f"Drop files into {inbox}"]
    return [f"Drop files into {link} (a link to {inbox})"]

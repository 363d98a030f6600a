"""``intake plugins new NAME``: a plugin file and its test, ready to edit."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

import tomlkit

from .config import CONFIG_NAME, load_config
from .errors import ConfigError, IntakeError
from .files import atomic_write
from .home import default_case_dir, pointer_of

PLUGIN_TEMPLATE = '''\
"""{name}: reads ... (say which source, e.g. "Signal desktop exports").

Made with `intake plugins new {name}`. See docs/writing-plugins.md.
"""

from __future__ import annotations

from intake import Event, Extraction, ItemView, TimeClaim, epoch_ms_to_iso, hookimpl

# Bump the version when you change what the plugin reads. (Items it may read are
# read again even if you forget: intake also notices that this file changed.)
__version__ = "0.1.0"

# Optional: the MIME types this plugin reads; it is then offered only those items
# (and, after a change, only those are read again). Without it: every item.
# MIME_TYPES = ("text/plain", "application/json")


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    # 1. Say "not mine" quickly, from the content (item.head), not the name.
    if not item.head.startswith(b"{marker}"):
        return None
    # 2. Read the file and report what it says, with where each time came from.
    events = []
    for n, line in enumerate(item.read_bytes().decode("utf-8", "replace").splitlines()[1:], 1):
        when, _, text = line.partition(" ")
        if when.isdigit():
            # epoch milliseconds (what most exports hold, e.g. "timestamp_ms"): a UTC time
            claim = TimeClaim(local=epoch_ms_to_iso(int(when)), offset="Z", zone="utc",
                              source="line start (epoch ms)", meaning="sent")
        else:
            # a wall time as written, no offset: the core reads it in the case's zone
            claim = TimeClaim(local=when, source="line start", meaning="sent")
        events.append(Event(kind="message", summary=text, key=f"line-{{n}}", claims=(claim,)))
    return Extraction(events=tuple(events), kind="{name}")
'''

TEST_TEMPLATE = '''\
"""Tests for the {name} plugin: run it on a sample file, check what it read."""

from pathlib import Path

from intake.testing import run_plugin

import {name} as plugin


def test_reads_one_line(tmp_path: Path) -> None:
    sample = tmp_path / "sample.txt"
    sample.write_text("{marker}\\n2024-03-01T21:15:00 hello\\n", encoding="utf-8")
    result = run_plugin(plugin, sample)
    assert [e.summary for e in result.events] == ["hello"]
    assert result.events[0].claims[0].utc == "2024-03-01T20:15:00Z"  # Brussels, winter


def test_reads_an_epoch_time_as_utc(tmp_path: Path) -> None:
    sample = tmp_path / "sample.txt"
    sample.write_text("{marker}\\n1709324100000 hello\\n", encoding="utf-8")
    result = run_plugin(plugin, sample)
    assert result.events[0].claims[0].utc == "2024-03-01T20:15:00Z"  # epoch ms are UTC


def test_other_files_are_not_mine(tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("something else", encoding="utf-8")
    assert run_plugin(plugin, other).extraction is None
'''


def new_plugin(name: str, folder: Path) -> list[Path]:
    """Write NAME.py and test_NAME.py into `folder` (never over existing files)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise IntakeError(f"plugin name {name!r}: use lower-case letters, digits and _ "
                          "(a Python module name), e.g. signal_export")
    folder.mkdir(parents=True, exist_ok=True)
    plugin, test = folder / f"{name}.py", folder / f"test_{name}.py"
    for path in (plugin, test):
        if path.exists():
            raise IntakeError(f"{path} exists already; choose another name")
    marker = f"# {name} export"
    plugin.write_text(PLUGIN_TEMPLATE.format(name=name, marker=marker), encoding="utf-8")
    test.write_text(TEST_TEMPLATE.format(name=name, marker=marker), encoding="utf-8")
    return [plugin, test]


def add_plugin_folder(case_dir: Path, folder: Path) -> str:
    """Add `folder` to ``[plugins] folders`` in the case's config; returns what was done.

    The config's comments and layout are kept (tomlkit). When the case has no
    config, or the folder cannot be used there, nothing is changed and the
    answer is the exact line to add by hand.
    """
    if pointer_of(case_dir) is not None:  # the repository checkout: its default case
        case_dir = default_case_dir()  # (never made here: then the line to add is said)
    config_path = case_dir / CONFIG_NAME
    folder = folder.resolve()
    case_dir = case_dir.resolve()
    raw = folder.relative_to(case_dir).as_posix() if case_dir in folder.parents else str(folder)
    by_hand = (f'add the folder to [plugins] in {config_path}: folders = ["{raw}"] '
               "(beside any folders listed there)")
    if not config_path.is_file():
        return by_hand
    old = config_path.read_text(encoding="utf-8")
    doc = tomlkit.parse(old)
    plugins = doc.setdefault("plugins", tomlkit.table())
    folders = plugins.setdefault("folders", tomlkit.array())
    if not isinstance(folders, list):
        return by_hand
    if any((case_dir / str(f)).resolve() == folder for f in folders):
        return f"{config_path} already loads plugins from {raw}"
    folders.append(raw)
    atomic_write(config_path, tomlkit.dumps(doc).encode("utf-8"))
    try:
        load_config(case_dir)
    except ConfigError as exc:
        atomic_write(config_path, old.encode("utf-8"))
        return f"{config_path} was not changed ({exc}); {by_hand}"
    return f'added "{raw}" to [plugins] folders in {config_path}'

"""``intake plugins new NAME``: a plugin file and its test, ready to edit."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from .errors import IntakeError

PLUGIN_TEMPLATE = '''\
"""{name}: reads ... (say which source, e.g. "Signal desktop exports").

Made with `intake plugins new {name}`. See docs/writing-plugins.md.
"""

from __future__ import annotations

from intake import Event, Extraction, ItemView, TimeClaim, hookimpl

__version__ = "0.1.0"


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    # 1. Say "not mine" quickly, from the content (item.head), not the name.
    if not item.head.startswith(b"{marker}"):
        return None
    # 2. Read the file and report what it says, with where each time came from.
    events = []
    for n, line in enumerate(item.read_bytes().decode("utf-8", "replace").splitlines()[1:], 1):
        when, _, text = line.partition(" ")
        events.append(Event(
            kind="message", summary=text, key=f"line-{{n}}",
            claims=(TimeClaim(local=when, source="line start", meaning="sent"),),
        ))
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

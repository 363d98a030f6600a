"""The walk-through in docs/writing-plugins.md is real: extract its code and run its test.

Also the datasette-style meta-tests: every hook in intake/hookspecs.py is
documented, with its signature, in the walk-through's hook list.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

from intake import hookspecs

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def test_walkthrough_plugin_and_its_test_pass(tmp_path: Path) -> None:
    plugin, test = BLOCKS[0], BLOCKS[1]
    (tmp_path / "telegram_export.py").write_text(plugin, encoding="utf-8")
    (tmp_path / "test_telegram_export.py").write_text(test, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                       env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout


def test_walkthrough_plugin_loads_from_a_plugin_folder(tmp_path: Path) -> None:
    from intake.plugins import get_plugin_manager, list_plugins

    (tmp_path / "telegram_export.py").write_text(BLOCKS[0], encoding="utf-8")
    infos = {i.name: i for i in list_plugins(get_plugin_manager([tmp_path]))}
    info = infos["telegram_export"]
    assert info.version == "0.1.0"
    assert info.origin == f"folder:{tmp_path / 'telegram_export.py'}"
    assert info.hooks == ("intake_extract",)


def test_every_hook_is_documented_with_its_signature() -> None:
    for name in hookspecs.HOOK_NAMES:
        fn = getattr(hookspecs, name)
        params = ", ".join(f"{p.name}: {p.annotation}" for p in
                           inspect.signature(fn).parameters.values())
        assert f"`{name}({params})" in DOC, f"{name} is not documented as `{name}({params})`"
        assert fn.__doc__ and ":return:" in fn.__doc__


def test_every_hookspec_is_listed() -> None:
    specs = {n for n in dir(hookspecs) if n.startswith("intake_")}
    assert specs == set(hookspecs.HOOK_NAMES)


def test_plugins_new_scaffolds_a_plugin_whose_test_passes(tmp_path: Path) -> None:
    intake = Path(sys.executable).with_name("intake")
    r = subprocess.run([str(intake), "plugins", "new", "signal_export", "--dir",
                        str(tmp_path / "plugins.local")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "plugins.local"
    assert sorted(p.name for p in folder.iterdir()) == ["signal_export.py",
                                                        "test_signal_export.py"]
    t = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(folder)], cwd=tmp_path, capture_output=True, text=True,
                       env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})
    assert "3 passed" in t.stdout, t.stdout + t.stderr
    again = subprocess.run([str(intake), "plugins", "new", "signal_export", "--dir",
                            str(folder)], capture_output=True, text=True)
    assert again.returncode != 0 and "exists already" in again.stderr


def test_the_streaming_example_yields_its_events(tmp_path: Path) -> None:
    """The "Big files" example: a generator of events, facts and warnings filled as it goes."""
    from intake.testing import run_plugin

    (block,) = [b for b in BLOCKS if "tally_lines" in b]
    (tmp_path / "tally_lines.py").write_text(block, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        import tally_lines
    finally:
        sys.path.remove(str(tmp_path))
    sample = tmp_path / "a.tally"
    lines = [f"2024-03-01T{10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d} bericht {i}"
             for i in range(4_500)]
    sample.write_text("\n".join([*lines, "2024-03-01T12:00:00"]) + "\n", encoding="utf-8")
    result = run_plugin(tally_lines, sample)
    assert len(result.events) == 4_501
    assert result.events[4_499].facts["text"] == "bericht 4499"
    assert result.events[4_499].claims[0].utc == "2024-03-01T11:14:59Z"
    assert result.facts == {"lines": 4_501}
    assert result.warnings == ["line 4501 has no text"]

"""The hooks no other test drives: an adviser's plugin teaches a content type and a report format.

Both through the real CLI on one case (module-scoped, to stay lean).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    drop,
    ingest,
    meta_dir,
    new_case,
    ok,
    replica,
    run_intake,
    sha256,
    with_plugins,
)

DIARY = b"DIARY v1\n2024-03-01 21:15 he stood at the door\n"

TEACHES = '''\
from intake import hookimpl

__version__ = "1.2.3"


@hookimpl
def intake_sniff(head, name):
    """A diary app's export: known by its first bytes, whatever its name."""
    return "text/x-diary" if head.startswith(b"DIARY v1") else None


@hookimpl
def intake_report_formats():
    def write_lines(chronology, out_dir, context):
        out = out_dir / "lines.txt"
        rows = [chronology["root_hash"]] + [e["id"] for e in chronology["entries"]]
        out.write_text("\\n".join(rows) + "\\n", encoding="utf-8")
        return [out]

    return {"lines": write_lines}
'''


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = new_case(tmp_path_factory.mktemp("hooks") / "case")
    with_plugins(case, {"diary.py": TEACHES})
    drop(case, "export.bin", DIARY)
    drop(case, "note.txt", b"een notitie\n")
    ingest(case)
    return case


def test_a_plugins_intake_sniff_names_the_type_of_a_stored_item(case: Path) -> None:
    item = json.loads((meta_dir(replica(case, "a"), sha256(DIARY)) / "item.json").read_text())
    assert item["mime"] == "text/x-diary"  # content decides, not the name export.bin
    note = json.loads((meta_dir(replica(case, "a"), sha256(b"een notitie\n"))
                       / "item.json").read_text())
    assert note["mime"] == "text/plain"  # the built-in sniffer still answers for the rest


def test_a_plugins_intake_report_formats_writes_a_new_format(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json,lines"))
    doc = json.loads((out / "chronology.json").read_text())
    lines = (out / "lines.txt").read_text().splitlines()
    assert lines[0] == doc["root_hash"] and len(lines[0]) == 64
    assert lines[1:] == [e["id"] for e in doc["entries"]] and len(lines) >= 3

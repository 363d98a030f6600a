"""The evidence bundle: contents, SHA256SUMS accepted by sha256sum -c, determinism."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest

from intake.reports.bundle import write_bundle
from intake.reports.pdf_report import exhibit_filename

_spec = importlib.util.spec_from_file_location(
    "_report_case", Path(__file__).with_name("test_pdf_report.py"))
_case = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_case)
make_case, canonical_bytes = _case.make_case, _case.canonical_bytes

needs_sha256sum = pytest.mark.skipif(not shutil.which("sha256sum"),
                                     reason="sha256sum (coreutils) is not installed")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    chronology, context, files = make_case(tmp)
    written = write_bundle(chronology, tmp / "out", context)
    return chronology, context, written, tmp


def _extract(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest / "evidence-bundle"


def test_layout(bundle):
    chronology, context, written, _ = bundle
    assert [p.name for p in written] == ["evidence-bundle.zip"]
    with zipfile.ZipFile(written[0]) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert all(n.startswith("evidence-bundle/") for n in names)
        rel = {n.removeprefix("evidence-bundle/") for n in names}
        exhibits = {f"exhibits/{exhibit_filename(e)}" for e in chronology["exhibits"]}
        assert rel == {"chronology.json", "chronology.pdf", "custody-log.jsonl", "README.txt",
                       "SHA256SUMS"} | exhibits
        assert zf.read("evidence-bundle/chronology.json") == canonical_bytes(chronology)
        assert zf.read("evidence-bundle/custody-log.jsonl") == context.custody_log.read_bytes()
        for e in chronology["exhibits"]:
            data = zf.read(f"evidence-bundle/exhibits/{exhibit_filename(e)}")
            assert hashlib.sha256(data).hexdigest() == e["sha256"]
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        readme = zf.read("evidence-bundle/README.txt").decode("utf-8")
        assert "sha256sum -c SHA256SUMS" in readme and "BEWIJSBUNDEL" in readme
        assert chronology["root_hash"] in readme


def test_sha256sums_format(bundle, tmp_path):
    _, _, written, _ = bundle
    folder = _extract(written[0], tmp_path)
    lines = (folder / "SHA256SUMS").read_bytes().decode().split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    paths = [line.split("  ", 1)[1] for line in lines]
    assert paths == sorted(paths)
    assert "SHA256SUMS" not in paths and "README.txt" in paths
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert sorted(paths + ["SHA256SUMS"]) == files
    for line in lines:
        digest, rel = line.split("  ", 1)
        assert len(digest) == 64
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest


@needs_sha256sum
def test_sha256sum_accepts_and_catches_one_changed_byte(bundle, tmp_path):
    chronology, _, written, _ = bundle
    folder = _extract(written[0], tmp_path)
    ok = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count(": OK") == len(chronology["exhibits"]) + 4

    target = folder / "exhibits" / exhibit_filename(chronology["exhibits"][1])
    data = bytearray(target.read_bytes())
    data[0] ^= 0x01
    target.write_bytes(bytes(data))
    bad = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                         text=True)
    assert bad.returncode != 0
    assert "FAILED" in bad.stdout and target.name in bad.stdout


def test_pdf_inside_is_the_pdfa_report(bundle, tmp_path):
    chronology, _, written, _ = bundle
    folder = _extract(written[0], tmp_path)
    with pikepdf.open(folder / "chronology.pdf") as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "3"
        assert len(pdf.attachments) == len(chronology["exhibits"]) + 1


def test_deterministic(bundle, tmp_path):
    chronology, context, written, _ = bundle
    again = write_bundle(chronology, tmp_path, context)[0]
    assert again.read_bytes() == written[0].read_bytes()


def test_missing_exhibit_and_no_custody_log(tmp_path):
    chronology, context, _ = make_case(tmp_path, missing=("A2",), language="fr")
    from dataclasses import replace

    context = replace(context, custody_log=None)
    zip_path = write_bundle(chronology, tmp_path / "out", context)[0]
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        readme = zf.read("evidence-bundle/README.txt").decode("utf-8")
    assert not any("/A2-" in n for n in names)
    assert "evidence-bundle/custody-log.jsonl" not in names
    assert "PAQUET DE PREUVES" in readme and "A2" in readme
    if shutil.which("sha256sum"):
        folder = _extract(zip_path, tmp_path / "x")
        res = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True)
        assert res.returncode == 0

"""What a plugin or the core warns about an exhibit reaches the police in the
case's language: the HTML report's exhibit list, the PDF's exhibit notes and
`intake status`. The record itself (extraction.json, chronology.json) keeps
the English the warning was written in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf

from intake.reports import pdf_report
from intake.reports.context import ReportContext
from tests.helpers import ingest, new_case, ok, run_intake, status

EN = "the PDF is protected with a password; its dates could not be read"
NL = "de PDF is met een wachtwoord beveiligd; de datums konden niet gelezen worden"
FR = "le PDF est protégé par un mot de passe\u202f; ses dates n’ont pas pu être lues"


def _locked_pdf(path: Path) -> None:
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(path, encryption=pikepdf.Encryption(owner="eigenaar", user="geheim"))


def test_a_plugin_warning_is_shown_in_dutch_and_french_and_kept_in_english(tmp_path):
    case = new_case(tmp_path / "case")  # the default language: Dutch
    _locked_pdf(tmp_path / "brief.pdf")
    ingest(case, tmp_path / "brief.pdf")
    [item] = [w for w in status(case)["items_with_warnings"] if "brief.pdf" in w["names"]]
    assert item["warnings"] == [EN]  # the record: English, as written

    shown = " ".join(ok(run_intake("status", "--case", case)).stdout.split())
    assert f"brief.pdf: {NL}" in shown and EN not in shown

    out = tmp_path / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json,html"))
    html = (out / "chronology.html").read_text(encoding="utf-8")
    assert NL in html and EN not in html
    [exhibit] = [x for x in json.loads((out / "chronology.json").read_bytes())["exhibits"]
                 if "brief.pdf" in x["names"]]
    assert exhibit["warnings"] == [EN]

    ok(run_intake("chronology", "--case", case, "--out", tmp_path / "fr", "--format", "html",
                  "--lang", "fr"))
    html = (tmp_path / "fr" / "chronology.html").read_text(encoding="utf-8")
    assert FR in html and EN not in html


def test_the_pdf_names_embedded_files_not_taken_in_the_case_language(tmp_path):
    note = ("not taken: 3 of 5003 embedded files, reason: more than 5000 in one file (the "
            "limit per file); they stay inside the stored original")
    exhibit = {"number": 1, "label": "A1", "sha256": "ab" * 32, "size": 10,
               "mime": "application/zip", "names": ["export.zip"], "parents": [],
               "warnings": ["the file is empty (0 bytes)", note]}
    words = {
        "nl": "niet opgenomen: 3 van 5003 ingebedde bestanden, reden: meer dan 5000 in één "
              "bestand (de grens per bestand); ze blijven in het bewaarde origineel",
        "fr": "non repris\u00a0: 3 des 5003 fichiers intégrés, raison\u00a0: plus de 5000 dans "
              "un seul fichier (la limite par fichier)\u202f; ils restent dans l’original "
              "conservé",
        "en": note,
    }
    for lang, expected in words.items():
        doc = {"case": {"name": "c", "language": lang}, "exhibits": [exhibit], "entries": [],
               "undated": [], "root_hash": "0" * 64}
        root = tmp_path / lang
        root.mkdir()
        data = pdf_report.build_data(doc, ReportContext(language=lang), root, attach=False)
        # only the "not taken" warning is a note of the PDF's exhibit list
        assert [e["note"] for e in data["exhibits"]] == [expected]

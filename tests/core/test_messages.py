"""Reasons reach people in the case's language; the record stays in English."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from intake.messages import translate

INTAKE = Path(sys.executable).with_name("intake")


def test_nested_reasons_are_translated_part_by_part() -> None:
    en = ("1 of 2 copies made; the file stays in the inbox until the other replicas are "
          "available (replica b: the replica is full; replica usb: its folder is not there "
          "(unplugged or not mounted?))")
    assert translate(en, "nl") == (
        "1 van de 2 kopieën gemaakt; het bestand blijft in de inbox tot de andere kopieën "
        "beschikbaar zijn (kopie b: de schijf van deze kopie is vol; kopie usb: de map is er "
        "niet (losgekoppeld of niet aangekoppeld?))")
    assert translate(en, "fr").startswith("1 copies sur 2 faites\u202f; le fichier reste")
    assert translate(en, "en") == en


def test_unknown_text_is_shown_as_it_is() -> None:
    warning = "EXIF DateTimeOriginal is blank or zero"
    assert translate(warning, "nl") == warning


def test_status_says_why_a_pipe_was_not_taken_in_dutch_and_json_stays_english(
        tmp_path: Path) -> None:
    case = tmp_path / "case"
    subprocess.run([str(INTAKE), "init", str(case)], check=True, capture_output=True)
    os.mkfifo(case / "inbox" / "pipe")
    subprocess.run([str(INTAKE), "--case", str(case), "ingest", "--in-process"], check=True,
                   capture_output=True, timeout=120)
    out = subprocess.run([str(INTAKE), "--case", str(case), "status"], capture_output=True,
                         text=True, check=True).stdout
    assert ("niet opgenomen: inbox/pipe: dit is een pipe of socket, geen bestand; er is niets te "
            "bewaren") in out
    data = json.loads(subprocess.run([str(INTAKE), "--case", str(case), "status", "--json"],
                                     capture_output=True, text=True, check=True).stdout)
    assert data["files_not_taken"][0]["reason"] == ("this is a pipe or socket, not a file; "
                                                    "there is nothing to store")
    assert (case / "inbox" / "pipe").exists()  # left in place


def test_a_picture_without_its_own_time_is_said_in_dutch_and_french() -> None:
    """The photos plugin's warning reached the French case page in English (seen at review)."""
    from intake.messages import translate

    reason = "the image holds no date or time of its own"
    assert translate(reason, "nl") == "de afbeelding bevat zelf geen datum of tijd"
    assert translate(reason, "fr") == "l’image ne contient ni date ni heure qui lui soit propre"
    assert translate(reason, "en") == reason


def test_a_reason_without_parts_gets_the_words_the_patterns_give_it() -> None:
    """`translate` looks a reason without parts up directly (no patterns compiled): for
    every such reason, in both languages, the words are the ones the patterns give."""
    from intake import messages

    plain = [en for en in messages.REASONS if "{" not in en]
    assert len(plain) > 20
    # the patterns took this one for "{x}; {x}" and showed it in English
    whole = "no plugin could read this file; it is stored and listed"
    assert translate(whole, "nl") == ("geen enkele plug-in kon dit bestand lezen; het is "
                                      "bewaard en opgelijst")
    for lang in ("nl", "fr"):
        for en in plain:
            if en != whole:
                assert translate(en, lang) == messages._by_pattern(en, lang), (lang, en)
    assert translate("Both copies are", "nl") == "Beide kopieën staan"


def test_showing_the_one_device_warning_compiles_few_patterns() -> None:
    code = ("from intake import messages\n"
            "w = 'Both copies are on this computer' + \"'s disk. If the computer is lost or \"\n"
            "w += 'broken, the evidence is lost too. Add a USB stick or an archive '\n"
            "w += '(see docs/configuration.md).'\n"
            "print(messages.translate(w, 'fr')[:22], messages._pattern.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    words = out.stdout.split()
    assert words[:4] == ["Les", "deux", "copies", "sont"]
    assert int(words[-1]) < 10, words  # of about 350

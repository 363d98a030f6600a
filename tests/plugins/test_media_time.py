"""Issue 10, points 5 and 10: media at their time, and files intake cannot read.

Fixtures are made in code (tests/helpers/media.py: real MP4/M4A, Ogg Opus, MP3,
DOCX and ODT containers; pillow pictures; WhatsApp exports as zips) and go
through the real CLI. The assertions name the claim's timestamp, granularity
and source field, the sniffed type, and the "kept, not read" reason.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from intake.sniff import sniff_bytes
from tests.helpers import media as fx

INTAKE = Path(sys.executable).with_name("intake")


def intake(case: Path, *args: object) -> subprocess.CompletedProcess:
    r = subprocess.run([str(INTAKE), "--case", str(case), *map(str, args)],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def new_case(path: Path) -> Path:
    subprocess.run([str(INTAKE), "init", str(path), "--name", "Anna"], check=True,
                   capture_output=True)
    return path


def chronology(case: Path) -> dict:
    intake(case, "chronology", "--out", case / "out", "--format", "json")
    return json.loads((case / "out" / "chronology.json").read_text(encoding="utf-8"))


def picture(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    im = Image.new("RGB", size, (250, 250, 250))
    d = ImageDraw.Draw(im)
    for i in range(9):
        x = (seed * 37 + i * 53) % size[0]
        y = (seed * 91 + i * 29) % size[1]
        d.ellipse((x - 30, y - 30, x + 40, y + 35),
                  fill=((seed * 40 + i * 70) % 256, (i * 90) % 256, (seed * 13 + 120) % 256))
    return im


def jpeg(im: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def by_name(doc: dict, name: str) -> dict:
    """The entry read from the exhibit whose names end with `name`."""
    shas = {x["sha256"] for x in doc["exhibits"] if any(n.endswith(name) for n in x["names"])}
    (entry,) = [e for e in doc["entries"] + doc["undated"]
                if e["sources"][0]["exhibit"] in shas]
    return entry


def chosen(entry: dict) -> dict:
    return next(c for c in entry["claims"] if c["chosen"])


# --- sniffing -----------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "mime"), [
    ("memo.m4a", fx.mp4(datetime(2024, 10, 5, 19, 14, tzinfo=UTC)), "audio/mp4"),
    ("clip.mp4", fx.mp4(None, video=True, brand=b"isom"), "video/mp4"),
    ("PTT-20241005-WA0004.opus", fx.ogg_opus(), "audio/ogg"),
    ("song.mp3", fx.mp3("2024-10-05T21:14:00"), "audio/mpeg"),
    ("bare.mp3", fx.mp3(), "audio/mpeg"),
    ("voice.aac", b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\0" * 200, "audio/aac"),
    ("brief.docx", fx.docx("2024-10-05T08:00:00Z", "2024-10-06T09:30:00Z", "Kevin"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("brief.odt", fx.odt("2024-10-05T10:00:00", "2024-10-06T11:00:00", "Kevin"),
     "application/vnd.oasis.opendocument.text"),
])
def test_audio_video_and_office_files_are_sniffed_as_what_they_are(name, data, mime):
    assert sniff_bytes(data[:8192], name) == mime


def test_utf16_text_is_not_taken_for_mpeg_audio():
    assert sniff_bytes("Logboek\nDatum: 1/3/2024\n".encode("utf-16"), "x.txt") == "text/plain"


# --- files intake cannot read: kept, what is cheap is read, the rest said ---------

def test_audio_video_office_read_what_is_cheap_and_say_what_is_not(tmp_path):
    case = new_case(tmp_path / "case")
    src = tmp_path / "drop"
    src.mkdir()
    (src / "memo.m4a").write_bytes(fx.mp4(datetime(2024, 10, 5, 19, 14, 3, tzinfo=UTC)))
    (src / "PTT-20241005-WA0004.opus").write_bytes(fx.ogg_opus())
    (src / "song.mp3").write_bytes(fx.mp3("2024-10-05T21:14:00"))
    (src / "brief.docx").write_bytes(fx.docx("2024-10-05T08:00:00Z", "2024-10-06T09:30:00Z",
                                             "Kevin D."))
    (src / "brief.odt").write_bytes(fx.odt("2024-10-07T10:00:00", "2024-10-08T11:00:00",
                                           "Kevin D."))
    intake(case, "ingest", "--in-process", src)
    doc = chronology(case)
    memo = by_name(doc, "memo.m4a")
    assert memo["kind"] == "audio" and memo["instant"] == "2024-10-05T19:14:03Z"
    c = chosen(memo)
    assert (c["source"], c["meaning"], c["granularity"], c["zone"]) == (
        "MP4 movie header (mvhd creation time)", "created", "second", "utc")
    assert (memo["facts"]["duration_seconds"], memo["facts"]["duration_ms"]) == (12, 12000)
    voice = by_name(doc, "PTT-20241005-WA0004.opus")
    assert voice["kind"] == "audio" and voice["facts"]["voice_note"] is True
    assert (chosen(voice)["source"], chosen(voice)["granularity"], chosen(voice)["local"]) == (
        "WhatsApp media file name", "day", "2024-10-05")
    assert voice["instant"] == "2024-10-04T22:00:00Z"  # the day, in Brussels (+02:00)
    song = by_name(doc, "song.mp3")
    assert (chosen(song)["source"], song["instant"]) == ("MP3 tag TDRC", "2024-10-05T19:14:00Z")
    docx = by_name(doc, "brief.docx")
    assert docx["kind"] == "letter" and docx["who"] == "Kevin D."
    assert [(c["meaning"], c["utc"], c["source"]) for c in docx["claims"]] == [
        ("created", "2024-10-05T08:00:00Z", "docProps/core.xml dcterms:created"),
        ("modified", "2024-10-06T09:30:00Z", "docProps/core.xml dcterms:modified")]
    odt = by_name(doc, "brief.odt")
    assert chosen(odt)["source"] == "meta.xml meta:creation-date"
    assert odt["instant"] == "2024-10-07T08:00:00Z" and odt["facts"]["author"] == "Kevin D."

    mimes = {x["names"][0]: (x["mime"], x["warnings"]) for x in doc["exhibits"]}
    assert mimes["memo.m4a"][0] == "audio/mp4"
    assert mimes["brief.docx"][0].endswith("wordprocessingml.document")
    for name in ("memo.m4a", "PTT-20241005-WA0004.opus", "song.mp3", "brief.docx",
                 "brief.odt"):
        assert any(w.startswith("kept, not read: ") for w in mimes[name][1]), name
    status = intake(case, "status").stdout
    assert status.count("bewaard, niet gelezen") == 5, status
    assert "beluister ze" in status and "open het" in status
    intake(case, "chronology", "--out", case / "html", "--format", "html", "--lang", "fr")
    html = (case / "html" / "chronology.html").read_text(encoding="utf-8")
    assert html.count("conservé, non lu") == 5


# --- WhatsApp media at their message's time -------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _pdf() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    buf = io.BytesIO()
    pdf.save(buf, fix_metadata_version=False)
    return buf.getvalue()


def test_whatsapp_media_take_their_message_time_and_names_give_claims(tmp_path):
    case = new_case(tmp_path / "case")
    chat = ("05/10/2024, 21:14 - Kevin: IMG-20241005-WA0003.jpg (file attached)\n"
            "05/10/2024, 21:15 - Kevin: PTT-20241005-WA0004.opus (file attached)\n"
            "05/10/2024, 21:16 - Kevin: Luister maar goed\n")
    android = tmp_path / "WhatsApp Chat with Kevin.zip"
    android.write_bytes(_zip({"WhatsApp Chat with Kevin.txt": chat.encode(),
                              "IMG-20241005-WA0003.jpg": jpeg(picture(1)),
                              "PTT-20241005-WA0004.opus": fx.ogg_opus(),
                              "IMG-20241006-WA0009.jpg": jpeg(picture(2)),
                              "DOC-20241004-WA0001.pdf": _pdf()}))
    ios_chat = ("[27/10/2024, 02:41:20] Kevin: \u200e<attached: "
                "00000007-PHOTO-2024-10-27-02-41-20.jpg>\n"
                "[27/10/2024, 02:45:00] Kevin: Slaap je al?\n")
    iphone = tmp_path / "WhatsApp Chat - Kevin.zip"
    iphone.write_bytes(_zip({"_chat.txt": ios_chat.encode(),
                             "00000007-PHOTO-2024-10-27-02-41-20.jpg": jpeg(picture(3))}))
    log = tmp_path / "logboek.md"
    log.write_text("# Logboek\n\n## Foto van mijn huis\nDatum: 5/10/2024\nTijd: 21:14\n"
                   "Wat: Hij stuurde een foto van mijn voordeur.\n"
                   "Bewijs: IMG-20241005-WA0003.jpg, brief-die-er-niet-is.pdf\n",
                   encoding="utf-8")
    for path in (android, iphone, log):
        intake(case, "ingest", "--in-process", path)
    doc = chronology(case)

    photo = by_name(doc, "IMG-20241005-WA0003.jpg")
    assert photo["kind"] == "photo" and photo["instant"] == "2024-10-05T19:14:00Z"
    c = chosen(photo)
    assert (c["source"], c["meaning"], c["granularity"]) == (
        "the message it is attached to (WhatsApp message header)", "sent", "minute")
    name = next(c for c in photo["claims"] if c["source"] == "WhatsApp media file name")
    assert (name["local"], name["granularity"]) == ("2024-10-05", "day")
    assert "claims-disagree" not in photo["flags"]
    assert photo["facts"]["phash"]  # every picture is hashed, not only screenshots

    voice = by_name(doc, "PTT-20241005-WA0004.opus")
    assert voice["instant"] == "2024-10-05T19:15:00Z" and voice["kind"] == "audio"

    loose = by_name(doc, "IMG-20241006-WA0009.jpg")  # in the zip, named by no message
    assert (chosen(loose)["source"], loose["granularity"], loose["instant"]) == (
        "WhatsApp media file name", "day", "2024-10-05T22:00:00Z")

    letter = by_name(doc, "DOC-20241004-WA0001.pdf")  # a PDF with no date of its own
    assert (chosen(letter)["source"], letter["granularity"], letter["instant"]) == (
        "WhatsApp media file name", "day", "2024-10-03T22:00:00Z")

    ios = by_name(doc, "00000007-PHOTO-2024-10-27-02-41-20.jpg")
    assert ios["instant"] == "2024-10-27T00:41:20Z"  # 02:41:20 read as the first one...
    assert "dst-ambiguous" in ios["flags"]  # ...and said to be ambiguous
    iname = next(c for c in ios["claims"] if c["source"] == "WhatsApp (iPhone) media file name")
    assert (iname["local"], iname["granularity"]) == ("2024-10-27T02:41:20", "second")

    (entry,) = [e for e in doc["entries"] if e["kind"] == "logbook"]
    assert {"relation": "logbook-exhibit", "entry": photo["number"]} in entry["links"]
    assert {"relation": "logbook-exhibit", "entry": entry["number"]} in photo["links"]
    assert "named-exhibit-not-found" in entry["flags"]  # the letter it names is not here
    assert intake(case, "verify", "--chronology", case / "out" / "chronology.json")


# --- the same picture, re-saved ------------------------------------------------------

def test_a_resaved_photo_is_linked_and_other_pictures_are_not(tmp_path):
    case = new_case(tmp_path / "case")
    src = tmp_path / "drop"
    src.mkdir()
    (src / "deur.jpg").write_bytes(jpeg(picture(5), 92))
    small = picture(5).resize((160, 120))
    (src / "deur-doorgestuurd.jpg").write_bytes(jpeg(small, 45))  # re-saved, smaller
    (src / "auto.jpg").write_bytes(jpeg(picture(6), 92))
    intake(case, "ingest", "--in-process", src)
    doc = chronology(case)
    a, b, c = (by_name(doc, n) for n in ("deur.jpg", "deur-doorgestuurd.jpg", "auto.jpg"))
    assert {"relation": "same-image", "entry": b["number"]} in a["links"]
    assert {"relation": "same-image", "entry": a["number"]} in b["links"]
    assert c["links"] == []


def test_the_threshold_separates_copies_from_lookalike_screenshots():
    """The measurement of bench/bench_phash_threshold.py, on a small fixture set: at the
    threshold intake uses, every copy is linked and no distinct screenshot is."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import bench_phash_threshold as bench

    from intake.chronology.links import PHASH_MAX_DISTANCE

    result = bench.measure(bench.fixtures(n_screens=16, n_photos=4), max_bits=8)
    row = result["table"][PHASH_MAX_DISTANCE]
    assert row["same_linked"] == result["same_pairs"] == 100
    assert row["distinct_linked"] == 0
    nearest = min(d for *_, d in result["distinct"])
    assert nearest > 2 * PHASH_MAX_DISTANCE, nearest


def test_camera_and_recorder_names_give_their_time_and_never_a_copy_time(tmp_path):
    """Issue 14, points 3 and 4: phones name recordings after the clock when they start."""
    case = new_case(tmp_path / "case")
    inbox = case / "inbox"
    (inbox / "Recording_20241005_211430.m4a").write_bytes(fx.mp4(None, seconds=31))
    (inbox / "Call recording Kevin_241006_081502.m4a").write_bytes(fx.mp4(None, seconds=95))
    (inbox / "20241007 223001-1A2B3C4D.m4a").write_bytes(fx.mp4(None, seconds=7))
    (inbox / "VID_20241008_070512.mp4").write_bytes(fx.mp4(None, video=True, brand=b"isom"))
    (inbox / "IMG_20241009_183000.jpg").write_bytes(jpeg(picture(3)))
    (inbox / "20241010_120000.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    intake(case, "ingest", "--in-process")
    doc = chronology(case)
    want = {
        "Recording_20241005_211430.m4a": ("2024-10-05T21:14:30+02:00", "recorded"),
        "Call recording Kevin_241006_081502.m4a": ("2024-10-06T08:15:02+02:00", "recorded"),
        "20241007 223001-1A2B3C4D.m4a": ("2024-10-07T22:30:01+02:00", "recorded"),
        "VID_20241008_070512.mp4": ("2024-10-08T07:05:12+02:00", "taken"),
        "IMG_20241009_183000.jpg": ("2024-10-09T18:30:00+02:00", "taken"),
    }
    for name, (local, meaning) in want.items():
        entry = by_name(doc, name)
        c = chosen(entry)
        assert (entry["local"], c["meaning"], c["source"]) == (
            local, meaning, "camera or recorder file name"), name
        assert (c["confidence"], c["zone"]) == ("medium", "assumed"), name
        assert "low-confidence-time" not in entry["flags"], name
    # a document named like a recording is not given a recording time
    pdf = by_name(doc, "20241010_120000.pdf")
    assert all(c["source"] != "camera or recorder file name" for c in pdf["claims"])


def test_an_iphone_video_takes_apples_creation_date_with_its_offset(tmp_path):
    """Issue 14, point 3: ``com.apple.quicktime.creationdate`` beats the UTC movie header,
    and a header that holds local time (a device bug) is said and not trusted."""
    case = new_case(tmp_path / "case")
    start = datetime(2024, 10, 5, 19, 14, 30, tzinfo=UTC)
    good = fx.mp4(start, video=True, brand=b"qt  ", apple_created="2024-10-05T21:14:30+0200")
    buggy = fx.mp4(start.replace(hour=21), video=True, brand=b"qt  ", seconds=20,
                   apple_created="2024-10-05T21:14:30+0200")
    (case / "inbox" / "IMG_0042.MOV").write_bytes(good)
    (case / "inbox" / "clip.mp4").write_bytes(buggy)
    intake(case, "ingest", "--in-process")
    doc = chronology(case)
    for name in ("IMG_0042.MOV", "clip.mp4"):
        entry = by_name(doc, name)
        c = chosen(entry)
        assert (c["source"], c["local"], c["offset"], c["meaning"]) == (
            "QuickTime com.apple.quicktime.creationdate", "2024-10-05T21:14:30", "+02:00",
            "taken"), name
        assert entry["instant"] == "2024-10-05T19:14:30Z"
        mvhd = next(x for x in entry["claims"] if x["source"].startswith("MP4 movie header"))
        assert mvhd["confidence"] == ("medium" if name == "IMG_0042.MOV" else "low")
    status = json.loads(intake(case, "status", "--json").stdout)
    said = json.dumps(status)
    assert "holds local time, not UTC" in said
    if shutil.which("exiftool"):  # the fixture is what ExifTool reads as an iPhone's video
        path = case / "inbox" / "ingested" / "IMG_0042.MOV"
        tags = json.loads(subprocess.run(["exiftool", "-time:all", "-G1", "-a", "-s", "-json",
                                          str(path)], capture_output=True, text=True,
                                         check=True).stdout)[0]
        assert tags["Keys:CreationDate"] == "2024:10:05 21:14:30+02:00"
        assert tags["QuickTime:CreateDate"] == "2024:10:05 19:14:30"

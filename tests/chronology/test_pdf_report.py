"""The PDF/A-3 chronology for the police: structure, attachments, text, layout.

`make_case` builds a small hand-made chronology in the shape of
docs/chronology-format.md, with real exhibit files; the ombudsman and bundle
tests load it from here.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import time
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from intake.chronology.canonical import canonical_bytes
from intake.chronology.hashing import seal
from intake.chronology.verify import verify_chronology
from intake.reports import pdf_report
from intake.reports.context import ReportContext
from intake.reports.dates import split_local
from intake.reports.pdf_report import (
    build_data,
    exhibit_filename,
    incidents_chart,
    safe_text,
    write_pdf,
)

HOSTILE = '#eval("1") ] <script>alert(1)</script> $x$ *bold* @ref \\ #{'
PV = "BR.12.L3.012345/2024"
SMS_BODY = "Ik zie je wel. Je kan niet ontsnappen 😈 — =HYPERLINK(\"x\")"
GENERATED = "2024-11-28T10:00:00Z"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _jpeg() -> bytes:
    im = Image.new("RGB", (640, 480), (40, 90, 160))
    for x in range(200, 440):
        for y in range(150, 330):
            im.putpixel((x, y), (220, 60, 40))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _entry(number, local, instant, kind, what, exhibit, *, granularity="second", who="",
           to=(), facts=None, witnesses=(), flags=(), source="", plugin="", prev="0" * 64):
    entry = {
        "number": number, "instant": instant, "local": local, "granularity": granularity,
        "kind": kind, "what": what, "who": who, "to": list(to), "category": "",
        "witnesses": list(witnesses), "flags": list(flags), "facts": facts or {},
        "claims": [{"local": local, "offset": local[-6:] if local else "", "utc": instant,
                    "zone": "explicit", "source": source, "meaning": "called",
                    "granularity": granularity, "confidence": "high", "note": "",
                    "flags": [], "plugin": plugin, "plugin_version": "0.1.0",
                    "exhibit": exhibit, "chosen": True}],
        "chosen_because": "only claim", "exhibits": [exhibit],
        "sources": [{"exhibit": exhibit, "plugin": plugin, "plugin_version": "0.1.0",
                     "event_key": f"k{number}"}],
        "links": [], "prev_hash": prev,
    }
    entry["entry_hash"] = _sha(canonical_bytes(entry))
    return entry


def make_case(tmp: Path, *, missing: tuple[str, ...] = (), language: str = "nl",
              extra_entries: int = 0):
    """A chronology dict, its exhibits on disk and a ReportContext."""
    # Labels in the builder's order: by first entry, then SHA-256.
    files = {
        "A1": ("calls.csv", "text/csv",
               b"date;number;type;duration\n2024-06-28 21:14:05;;missed;0\n"),
        "A2": ("sms.xml", "application/xml", b"<smses><sms body='Ik zie je wel'/></smses>"),
        "A3": ("IMG_0042.jpg", "image/jpeg", _jpeg()),
        "A4": ("Screenshot 2024-07-02.png", "image/png",
               _png(Image.new("RGB", (300, 600), (250, 250, 250)))),
        "A5": ("mail.eml", "message/rfc822",
               f"From: x@example.org\nSubject: {HOSTILE}\n\nhello\n".encode()),
        "A6": ("logbook.json", "application/json",
               json.dumps({"pv_number": PV}, ensure_ascii=False).encode()),
    }
    store = tmp / "store"
    store.mkdir(parents=True, exist_ok=True)
    exhibits, paths, sha_of = [], {}, {}
    for i, (label, (name, mime, data)) in enumerate(files.items(), start=1):
        sha = _sha(data)
        sha_of[label] = sha
        p = store / sha
        p.write_bytes(data)
        if label not in missing:
            paths[sha] = p
        exhibits.append({"number": i, "label": label, "sha256": sha,
                         "sha512": hashlib.sha512(data).hexdigest(),
                         "md5": hashlib.md5(data).hexdigest(), "size": len(data),
                         "mime": mime, "names": [name], "parents": [], "warnings": []})
    s = sha_of
    specs = [
        ("2024-06-28T21:14:05+02:00", "2024-06-28T19:14:05Z", "call",
         "Gemiste oproep van een verborgen nummer", s["A1"],
         dict(facts={"direction": "missed", "withheld": True, "rings": 7,
                     "duration_seconds": 0}, who="", source="call log", plugin="calls")),
        ("2024-06-29T02:03:44+02:00", "2024-06-29T00:03:44Z", "call",
         "Inkomende oproep, stilte", s["A1"],
         dict(facts={"direction": "incoming", "number": "+32470123456",
                     "duration_seconds": 12, "rings": 1}, who="+32470123456",
              source="call log", plugin="calls")),
        ("2024-06-30T08:00:00+02:00", "2024-06-30T06:00:00Z", "sms",
         "Sms ontvangen", s["A2"],
         dict(facts={"direction": "incoming", "number": "+32470123456", "body": SMS_BODY},
              who="+32470123456", source="SMS backup date", plugin="sms")),
        ("2024-06-30T09:10:00+02:00", "2024-06-30T07:10:00Z", "sms",
         "Sms verstuurd", s["A2"],
         dict(facts={"direction": "outgoing", "number": "+32470123456", "body": "Laat me gerust"},
              who="", to=["+32470123456"], source="SMS backup date", plugin="sms")),
        ("2024-07-01T23:30:00+02:00", "2024-07-01T21:30:00Z", "photo",
         "Foto: bekraste autodeur", s["A3"],
         dict(facts={"make": "Apple"}, source="EXIF DateTimeOriginal", plugin="photos")),
        ("2024-07-02T07:45:12+02:00", "2024-07-02T05:45:12Z", "screenshot",
         "Schermafbeelding van Instagram-bericht", s["A4"],
         dict(source="file name pattern", plugin="photos", flags=["claims-disagree"])),
        ("2024-07-03T10:15:00+02:00", "2024-07-03T08:15:00Z", "email",
         f"E-mail: {HOSTILE}", s["A5"],
         dict(granularity="minute", who="x@example.org", to=["slachtoffer@example.be"],
              facts={"subject": HOSTILE}, source="Date header", plugin="email")),
        ("2024-07-05T18:00:00+02:00", "2024-07-05T16:00:00Z", "logbook",
         "Stond voor mijn deur, Слава Іванов 🙂, belde aan; aangifte gedaan", s["A6"],
         dict(granularity="minute", who="victim",
              witnesses=["Jan Peeters (0470 11 22 33)"],
              facts={"place": "Voordeur, Gent", "pv_number": PV,
                     "witnesses": [{"name": "Jan Peeters", "contact": "0470 11 22 33"}]},
              source="declared by the victim", plugin="logbook")),
        ("2024-07-10T22:05:09+02:00", "2024-07-10T20:05:09Z", "call",
         "Geblokkeerde oproep", s["A1"],
         dict(facts={"direction": "blocked", "number": "+32470123456"},
              who="+32470123456", source="call log", plugin="calls")),
    ]
    entries, prev = [], "0" * 64
    for n, (local, instant, kind, what, exh, kw) in enumerate(specs, start=1):
        e = _entry(n, local, instant, kind, what, exh, prev=prev, **kw)
        entries.append(e)
        prev = e["entry_hash"]
    for k in range(extra_entries):
        day = 1 + k % 28
        month = 8 + (k // 28) % 4
        local = f"2024-{month:02d}-{day:02d}T{k % 24:02d}:{k % 60:02d}:{(k * 7) % 60:02d}+02:00"
        e = _entry(len(entries) + 1, local, local.replace("+02:00", "Z"), "call",
                   f"Oproep {k} {HOSTILE}", s["A1"], prev=prev,
                   facts={"direction": "missed", "withheld": bool(k % 2), "rings": k % 9},
                   source="call log", plugin="calls")
        entries.append(e)
        prev = e["entry_hash"]
    undated = [{**_entry(len(entries) + 1, "", "", "file", "Brief zonder datum", s["A6"],
                         granularity="day", source="", plugin="file"),
                "claims": [], "instant": None, "local": None, "granularity": None}]
    chronology = {
        "format": "intake-chronology/1",
        "case": {"name": "Dossier Janssens – Gent", "timezone": "Europe/Brussels",
                 "language": language},
        "tool": {"name": "intake", "version": "0.1.0"},
        "period": {"from": "2024-06-01", "to": None},
        "exhibits": exhibits,
        "entries": entries,
        "undated": undated,
    }
    seal(chronology)

    custody = tmp / "custody.jsonl"
    custody.write_text(
        json.dumps({"event": "received", "seq": 1, "sha256": s["A3"]}) + "\n"
        + json.dumps({"event": "stored", "seq": 2}) + "\n", encoding="utf-8")
    by_sha = {e["sha256"]: e for e in exhibits}

    def thumbnail(sha: str, size: int):
        ex = by_sha.get(sha)
        if ex is None or not ex["mime"].startswith("image/") or sha not in paths:
            return None
        with Image.open(paths[sha]) as im:
            im.thumbnail((size, size))
            return _png(im.convert("RGB"))

    context = ReportContext(
        case_name="Dossier Janssens – Gent", language=language, timezone="Europe/Brussels",
        tool_version="0.1.0", generated_at=GENERATED,
        object_path=lambda sha: paths.get(sha), thumbnail=thumbnail, custody_log=custody)
    return chronology, context, {label: (name, mime, data) for label, (name, mime, data)
                                 in files.items()}


def pdftotext(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                         check=True, capture_output=True)
    return out.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def nl_pdf(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf-nl")
    chronology, context, files = make_case(tmp)
    written = write_pdf(chronology, tmp / "out", context)
    return chronology, context, files, written


# --- structure -----------------------------------------------------------------


def test_writes_one_pdf(nl_pdf):
    _, _, _, written = nl_pdf
    assert [p.name for p in written] == ["chronology.pdf"]
    assert written[0].read_bytes().startswith(b"%PDF-")


def test_pdfa3b_in_xmp_and_syntax_clean(nl_pdf):
    _, _, _, written = nl_pdf
    with pikepdf.open(written[0]) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3"
        assert meta.get("pdfaid:conformance") == "B"
        assert pdf.check_pdf_syntax() == []
        assert pdf.docinfo.get("/CreationDate") == "D:20241128100000Z"


def test_attachments_are_json_and_every_exhibit(nl_pdf):
    chronology, _, files, written = nl_pdf
    with pikepdf.open(written[0]) as pdf:
        atts = dict(pdf.attachments)
        assert len(atts) == len(chronology["exhibits"]) + 1
        expected = {"chronology.json"} | {exhibit_filename(e) for e in chronology["exhibits"]}
        assert set(atts) == expected
        assert "A3-" + chronology["exhibits"][2]["sha256"] + ".jpg" in atts
        assert atts["chronology.json"].get_file().read_bytes() == canonical_bytes(chronology)
        assert str(atts["chronology.json"].obj.get("/AFRelationship")) == "/Data"
        # attached after typst, from its file (typesetting.attach_late), as typst attaches
        json_file = atts["chronology.json"].get_file()
        assert json_file.mime_type == "application/json"
        assert json_file.size == len(canonical_bytes(chronology))
        assert str(json_file.obj.get("/Filter")) == "/FlateDecode"
        assert json_file.obj.Params.ModDate == "D:20241128100000Z"
        assert str(atts["chronology.json"].obj.UF) == "chronology.json"
        for ex in chronology["exhibits"]:
            spec = atts[exhibit_filename(ex)]
            data = spec.get_file().read_bytes()
            assert hashlib.sha256(data).hexdigest() == ex["sha256"]
            assert str(spec.obj.get("/AFRelationship")) == "/Source"
            assert spec.get_file().mime_type == ex["mime"]
        # PDF/A-3 wants them listed as associated files of the document too
        assert len(pdf.Root.get("/AF", [])) == len(atts)


def test_qpdf_check(nl_pdf):
    if not shutil.which("qpdf"):
        pytest.skip("qpdf is not installed")
    _, _, _, written = nl_pdf
    res = subprocess.run(["qpdf", "--check", str(written[0])], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No syntax or stream encoding errors found" in res.stdout


def test_deterministic(nl_pdf, tmp_path):
    chronology, context, _, written = nl_pdf
    again = write_pdf(chronology, tmp_path, context)[0]
    assert again.read_bytes() == written[0].read_bytes()


# --- text ------------------------------------------------------------------------


def test_text_has_pv_hashes_times_and_hostile_text_verbatim(nl_pdf):
    chronology, _, _, written = nl_pdf
    text = pdftotext(written[0])
    flat = " ".join(text.split())
    assert PV in flat
    for ex in chronology["exhibits"]:
        assert ex["sha256"] in flat
    assert chronology["root_hash"] in flat
    assert "Chronologie van feiten" in flat
    assert "01/07/2024" in flat and "23:30:00 +02:00" in flat
    assert "10:15 +02:00" in flat          # minute granularity: no seconds invented
    assert '#eval("1")' in flat and "<script>alert(1)</script>" in flat
    for piece in ("$x$", "*bold*", "@ref", "\\ #{"):
        assert piece in flat
    assert "Слава Іванов [U+1F642]" in flat   # Cyrillic shown; emoji as its code point
    assert "Jan Peeters (0470 11" in flat
    assert "sha256sum -c SHA256SUMS" in flat
    assert "Brief zonder datum" in flat
    assert "Slachtoffer" in flat and "Handtekening" in flat
    assert "Alle stukken zijn als bijlage" in flat


def test_typst_never_sees_markup_from_user_text(tmp_path):
    chronology, context, _ = make_case(tmp_path)
    root = tmp_path / "root"
    root.mkdir()
    data = build_data(chronology, context, root)
    rows = {r["number"]: r for r in data["rows"]}
    assert rows["7"]["what"] == f"E-mail: {HOSTILE}"
    assert rows["1"]["time"] == "21:14:05 +02:00" and rows["1"]["date"] == "28/06/2024"
    assert rows["8"]["exhibits"] == "A6"
    assert rows["8"]["witnesses"] == ["Jan Peeters (0470 11 22 33)"]
    assert data["pvs"] == [{"pv": PV, "date": "05/07/2024", "entry": "8",
                            "what": chronology["entries"][7]["what"]}]
    template = (Path(pdf_report.__file__).parent / "typst" / "report.typ").read_text()
    assert "eval(" not in template  # the template never evaluates strings


def test_french_and_english(tmp_path):
    for lang, title, col in (("fr", "Chronologie des faits", "Témoins"),
                             ("en", "Chronology of events", "Witnesses")):
        chronology, context, _ = make_case(tmp_path / lang, language=lang)
        pdf = write_pdf(chronology, tmp_path / lang / "out", context)[0]
        flat = " ".join(pdftotext(pdf).split())
        assert title in flat and col in flat
        if lang == "en":
            assert "2024-07-01" in flat
        else:
            assert "01/07/2024" in flat and "Procès-verbaux antérieurs" in flat


def test_missing_exhibit_is_said_not_hidden(tmp_path):
    chronology, context, _ = make_case(tmp_path, missing=("A5",))
    pdf = write_pdf(chronology, tmp_path / "out", context)[0]
    with pikepdf.open(pdf) as doc:
        names = set(doc.attachments)
    assert len(names) == len(chronology["exhibits"])  # 5 exhibits + the JSON
    assert not any(n.startswith("A5-") for n in names)
    flat = " ".join(pdftotext(pdf).split())
    assert "niet aan de PDF worden toegevoegd" in flat and "beschikbaar): A5" in flat


# --- pieces --------------------------------------------------------------------


def test_split_local():
    assert split_local("2024-07-01T23:30:00+02:00") == ("2024-07-01", "23:30:00", "+02:00")
    assert split_local("2024-07-01T23:30:00.123+02:00", "subsecond")[1] == "23:30:00"
    assert split_local("2024-07-01T23:30:00+02:00", "minute") == ("2024-07-01", "23:30", "+02:00")
    assert split_local("2024-07-01T23:30:00+02:00", "day") == ("2024-07-01", "", "")
    assert split_local("2021-04-11T15:47:53.054-05:00")[2] == "-05:00"
    assert split_local("2024-07-01T10:00:00Z")[2] == "+00:00"
    assert split_local("garbage") == ("", "", "")


def test_safe_text():
    assert safe_text("é à ç ë Привет") == "é à ç ë Привет"
    assert safe_text("e\u0301") == "é"                   # NFC first
    assert safe_text("hi 😀 中") == "hi [U+1F600] [U+4E2D]"
    assert safe_text("❤️") == "❤"                       # variation selector dropped
    assert safe_text("a\x07b\tc") == "a[U+0007]b c"


def test_incidents_chart_weeks_with_gaps_and_no_outgoing():
    def e(local, direction="incoming"):
        return {"kind": "sms", "instant": "set", "local": local,
                "facts": {"direction": direction},
                "claims": [{"chosen": True, "meaning": "received"}]}

    chart = incidents_chart([
        e("2024-07-01T10:00:00+02:00"), e("2024-07-07T23:59:00+02:00"),
        e("2024-07-22T10:00:00+02:00"), e("2024-07-23T10:00:00+02:00", "outgoing"),
        e("2024-12-30T01:00:00+01:00"),
    ])
    assert chart["unit"] == "week"
    counts = {b["key"]: b["count"] for b in chart["bars"]}
    assert counts["2024-W27"] == 2 and counts["2024-W28"] == 0 and counts["2024-W30"] == 1
    assert counts["2025-W01"] == 1        # ISO week of 30 Dec 2024
    assert chart["total"] == 4 and chart["peak"] == 2
    assert chart["bars"][0]["label"] == "W27" and chart["bars"][0]["sub"] == "01/07/2024"
    assert chart["bars"][0]["permille"] == 1000 and chart["bars"][1]["permille"] == 0
    long = incidents_chart([e("2020-01-01T10:00:00+01:00"), e("2024-01-01T10:00:00+01:00")])
    assert long["unit"] == "month" and len(long["bars"]) == 49


def test_exhibit_filename():
    ex = {"label": "A1", "sha256": "ab" * 32, "mime": "image/jpeg", "names": ["x.JPG"]}
    assert exhibit_filename(ex) == f"A1-{'ab' * 32}.jpg"
    ex = {"label": "B/2", "sha256": "cd" * 32, "mime": "", "names": ["chat.TXT"]}
    assert exhibit_filename(ex) == f"B_2-{'cd' * 32}.txt"
    ex = {"label": "C3", "sha256": "ef" * 32, "mime": "", "names": ["noext"]}
    assert exhibit_filename(ex).endswith(".bin")


# --- layout ----------------------------------------------------------------------


def test_page_one_renders(nl_pdf, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    _, _, _, written = nl_pdf
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(written[0]),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    with Image.open(png) as im:
        assert im.width > 500 and im.height > 700
        # not blank: some dark ink (text) and the red chart bars
        colors = im.convert("RGB").getcolors(1 << 20)
        assert any(sum(c) < 150 for _, c in colors)
        assert any(r > 150 and g < 80 and b < 80 for _, (r, g, b) in colors)


@pytest.mark.slow
def test_thousand_entries_compile_in_reasonable_time(tmp_path):
    chronology, context, _ = make_case(tmp_path, extra_entries=1000)
    start = time.monotonic()
    pdf = write_pdf(chronology, tmp_path / "out", context)[0]
    seconds = time.monotonic() - start
    with pikepdf.open(pdf) as doc:
        # at most PDF_MAX_ENTRIES are printed in full (tests/reliability/test_memory.py)
        assert len(doc.pages) > 10
        assert doc.open_metadata().get("pdfaid:part") == "3"
    assert seconds < 120, f"1000 entries took {seconds:.1f}s"


# --- with the real builder ----------------------------------------------------------


def test_attached_json_passes_verify(nl_pdf):
    chronology, _, _, written = nl_pdf
    with pikepdf.open(written[0]) as pdf:
        data = pdf.attachments["chronology.json"].get_file().read_bytes()
    assert verify_chronology(data) == []


def test_report_from_a_built_chronology(tmp_path):
    """The sample records of the chronology tests (tests/helpers/samples.py), through build_chronology, into the PDF."""
    from tests.helpers import samples

    doc = samples.build()
    store = tmp_path / "store"
    store.mkdir()
    paths = {}
    for name, data in samples.CONTENT.items():
        (store / samples.SHA[name]).write_bytes(data)
        paths[samples.SHA[name]] = store / samples.SHA[name]
    context = ReportContext(case_name="Zaak Janssens", generated_at=GENERATED,
                            object_path=paths.get)
    pdf = write_pdf(doc, tmp_path / "out", context)[0]
    with pikepdf.open(pdf) as p:
        assert p.open_metadata().get("pdfaid:part") == "3"
        held = sum(1 for e in doc["exhibits"] if e["sha256"] in paths)
        assert len(p.attachments) == held + 1
        assert verify_chronology(p.attachments["chronology.json"].get_file().read_bytes()) == []
    if shutil.which("pdftotext"):
        flat = " ".join(pdftotext(pdf).split())
        assert doc["root_hash"] in flat
        for e in doc["exhibits"]:
            assert e["sha256"] in flat

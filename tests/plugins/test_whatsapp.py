"""The WhatsApp plugin on chat exports written here, in the formats phones write."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import intake.builtin.whatsapp as wa
import pytest

from intake.testing import run_plugin

LRM = "\u200e"

NL_BE_ANDROID = (
    "18/03/2022 14:56 - Berichten en oproepen worden end-to-end versleuteld.\n"
    "18/03/2022 14:57 - Kevin: Ik sta voor je deur\n"
    "Doe open\n"
    "\n"
    "Nu\n"
    f"18/03/2022 15:10 - Kevin: <Media weggelaten>\n"
    f"18/03/2022 15:11 - Kevin: {LRM}IMG-20220318-WA0001.jpg (bestand bijgevoegd)\n"
    "19/03/2022 00:05 - Anna: Laat me met rust\n"
)

NL_NL_ANDROID = (
    "27-03-2022 01:59 - Kevin: net voor de klok verzet wordt\n"
    "27-03-2022 03:01 - Kevin: en net erna\n"
)

FR_ANDROID = (
    "18/03/2022 à 14:56 - Kevin: Tu ne peux pas m'ignorer\n"
    "18/03/2022 à 14:58 - Kevin: <Médias omis>\n"
)

EN_IOS = (
    f"[18/03/2022, 14:56:01] Kevin: {LRM}Messages and calls are end-to-end encrypted.\r\n"
    f"{LRM}[18/03/2022, 14:56:01] Kevin: {LRM}<attached: 00000012-PHOTO-2022-03-18-14-56-01.jpg>\r\n"
    "[18/03/2022, 14:57:30] Kevin: Where are you?\r\n"
)

EN_US_ANDROID = (
    "3/18/22, 2:56 PM - Kevin: I know where you live\n"
    "3/18/22, 12:05 AM - Kevin: answer me\n"
    "3/19/22, 00:08 AM - Kevin: impossible clock\n"
)

# A 1x1 JPEG (bytes as a camera writes them, minimal)
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")


def write(tmp_path: Path, name: str, text: str, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_dutch_belgian_android(tmp_path):
    path = write(tmp_path, "WhatsApp-chat met Kevin.txt", NL_BE_ANDROID, bom=True)
    result = run_plugin(wa, path)
    events = result.events
    assert len(events) == 5
    assert [e.key for e in events] == ["msg-1", "msg-2", "msg-3", "msg-4", "msg-5"]
    system = events[0]
    assert system.facts["system"] is True and system.who == ""
    msg = events[1]
    assert msg.who == "Kevin"
    assert msg.facts["chat"] == "Kevin"
    assert msg.facts["text"] == "Ik sta voor je deur\nDoe open\n\nNu"
    claim = msg.claims[0]
    assert claim.local == "2022-03-18T14:57:00"
    assert claim.offset == "+01:00"
    assert claim.utc == "2022-03-18T13:57:00Z"
    assert claim.zone == "assumed"
    assert claim.granularity == "minute"
    assert claim.source == "WhatsApp message header"
    assert events[2].facts["media_omitted"] is True and events[2].facts["media"] == ""
    assert events[3].facts["media"] == "IMG-20220318-WA0001.jpg"
    assert events[4].who == "Anna"
    assert events[4].claims[0].utc == "2022-03-18T23:05:00Z"
    assert result.facts["date_order"] == "day-first"
    assert not any("ambiguous" in w for w in result.warnings)


def test_dutch_netherlands_android_dst_gap(tmp_path):
    path = write(tmp_path, "WhatsApp-chat met Kevin.txt", NL_NL_ANDROID)
    result = run_plugin(wa, path)
    before, after = result.events
    assert before.claims[0].local == "2022-03-27T01:59:00"
    assert before.claims[0].utc == "2022-03-27T00:59:00Z"
    assert after.claims[0].offset == "+02:00"
    assert after.claims[0].utc == "2022-03-27T01:01:00Z"


def test_french_android_a_separator(tmp_path):
    path = write(tmp_path, "Discussion WhatsApp avec Kevin.txt", FR_ANDROID)
    result = run_plugin(wa, path)
    assert len(result.events) == 2
    assert result.events[0].facts["chat"] == "Kevin"
    assert result.events[0].claims[0].local == "2022-03-18T14:56:00"
    assert result.events[1].facts["media_omitted"] is True


def test_english_ios_marks_and_attachment(tmp_path):
    path = write(tmp_path, "_chat.txt", EN_IOS)
    result = run_plugin(wa, path)
    first, photo, question = result.events
    assert first.facts["system"] is True
    assert first.who == "Kevin"
    assert photo.facts["media"] == "00000012-PHOTO-2022-03-18-14-56-01.jpg"
    assert photo.claims[0].local == "2022-03-18T14:56:01"
    assert photo.claims[0].granularity == "second"
    assert question.claims[0].utc == "2022-03-18T13:57:30Z"
    assert question.facts["text"] == "Where are you?"


def test_us_android_twelve_hour_clock(tmp_path):
    path = write(tmp_path, "WhatsApp Chat with Kevin.txt", EN_US_ANDROID)
    result = run_plugin(wa, path)
    pm, midnight, impossible = result.events
    assert result.facts["date_order"] == "month-first"
    assert pm.claims[0].local == "2022-03-18T14:56:00"
    assert midnight.claims[0].local == "2022-03-18T00:05:00"
    assert impossible.claims[0].local == "2022-03-19T00:08:00"
    assert "impossible-12h-time" in impossible.claims[0].flags
    assert any("12-hour clock" in w for w in result.warnings)


def test_ambiguous_date_order_is_flagged(tmp_path):
    text = "01/02/2022, 10:00 - Kevin: een\n03/02/2022, 11:00 - Kevin: twee\n"
    result = run_plugin(wa, write(tmp_path, "chat.txt", text))
    assert result.events[0].claims[0].local == "2022-02-01T10:00:00"
    assert "ambiguous-date-order" in result.events[0].flags
    assert result.events[0].claims[0].confidence == "medium"
    assert any("ambiguous-date-order" in w for w in result.warnings)


def test_other_formats(tmp_path):
    text = ("[3/18/2565 BE, 14:56:01] Kevin: Buddhist\n"
            "[14:57:02, 3/18/22] Kevin: time first\n"
            "18.3.2022 klo 15.00.00 - Kevin: klo\n"
            "[\u0661\u0668/\u0663/\u0662\u0660\u0662\u0662\u060c \u0663:\u0660\u0660:\u0660\u0660"
            "\u00a0\u0645] Kevin: Arabic digits\n")
    result = run_plugin(wa, write(tmp_path, "chat.txt", text))
    assert [e.claims[0].local for e in result.events] == [
        "2022-03-18T14:56:01", "2022-03-18T14:57:02", "2022-03-18T15:00:00",
        "2022-03-18T15:00:00"]
    assert "buddhist-calendar" in result.events[0].claims[0].flags


def test_not_a_chat(tmp_path):
    path = write(tmp_path, "notes.txt", "Boodschappen\nmelk\nbrood\n")
    assert run_plugin(wa, path).extraction is None


def make_zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_with_media(tmp_path):
    data = make_zip([("_chat.txt", EN_IOS.encode()),
                     ("00000012-PHOTO-2022-03-18-14-56-01.jpg", JPEG),
                     ("notes.vcf", b"BEGIN:VCARD\nEND:VCARD\n")])
    path = tmp_path / "WhatsApp Chat - Kevin.zip"
    path.write_bytes(data)
    result = run_plugin(wa, path)
    assert result.extraction.kind == "whatsapp-export"
    assert len(result.events) == 3
    assert result.events[0].facts["chat"] == "Kevin"
    photo = [d for d in result.derived if d.name.endswith(".jpg")][0]
    assert photo.data == JPEG
    assert photo.relation == "zip-member"
    assert photo.event_key == "msg-2"
    vcf = [d for d in result.derived if d.name == "notes.vcf"][0]
    assert vcf.event_key == ""
    assert len(result.derived) == 2


def _declare_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the central directory's uncompressed size of one member."""
    raw = bytearray(data)
    name = member.encode()
    pos = raw.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if bytes(raw[pos + 46:pos + 46 + name_len]) == name:
            struct.pack_into("<I", raw, pos + 24, size)
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return bytes(raw)


def test_zip_hostile_members(tmp_path):
    data = make_zip([("_chat.txt", NL_BE_ANDROID.encode()),
                     ("../evil.jpg", JPEG),
                     ("huge.bin", b"x" * 100)])
    data = _declare_size(data, "huge.bin", 600 * 1024 * 1024)
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    result = run_plugin(wa, path)
    names = [d.name for d in result.derived]
    assert names == ["../evil.jpg"]  # kept as written, never a path
    assert not (tmp_path.parent / "evil.jpg").exists()
    assert any("huge.bin" in w and "512 MB" in w for w in result.warnings)
    assert len(result.events) == 5


def test_zip_bomb_ratio(tmp_path):
    data = make_zip([("_chat.txt", NL_BE_ANDROID.encode()), ("zeros.bin", b"\0" * 3_000_000)])
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    result = run_plugin(wa, path)
    assert result.derived == ()
    assert any("zeros.bin" in w and "200 times" in w for w in result.warnings)


def test_zip_that_is_not_whatsapp(tmp_path):
    path = tmp_path / "photos.zip"
    path.write_bytes(make_zip([("readme.txt", b"holiday photos\n"), ("a.jpg", JPEG)]))
    assert run_plugin(wa, path).extraction is None


@pytest.mark.parametrize("name,expected", [
    ("WhatsApp Chat with Kevin.txt", "Kevin"),
    ("WhatsApp-chat met Kevin De Smet.txt", "Kevin De Smet"),
    ("Discussion WhatsApp avec Kevin.txt", "Kevin"),
    ("WhatsApp Chat - Kevin.zip", "Kevin"),
    ("_chat.txt", ""),
])
def test_chat_name(name, expected):
    assert wa.chat_name(name) == expected

"""One XMP reader (plugins/_xmp.py) for photos, screenshots and PDF letters (issue 11, point 5)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from intake.testing import run_plugin
from plugins import _xmp, photos

ROOT = Path(__file__).resolve().parents[2]

PACKET = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:foo="urn:unknown" '
    b'xmp:CreateDate="2024-03-05T14:15:16+01:00" foo:Secret="not ours">'
    b'<dc:creator><rdf:Seq><rdf:li>Anna</rdf:li><rdf:li>Kevin</rdf:li></rdf:Seq></dc:creator>'
    b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Brief</rdf:li></rdf:Alt></dc:title>'
    b'<xmp:ModifyDate>2024-03-06T08:00:00Z</xmp:ModifyDate>'
    b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def test_attributes_elements_and_lists():
    (packet,) = _xmp.find_packets(b"junk" + PACKET + b"more junk")
    assert _xmp.properties(packet) == {
        "xmp:CreateDate": ["2024-03-05T14:15:16+01:00"], "dc:creator": ["Anna", "Kevin"],
        "dc:title": ["Brief"], "xmp:ModifyDate": ["2024-03-06T08:00:00Z"]}
    assert _xmp.first_values(packet)["dc:creator"] == "Anna"


def test_unsafe_or_broken_packets_give_nothing_or_say_so():
    entity = b'<!DOCTYPE x [<!ENTITY e "boom">]>' + PACKET
    assert _xmp.properties(entity) == {}
    with pytest.raises(_xmp.XmpError):
        _xmp.properties(b"<x:xmpmeta><rdf:RDF></x:xmpmeta>")
    assert _xmp.first_values(b"<x:xmpmeta><rdf:RDF></x:xmpmeta>") == {}
    assert _xmp.find_packets(b"<x:xmpmeta " + b"a" * (_xmp.MAX_BYTES + 1) + b"</x:xmpmeta>") == []


def test_a_photo_reads_its_xmp_through_the_one_reader(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (5, 5, 5)).save(buf, "JPEG", xmp=PACKET)
    path = tmp_path / "x.jpg"
    path.write_bytes(buf.getvalue())
    claims = {c.source: c for e in run_plugin(photos, path).events for c in e.claims}
    assert (claims["XMP xmp:CreateDate"].local, claims["XMP xmp:CreateDate"].offset) == (
        "2024-03-05T14:15:16", "+01:00")


def test_no_other_module_parses_xmp():
    holders = sorted(str(p.relative_to(ROOT)) for folder in ("intake", "plugins")
                     for p in (ROOT / folder).rglob("*.py")
                     if re.search(r"22-rdf-syntax-ns|rdf\}Description",
                                  p.read_text(encoding="utf-8")))
    assert holders == ["plugins/_xmp.py"]

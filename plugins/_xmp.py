"""XMP, the RDF/XML metadata in pictures and PDFs: one reader (not a plugin itself).

Photos, screenshots and PDF letters all carry XMP packets
(``<x:xmpmeta>…</x:xmpmeta>``; some PDFs only ``<rdf:RDF>``). `properties`
gives every property of a known namespace as ``prefix:Name`` -> its texts,
written either as an attribute of ``rdf:Description`` or as a child element
(an ``rdf:Seq``/``rdf:Bag``/``rdf:Alt`` list gives its items in order); the
caller takes the first or joins them. Parsed with the standard library: a
packet over ``MAX_BYTES``, or one declaring a DTD or an entity (nothing is
ever expanded from a file we do not trust), gives nothing; XML that is not
well formed raises `XmpError` so that a reader can say so.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

#: Largest XMP packet parsed, and the most packets looked at in one file.
MAX_BYTES = 1024 * 1024
MAX_PACKETS = 4

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: The namespaces whose properties are read, by the prefix they are known by.
NAMESPACES = {
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_PREFIX = {uri: prefix for prefix, uri in NAMESPACES.items()}
_WRAPPERS = ((b"<x:xmpmeta", b"</x:xmpmeta>"), (b"<rdf:RDF", b"</rdf:RDF>"))


class XmpError(ValueError):
    """The packet is not well-formed XML."""


def find_packets(data: bytes, limit: int = MAX_PACKETS) -> list[bytes]:
    """The XMP packets in a file's bytes (``<x:xmpmeta>``, else ``<rdf:RDF>``), at most `limit`."""
    for start_tag, end_tag in _WRAPPERS:
        packets: list[bytes] = []
        pos = 0
        while len(packets) < limit:
            start = data.find(start_tag, pos)
            if start < 0:
                break
            stop = data.find(end_tag, start)
            if stop < 0:
                break
            stop += len(end_tag)
            if stop - start <= MAX_BYTES:
                packets.append(data[start:stop])
            pos = stop
        if packets:
            return packets
    return []


def _name(tag: str) -> str | None:
    if not tag.startswith("{"):
        return None
    uri, _, local = tag[1:].partition("}")
    prefix = _PREFIX.get(uri)
    return f"{prefix}:{local}" if prefix else None


def _texts(elem: ET.Element) -> list[str]:
    items = [li for li in elem.iter(f"{{{RDF}}}li")]
    if items:
        return [t for li in items if (t := "".join(li.itertext()).strip())]
    return [t.strip() for t in elem.itertext() if t.strip()]


def properties(packet: bytes) -> dict[str, list[str]]:
    """``prefix:Name`` -> texts of every known property in the packet (the first
    ``rdf:Description`` that holds a property wins)."""
    if len(packet) > MAX_BYTES or b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        return {}
    try:
        root = ET.fromstring(packet)
    except ET.ParseError as exc:
        raise XmpError(str(exc)) from exc
    out: dict[str, list[str]] = {}
    for desc in root.iter(f"{{{RDF}}}Description"):
        for attr, value in desc.attrib.items():
            name = _name(attr)
            if name and value.strip() and name not in out:
                out[name] = [value.strip()]
        for child in desc:
            name = _name(child.tag)
            if name and name not in out:
                texts = _texts(child)
                if texts:
                    out[name] = texts
    return out


def first_values(packet: bytes) -> dict[str, str]:
    """``prefix:Name`` -> its first text; nothing for a packet that cannot be read."""
    try:
        return {name: texts[0] for name, texts in properties(packet).items()}
    except XmpError:
        return {}

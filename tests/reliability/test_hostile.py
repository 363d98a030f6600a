"""4. Hostile and damaged input, per plugin: fuzzing, bombs, traversal names, odd files.

- Every built-in parser is fed mutated corpus files (hypothesis: byte flips,
  truncations, insertions, chunk duplications), with the seed file's type so
  that the parser really reads the damaged bytes. A plugin must answer (an
  extraction, "not mine" or a warning), never raise.
- The real pipeline (``intake ingest`` with the plugin worker) takes mutated
  files, decompression bombs (image, zip), deeply nested MIME, huge headers,
  attachment and zip member names with ``../`` or absolute paths, symbolic
  links and a FIFO, and a plugin that hangs and one that raises: it never
  crashes, every regular file is stored and listed (with its reason when it
  could not be read), nothing is written outside the store, and the odd
  files are refused with a reason and left alone.
"""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.extract import extract_in_process
from intake.testing import item_view
from intake.types import CaseInfo
from tests.helpers import (
    FULL,
    drop,
    ingest,
    make_mail,
    make_png,
    new_case,
    ok,
    replica,
    run_intake,
    sha256,
    size,
    status,
    stored_objects,
    with_plugins,
)

LOGBOOK_MD = """# Logboek

## Voor de deur
Datum: 01/03/2024
Tijd: 21:15
Plaats: thuis, Gent
Wat: Hij stond weer voor de deur en belde tien keer aan.
Getuigen: buurvrouw An, 0470 12 34 56

## Op het werk
Datum: 02/03/2024
Tijd: ca. 08:10
Wat: Zijn auto stond op de parking.
"""

LOGBOOK_CSV = ("Datum;Tijd;Plaats;Wat;Getuigen\n01/03/2024;21:15;thuis;Hij belde aan;An\n"
               "02/03/2024;08:10-08:30;werk;Auto op de parking;\n")

# plugin -> corpus folders (or built-in samples) to take the seeds from
SEEDS = {
    "photos": ["images"],
    "screenshots": ["screenshots"],
    "email_messages": ["email"],
    "pdf_letters": ["pdf"],
    "whatsapp": ["chat"],
    "sms_backup": ["phone"],
    "logbook": [],
    "fallback": ["pdf", "images"],
}


def _seeds(corpus: Path, plugin: str, n: int) -> list[tuple[str, bytes]]:
    if plugin == "logbook":
        return [("logboek.md", LOGBOOK_MD.encode()), ("logboek.csv", LOGBOOK_CSV.encode())][:n]
    files = sorted((p for folder in SEEDS[plugin] for p in (corpus / folder).rglob("*")
                    if p.is_file() and p.stat().st_size < 400_000),
                   key=lambda p: (p.stat().st_size, p.as_posix()))
    rng = random.Random(plugin)
    chosen = rng.sample(files, min(n, len(files)))
    return [(p.name, p.read_bytes()) for p in chosen]


mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("repeat"), st.floats(0, 1), st.integers(1, 4096)),
    st.tuples(st.just("zero"), st.floats(0, 1), st.integers(1, 4096)),
)


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    buf = bytearray(data)
    for kind, where, arg in ops:
        at = int(where * len(buf)) if buf else 0
        if kind == "flip" and buf:
            buf[min(at, len(buf) - 1)] ^= arg or 0xFF
        elif kind == "truncate":
            del buf[at:]
        elif kind == "insert":
            buf[at:at] = arg
        elif kind == "repeat":
            buf[at:at] = buf[at:at + arg]
        elif kind == "zero":
            buf[at:at + arg] = bytes(len(buf[at:at + arg]))
    return bytes(buf)


def _run_one(plugin, path: Path, name: str, mime: str):
    import pluggy

    from intake import hookspecs

    pm = pluggy.PluginManager("intake")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, name=plugin.__name__.split(".")[-1])
    return extract_in_process(pm, item_view(path, name, mime), CaseInfo())


@pytest.mark.parametrize("plugin_name", sorted(SEEDS))
def test_fuzz_every_builtin_parser(plugin_name: str, corpus: Path, tmp_path: Path,
                                   figures) -> None:
    import importlib

    from intake.sniff import sniff_bytes

    plugin = importlib.import_module(f"intake.builtin.{plugin_name}")
    seeds = _seeds(corpus, plugin_name, size(2, 4))
    tried: list[int] = [0]
    raised: list[str] = []
    target = tmp_path / "fuzz"
    target.mkdir()

    @settings(max_examples=size(40, 400), deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=not FULL)
    @given(seed=st.integers(0, len(seeds) - 1), ops=st.lists(mutation, min_size=1, max_size=6),
           sniffed=st.booleans())
    def fuzz(seed: int, ops: list[tuple], sniffed: bool) -> None:
        name, data = seeds[seed]
        data = mutate(data, ops)
        path = target / name
        path.write_bytes(data)
        # the seed's type drives the parser into the damaged bytes; the sniffed type
        # is what the pipeline would really say
        mime = sniff_bytes(data[:8192], name) if sniffed else sniff_bytes(seeds[seed][1][:8192],
                                                                          name)
        result = _run_one(plugin, path, name, mime)
        tried[0] += 1
        for run in result.runs:
            if run.status != "ok" and run.status != "not-mine":
                raised.append(f"{name} {ops!r}: {run.status}: {run.reason}")

    fuzz()
    figures(plugin=plugin_name, seeds=len(seeds), inputs=tried[0], plugin_errors=len(raised))
    assert raised == [], f"{len(raised)} of {tried[0]} inputs made {plugin_name} fail:\n" + \
        "\n".join(raised[:10])


# --- hostile files through the real pipeline -----------------------------------------------

HANGS = '''
import time
from intake import hookimpl
__version__ = "0.0.1"

@hookimpl(tryfirst=True)
def intake_extract(item, case):
    if item.name.startswith("hang"):
        time.sleep(3600)
    return None
'''

RAISES = '''
from intake import hookimpl
__version__ = "0.0.1"

@hookimpl(tryfirst=True)
def intake_extract(item, case):
    if item.name.startswith("raise"):
        raise RuntimeError("this plugin is broken on purpose")
    return None
'''


def _png_bomb() -> bytes:
    """A complete, valid 1-bit PNG of 40000 x 40000 pixels (1.6 gigapixels), made as a stream."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    side = 40000
    row = b"\x00" + bytes(side // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _png_header_bomb() -> bytes:
    """A tiny PNG that claims 100000 x 100000 pixels (the header alone)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _zip_bomb(mb: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("WhatsApp Chat with Bomb.txt", "01/03/2024, 21:15 - Bomb: hi\n")
        with zf.open("zeros.bin", "w", force_zip64=True) as f:
            block = bytes(1 << 20)
            for _ in range(mb):
                f.write(block)
    return buf.getvalue()


def _traversal_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("WhatsApp Chat with Evil.txt",
                    "01/03/2024, 21:15 - Evil: kijk\n01/03/2024, 21:16 - Evil: IMG-1.jpg "
                    "(file attached)\n")
        zf.writestr("../../../../escaped-zip.txt", b"written outside?\n")
        zf.writestr("/tmp/absolute-zip.txt", b"absolute member\n")
        zf.writestr("sub/../../dotdot.txt", b"dot dot\n")
    return buf.getvalue()


def _mail(subject: str = "hi", attachments: tuple[str, ...] = (), headers: int = 0) -> bytes:
    return make_mail(sender="x@example.org", to="y@example.org", subject=subject, body="body\n",
                     headers={f"X-Junk-{i}": "j" * 50 for i in range(headers)},
                     attachments=tuple((name, b"attached " + name.encode(),
                                        "application/octet-stream") for name in attachments))


def _nested_mime(depth: int) -> bytes:
    """A mail forwarding a mail forwarding a mail ... (message/rfc822, `depth` levels)."""
    inner = _mail("innermost")
    for i in range(depth):
        inner = (f"From: x@example.org\r\nSubject: level {i}\r\n"
                 "Date: Fri, 01 Mar 2024 21:15:00 +0100\r\nMIME-Version: 1.0\r\n"
                 f'Content-Type: multipart/mixed; boundary="fwd{i}"\r\n\r\n'
                 f"--fwd{i}\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
                 f"--fwd{i}\r\nContent-Type: message/rfc822\r\n\r\n").encode() \
            + inner + f"\r\n--fwd{i}--\r\n".encode()
    return inner


def _deep_multipart(depth: int) -> bytes:
    head = b"From: x@example.org\r\nSubject: deep\r\nDate: Fri, 01 Mar 2024 21:15:00 +0100\r\n"
    body = b""
    for i in range(depth):
        body += f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
    body += b"Content-Type: text/plain\r\n\r\nbottom\r\n"
    for i in reversed(range(depth)):
        body += f"--b{i}--\r\n".encode()
    return head + b"MIME-Version: 1.0\r\n" + body


def test_hostile_files_through_the_real_pipeline(corpus: Path, tmp_path: Path, figures) -> None:
    case = new_case(tmp_path / "case")
    with_plugins(case, {"hangs.py": HANGS, "raises.py": RAISES}, timeout=2)

    rng = random.Random(4)
    files: dict[str, bytes] = {}
    # mutated corpus files of every kind
    for folder in ("images", "screenshots", "email", "pdf", "chat", "phone"):
        pool = sorted(p for p in (corpus / folder).rglob("*")
                      if p.is_file() and p.stat().st_size < 300_000)
        for p in rng.sample(pool, size(2, 6)):
            ops = []
            for _ in range(rng.randint(1, 4)):
                kind = rng.choice(["flip", "truncate", "insert", "zero"])
                arg = b"\x00\xff" * 8 if kind == "insert" else rng.randint(1, 255)
                ops.append((kind, rng.random(), arg))
            files[f"mutated/{folder}/{p.name}"] = mutate(p.read_bytes(), ops)
    files["bombs/huge.png"] = _png_header_bomb()
    files["bombs/WhatsApp Chat with Bomb.zip"] = _zip_bomb(size(24, 600))
    if FULL:
        files["bombs/real-gigapixel.png"] = _png_bomb()
    files["mail/nested-forwards.eml"] = _nested_mime(size(60, 300))
    files["mail/deep-multipart.eml"] = _deep_multipart(size(300, 2000))
    files["mail/huge-subject.eml"] = _mail("S" * size(2_000_000, 8_000_000))
    files["mail/many-headers.eml"] = _mail(headers=size(20_000, 100_000))
    files["mail/evil-names.eml"] = _mail(attachments=(
        "../../../../escaped-mail.txt", "/tmp/absolute-mail.txt", "..\\..\\windows.txt",
        "sub/../../x.txt", "con", "a" * 600))
    files["chat/WhatsApp Chat with Evil.zip"] = _traversal_zip()
    files["hang-screenshot.png"] = make_png((1, 2, 3))
    files["raise-photo.jpg"] = make_png((4, 5, 6))
    for rel, data in files.items():
        drop(case, rel, data)
    inbox = case / "inbox"
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not for the store\n")
    os.symlink(secret, inbox / "link-to-secret.txt")
    os.symlink("/etc/passwd", inbox / "passwd-link")
    os.symlink(inbox / "nowhere", inbox / "dangling-link")
    os.mkfifo(inbox / "a-pipe")

    answer = ingest(case, in_process=False, timeout=size(240, 1200))
    outcomes = {r["source"]: r["outcome"] for r in answer["results"]}
    for rel in files:
        assert outcomes.get(f"inbox/{rel}") == "settled", (rel, outcomes.get(f"inbox/{rel}"))
    for odd in ("link-to-secret.txt", "passwd-link", "dangling-link", "a-pipe"):
        assert outcomes[f"inbox/{odd}"] == "refused", odd
        assert os.path.lexists(inbox / odd), f"{odd} was moved or removed"
    s = status(case)
    reasons = {p["source"]: p["reason"] for p in s["files_not_taken"]}
    assert "shortcut" in reasons["inbox/link-to-secret.txt"]
    assert "pipe" in reasons["inbox/a-pipe"]
    objects = stored_objects(replica(case, "a"))
    assert sha256(b"not for the store\n") not in objects
    for rel, data in files.items():
        assert sha256(data) in objects, rel
        assert sha256(data) in stored_objects(replica(case, "b")), rel
    # nothing escaped: no file written outside the store by a member or attachment name
    for name in ("escaped-zip.txt", "absolute-zip.txt", "dotdot.txt", "escaped-mail.txt",
                 "absolute-mail.txt", "x.txt", "windows.txt"):
        hits = [p for p in tmp_path.rglob(name) if "store" not in p.parts]
        assert hits == [], hits
    assert not Path("/tmp/absolute-zip.txt").exists() and not Path("/tmp/absolute-mail.txt").exists()
    # the derived items keep their names as written
    names = {n for w in _all_names(case) for n in w}
    assert "../../../../escaped-zip.txt" in names and "../../../../escaped-mail.txt" in names
    # the hanging and the raising plugin: recorded, the item stored and read by the others
    warnings = {tuple(w["names"])[0]: w["warnings"] for w in s["items_with_warnings"]}
    assert any("hangs took longer" in w for w in warnings["hang-screenshot.png"]), warnings
    assert any("raises failed" in w for w in warnings["raise-photo.jpg"]), warnings
    # the bombs are stored and listed with their reason
    assert any("zip bomb" in w or "more than" in w
               for w in warnings["WhatsApp Chat with Bomb.zip"]), warnings
    ok(run_intake("verify", "--case", case))
    figures(hostile_files=len(files), odd_files_refused=4, stored=len(files), crashes=0)


def _all_names(case: Path) -> list[list[str]]:
    from intake.case import Case

    with Case.open(case, write=False) as c:
        return [c.index.names(sha) for sha in c.index.all_items()]




def test_json_of_hostile_run_is_plain(tmp_path: Path) -> None:
    """The hostile names never break the JSON answers scripts read."""
    case = new_case(tmp_path / "case")
    drop(case, "mail.eml", _mail(attachments=("../\u202e\x00evil.txt",)))
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": 1}
    json.dumps(status(case))

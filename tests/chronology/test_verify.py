"""Verifying chronology.json offline and against the store: every change is found."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from intake.chronology.canonical import canonical_bytes
from intake.chronology.hashing import entry_hash, seal
from intake.chronology.verify import locate, schema_errors, verify_chronology

_spec = importlib.util.spec_from_file_location("_chronology_samples",
                                               Path(__file__).with_name("test_build.py"))
samples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(samples)


def small_records() -> list[dict]:
    """Three entries (two dated, one undated), three exhibits."""
    keep = {samples.SHA[n] for n in ("photo", "logbook", "unknown")}
    return [r for r in samples.sample_records() if r["sha256"] in keep]


@pytest.fixture(scope="module")
def small() -> dict:
    return samples.build(small_records())


@pytest.fixture(scope="module")
def full() -> dict:
    return samples.build()


def store(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, data in samples.CONTENT.items():
        p = tmp_path / samples.SHA[name]
        p.write_bytes(data)
        paths[samples.SHA[name]] = p
    return paths


def test_good_documents_pass(small, full, tmp_path):
    assert verify_chronology(canonical_bytes(small)) == []
    assert verify_chronology(canonical_bytes(full)) == []
    paths = store(tmp_path)
    assert verify_chronology(canonical_bytes(full), paths.get) == []
    assert schema_errors(full) == []


def spans(doc: dict, data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, name) of every entry and exhibit in the canonical bytes."""
    out = []
    for key, items in (("entries", doc["entries"]), ("undated", doc["undated"]),
                       ("exhibits", doc["exhibits"])):
        for item in items:
            blob = canonical_bytes(item)
            start = data.index(blob)
            name = f"exhibit {item['label']}" if key == "exhibits" else f"entry {item['number']}"
            out.append((start, start + len(blob), name))
    return out


@pytest.mark.parametrize(("mask", "step"), [(0x01, 1), (0x20, 5), (0x80, 11)])
def test_every_byte_flip_is_detected_and_located(small, mask, step):
    data = canonical_bytes(small)
    regions = spans(small, data)
    assert len(small["entries"]) + len(small["undated"]) == 3
    missed, unlocated = [], []
    for i in range(0, len(data), step):
        changed = bytearray(data)
        changed[i] ^= mask
        problems = verify_chronology(bytes(changed))
        if not problems:
            missed.append(i)
            continue
        text = "\n".join(problems)
        region = next((name for s, e, name in regions if s <= i < e), None)
        if region is None:
            continue  # the header and the hashes: checked below by field
        if region.startswith("exhibit"):
            ok = region in text or "exhibit list" in text
        else:
            ok = region in text.lower()
        if not ok:
            unlocated.append((i, region, problems))
    assert missed == []
    assert unlocated == [], unlocated[:3]


def test_header_changes_named(small):
    for key, new in (("case", {**small["case"], "name": "Zaak X"}),
                     ("period", {"from": "2024-01-01", "to": None}),
                     ("tool", {"name": "intake", "version": "9.9.9"})):
        data = canonical_bytes({**small, key: new})
        problems = verify_chronology(data)
        assert len(problems) == 1 and "root_hash" in problems[0] and key in problems[0]
    for key in ("chain_head", "merkle_root", "root_hash"):
        doc = {**small, key: "f" * 64}
        problems = verify_chronology(canonical_bytes(doc))
        assert any(p.startswith(key) for p in problems), problems


def test_changed_entry_named(full):
    doc = json.loads(canonical_bytes(full))
    doc["entries"][3]["what"] = "Something else"
    problems = verify_chronology(canonical_bytes(doc))
    assert problems[0] == "Entry 4 was changed: its contents do not match its entry_hash."
    # re-hashing the entry moves the break to the chain
    doc["entries"][3]["entry_hash"] = entry_hash(doc["entries"][3])
    problems = verify_chronology(canonical_bytes(doc))
    assert "The chain is broken between entry 4 and entry 5" in problems[0]
    # re-sealing everything gives a different, self-consistent document: the roots differ
    resealed = seal(json.loads(json.dumps(doc)))
    assert verify_chronology(canonical_bytes(resealed)) == []
    assert resealed["root_hash"] != full["root_hash"]
    assert resealed["merkle_root"] != full["merkle_root"]


def test_removed_and_reordered_entries(full):
    doc = json.loads(canonical_bytes(full))
    del doc["entries"][2]
    text = "\n".join(verify_chronology(canonical_bytes(doc)))
    assert "entry 3" in text and "merkle_root" in text
    doc = json.loads(canonical_bytes(full))
    doc["entries"][1], doc["entries"][2] = doc["entries"][2], doc["entries"][1]
    text = "\n".join(verify_chronology(canonical_bytes(doc)))
    assert "Entry 2: its number is 3" in text


def test_not_canonical_named(small):
    data = canonical_bytes(small)
    at = data.index(b'"what":"Stond')
    changed = data[:at] + b" " + data[at:]
    problems = verify_chronology(changed)
    assert len(problems) == 1
    assert "not in canonical form" in problems[0] and "entry 2" in problems[0]
    pretty = json.dumps(json.loads(canonical_bytes(small)), indent=1).encode()
    assert "not in canonical form" in verify_chronology(pretty)[0]
    floaty = data.replace(b'"number":1,', b'"number":1.0,', 1)
    assert "not a plain integer" in verify_chronology(floaty)[0]


def test_garbage_never_raises():
    for data in (b"", b"\xff\xfe", b"[]", b"null", b"{}", b'{"entries": 5}', b"[" * 5000,
                 b'{"entries":[{"number":"x"}],"undated":{},"exhibits":[1]}'):
        problems = verify_chronology(data)
        assert problems, data
    assert "byte 4" in verify_chronology(b'{"a"}')[0]


def test_locate():
    data = b'{"entries":[{"a":1},{"what":"x'
    assert locate(data, len(data)) == "entry 2, field what"
    data = b'{"entries":[{"a":1}],"exhibits":[{},{"size":1'
    assert locate(data, len(data)) == "exhibit A2, field size"
    data = b'{"entries":[{"a":1},{}],"undated":[{"what":"'
    assert locate(data, len(data)) == "entry 3 (undated), field what"


def test_store_checks(full, tmp_path):
    paths = store(tmp_path)
    data = canonical_bytes(full)
    labels = samples.label_of(full)
    # one changed byte in a stored exhibit
    photo = paths[samples.SHA["photo"]]
    photo.chmod(0o644)
    raw = bytearray(photo.read_bytes())
    raw[3] ^= 1
    photo.write_bytes(bytes(raw))
    # one missing exhibit
    del paths[samples.SHA["letter"]]
    problems = verify_chronology(data, paths.get)
    assert len(problems) == 2
    assert problems[0].startswith(f"Exhibit {labels['photo']} is not intact")
    assert problems[1].startswith(f"Exhibit {labels['letter']} ({samples.SHA['letter']}) is missing")
    # an edited size in the exhibit list, with the store at hand, is named
    doc = json.loads(canonical_bytes(full))
    doc["exhibits"][0]["size"] += 1
    problems = verify_chronology(canonical_bytes(seal(doc)), store(tmp_path / "x"
                                                                   if (tmp_path / "x").mkdir()
                                                                   is None else tmp_path).get)
    assert problems == ["Exhibit A1: the chronology's size "
                        f"({doc['exhibits'][0]['size']}) does not match the stored copy "
                        f"({doc['exhibits'][0]['size'] - 1}): the exhibit list was edited."]


def test_cli_module(small, tmp_path, capsys):
    from intake.chronology.verify import main
    f = tmp_path / "chronology.json"
    f.write_bytes(canonical_bytes(small))
    assert main([str(f)]) == 0
    f.write_bytes(canonical_bytes(small).replace(b"Stond", b"Stand"))
    assert main([str(f)]) == 1
    assert "Entry 2 was changed" in capsys.readouterr().out

"""2. Bit rot and loss: damage one replica at random; verify finds all, repair restores all.

Each round damages one replica at random places: byte flips (1 to 8 bytes),
truncations, deletions and swaps (an object's bytes replaced by another's),
in objects and in metadata files. ``intake verify`` must name every damaged
file (100 %), and nothing else; ``intake repair`` must restore every one
from the healthy replica (100 %), keep the damaged copies aside, and leave
every object byte-identical to the corpus file it came from.

The same object damaged in every replica is reported as unrecoverable, by
item and original name, and left as it is: never "repaired" from bad data.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from tests.helpers import (
    copy_into_inbox,
    ingest,
    meta_dir,
    object_path,
    ok,
    pick,
    replica,
    run_intake,
    sha256,
    size,
    stored_objects,
)


def _writable(path: Path) -> None:
    os.chmod(path, 0o600)


def damage(path: Path, how: str, rng: random.Random, other: bytes = b"") -> None:
    """Damage one file in place (`how`: flip, truncate, delete, swap)."""
    if how == "delete":
        path.unlink()
        return
    _writable(path)
    data = bytearray(path.read_bytes())
    if how == "flip":
        if not data:
            data = bytearray(b"\x00")  # an empty file can only grow
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif how == "truncate":
        data = data[:rng.randrange(len(data))] if data else bytearray(b"x")
    elif how == "swap":
        data = bytearray(other if other != bytes(data) else other + b"\n")
    if bytes(data) == path.read_bytes():  # a flip pair can cancel out: make it count
        data = bytes(data) + b"\x00"
    path.write_bytes(bytes(data))
    os.chmod(path, 0o400)


def verify_json(case: Path) -> dict:
    proc = run_intake("verify", "--json", "--case", case)
    assert "Traceback" not in proc.stderr, proc.stderr
    out = json.loads(proc.stdout)
    assert (proc.returncode == 0) == out["ok"], proc.returncode
    return out


def _setup(tmp_path: Path, corpus: Path, n: int | None) -> tuple[Path, dict[str, str]]:
    from tests.helpers import new_case

    case = new_case(tmp_path / "case")
    dropped = copy_into_inbox(case, corpus, pick(corpus, n))
    ingest(case, timeout=600)
    assert verify_json(case)["ok"]
    return case, dropped


def test_random_damage_in_one_replica_is_found_and_repaired(corpus: Path, tmp_path: Path,
                                                            figures) -> None:
    rng = random.Random(1312)
    case, dropped = _setup(tmp_path, corpus, size(12, None))
    originals = {sha: (corpus / rel) for rel, sha in dropped.items()}
    rounds = size(3, 20)
    per_round = size(6, 20)
    tally = {"flip": 0, "truncate": 0, "delete": 0, "swap": 0}
    damaged_total = found_total = repaired_total = meta_damaged = 0
    for _ in range(rounds):
        name = rng.choice(["a", "b"])
        rep = replica(case, name)
        objects = stored_objects(rep)
        metas = sorted((rep / "meta").rglob("*.json"))
        expected: set[tuple[str, str]] = set()  # (kind, sha or meta path)
        for sha in rng.sample(sorted(objects), min(per_round, len(objects))):
            how = rng.choice(list(tally))
            healthy = replica(case, "b" if name == "a" else "a")
            other = object_path(healthy, rng.choice([s for s in objects if s != sha])).read_bytes()
            damage(objects[sha], how, rng, other)
            tally[how] += 1
            expected.add(("object", sha))
        for path in rng.sample(metas, min(per_round // 2, len(metas))):
            damage(path, rng.choice(["flip", "truncate", "delete"]), rng, b"{}")
            expected.add(("meta", path.relative_to(rep / "meta").as_posix()))
            meta_damaged += 1
        damaged_total += len(expected)

        out = verify_json(case)
        assert not out["ok"]
        reported: set[tuple[str, str]] = set()
        for p in out["problems"]:
            if p["what"] in ("missing-copy", "damaged-copy"):
                assert p["replica"] == name, p
                reported.add(("object", p["sha256"]))
            elif p["what"] in ("missing-meta", "damaged-meta"):
                assert p["replica"] == name, p
                reported.add(("meta", p["message"].split("meta/", 1)[1].split(" ", 1)[0]))
            elif p["what"] == "too-few-copies":
                assert ("object", p["sha256"]) in expected
            else:
                raise AssertionError(f"unexpected problem: {p}")
        # a deleted object takes its metadata's check with it only when the
        # metadata is also gone; every damaged file must be named
        assert reported == expected, (sorted(expected - reported), sorted(reported - expected))
        found_total += len(reported)

        proc = run_intake("repair", "--json", "--case", case)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        rep_out = json.loads(proc.stdout)
        assert rep_out["left"] == []
        repaired_total += sum(1 for a in rep_out["actions"] if "restored" in a)
        assert verify_json(case)["ok"]
        for r in ("a", "b"):
            for sha, path in stored_objects(replica(case, r)).items():
                assert sha256(path) == sha
                if sha in originals:
                    assert path.read_bytes() == originals[sha].read_bytes()
                assert os.stat(path).st_mode & 0o222 == 0, "a restored copy is writable"
    assert found_total == damaged_total and repaired_total == damaged_total
    kept = sum(len(list((replica(case, r) / "damaged").iterdir()))
               for r in ("a", "b") if (replica(case, r) / "damaged").is_dir())
    figures(rounds=rounds, damaged=damaged_total, found=found_total, repaired=repaired_total,
            objects_damaged=sum(tally.values()), meta_damaged=meta_damaged, kinds=tally,
            damaged_copies_kept_aside=kept, lost=0)


def test_same_object_damaged_in_every_replica_is_unrecoverable(corpus: Path, tmp_path: Path,
                                                               figures) -> None:
    rng = random.Random(99)
    case, dropped = _setup(tmp_path, corpus, 6)
    names = {sha: rel.rsplit("/", 1)[-1] for rel, sha in dropped.items()}
    victims = sorted(names)[:2]
    before: dict[tuple[str, str], bytes | None] = {}
    for sha in victims:
        for r, how in zip(("a", "b"), rng.sample(["flip", "truncate", "delete"], 2), strict=True):
            path = object_path(replica(case, r), sha)
            damage(path, how, rng)
            before[(r, sha)] = path.read_bytes() if path.exists() else None
    # the other items are also damaged, in one replica only: those must still be repaired
    healthy = [s for s in sorted(names) if s not in victims]
    damage(object_path(replica(case, "b"), healthy[0]), "flip", rng)

    out = verify_json(case)
    unrecoverable = [p for p in out["problems"] if p["what"] == "unrecoverable"]
    assert sorted(p["sha256"] for p in unrecoverable) == victims
    for p in unrecoverable:
        assert names[p["sha256"]] in p["message"], p["message"]  # the original name
        assert p["sha256"][:12] in p["message"] and not p["repairable"]

    proc = run_intake("repair", "--json", "--case", case)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert any(healthy[0][:12] in a for a in result["actions"])
    assert not any(v[:12] in a for v in victims for a in result["actions"]), result["actions"]
    left = {p["sha256"] for p in result["left"] if p["what"] == "unrecoverable"}
    assert left == set(victims)
    for (r, sha), data in before.items():  # left exactly as it was: nothing "repaired"
        path = object_path(replica(case, r), sha)
        assert (path.read_bytes() if path.exists() else None) == data
    assert sha256(object_path(replica(case, "b"), healthy[0])) == healthy[0]
    # the chronology never hands over a bad copy
    out_dir = case / "out"
    ok(run_intake("chronology", "--case", case, "--out", out_dir, "--format", "json"))
    doc = json.loads((out_dir / "chronology.json").read_bytes())
    assert {e["sha256"] for e in doc["exhibits"]} >= set(victims)
    proc = run_intake("verify", "--case", case, "--chronology", out_dir / "chronology.json")
    assert proc.returncode != 0
    for sha in victims:
        label = next(e["label"] for e in doc["exhibits"] if e["sha256"] == sha)
        assert f"Stuk {label} is niet intact" in proc.stdout, proc.stdout  # a Dutch case
    figures(unrecoverable_items=len(victims), reported_by_name=len(unrecoverable),
            wrongly_repaired=0)


def test_damaged_metadata_in_every_replica_is_reported_not_invented(tmp_path: Path,
                                                                    corpus: Path) -> None:
    rng = random.Random(5)
    case, dropped = _setup(tmp_path, corpus, 3)
    sha = sorted(set(dropped.values()))[0]
    for r in ("a", "b"):
        receipt = next((meta_dir(replica(case, r), sha) / "receipts").glob("*.json"))
        damage(receipt, "flip", rng)
    out = verify_json(case)
    hits = [p for p in out["problems"] if p["what"] == "damaged-meta"]
    assert {p["replica"] for p in hits} == {"a", "b"}
    proc = run_intake("repair", "--json", "--case", case)
    assert proc.returncode != 0
    assert {p["replica"] for p in json.loads(proc.stdout)["left"]
            if p["what"] == "damaged-meta"} == {"a", "b"}

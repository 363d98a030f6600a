"""Check a chronology.json: offline (hashes, chain, Merkle root, schema) and,
given the store, that every exhibit is present and intact; and an inclusion
proof of one entry (`verify_proof`).

Every problem is one plain sentence that names what it hits: an entry by its
number, an exhibit by its label, or a field. ``verify_chronology`` never
raises on bad input: whatever the bytes, it returns a list of problems
(empty = all good).

    python -m intake.chronology.verify chronology.json
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .build import exhibit_ranks
from .canonical import canonical_bytes
from .claims import parse_instant
from .hashing import ZERO_HASH, all_entries, entry_hash, root_hash
from .merkle import merkle_root, verify_inclusion
from .schema import schema_errors

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


# --------------------------------------------------------------------------- locations

def describe(path: tuple | list, n_dated: int | None = None) -> str:
    """A path inside the document in words: 'entry 3, field what'.

    Undated entries are numbered after the `n_dated` dated ones."""
    path = list(path)
    if not path:
        return "the document as a whole"
    head, rest = path[0], path[1:]
    if head == "entries" and rest and isinstance(rest[0], int):
        where, rest = f"entry {rest[0] + 1}", rest[1:]
    elif head == "undated" and rest and isinstance(rest[0], int):
        where = (f"entry {n_dated + rest[0] + 1} (undated)" if n_dated is not None
                 else f"undated entry {rest[0] + 1}")
        rest = rest[1:]
    elif head == "exhibits" and rest and isinstance(rest[0], int):
        where, rest = f"exhibit A{rest[0] + 1}", rest[1:]
    else:
        where, rest = f"field {head}", rest
    if rest:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
        where += f", field {field}"
    return where


def _scan(data: bytes, stop: int) -> tuple[list, int | None]:
    """Tolerant walk over (possibly broken) JSON bytes up to `stop`: the path
    of the value there, and how many dated entries were passed on the way."""
    stack: list[list] = []  # [kind, key-or-index, expecting_key, has_items]
    in_str = esc = False
    buf = bytearray()
    n_dated = None
    for b in data[:stop]:
        if in_str:
            if esc:
                esc = False
                buf.append(b)
            elif b == 0x5C:
                esc = True
            elif b == 0x22:
                in_str = False
                if stack and stack[-1][0] == "o" and stack[-1][2]:
                    stack[-1][1] = buf.decode("utf-8", "replace")
                    stack[-1][2] = False
            else:
                buf.append(b)
            continue
        if stack and stack[-1][0] == "a" and b not in b" \t\r\n],":
            stack[-1][3] = True
        if b == 0x22:
            in_str, buf = True, bytearray()
        elif b == 0x7B:
            stack.append(["o", None, True, False])
        elif b == 0x5B:
            stack.append(["a", 0, False, False])
        elif b in (0x7D, 0x5D):
            if stack:
                done = stack.pop()
                if done[0] == "a" and len(stack) == 1 and stack[0][1] == "entries":
                    n_dated = done[1] + 1 if done[3] else 0
        elif b == 0x2C and stack:
            if stack[-1][0] == "o":
                stack[-1][1], stack[-1][2] = None, True
            else:
                stack[-1][1] += 1
    path = [s[1] for s in stack if s[1] is not None]
    return path, n_dated


def locate(data: bytes, offset: int) -> str:
    """In words, what the byte at `offset` of the (possibly broken) file belongs to."""
    path, n_dated = _scan(data, offset)
    return describe(path, n_dated)


def _first_bad_number(data: bytes) -> int | None:
    """Offset of the first number outside strings with a fraction, exponent or
    more than 15 digits (canonical chronology JSON has only small integers)."""
    in_str = esc = False
    i = 0
    while i < len(data):
        b = data[i]
        if in_str:
            if esc:
                esc = False
            elif b == 0x5C:
                esc = True
            elif b == 0x22:
                in_str = False
        elif b == 0x22:
            in_str = True
        elif b == 0x2D or 0x30 <= b <= 0x39:
            j = i
            while j < len(data) and data[j] in b"-+0123456789.eE":
                j += 1
            token = data[i:j]
            if any(c in token for c in b".eE") or len(token.lstrip(b"-")) > 15:
                return i
            i = j
            continue
        i += 1
    return None


# --------------------------------------------------------------------------- checks

_BROKEN = object()


def _parse(data: bytes, problems: list[str]) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"The file is not valid UTF-8 at byte {exc.start} "
                        f"({locate(data, exc.start)}): it was damaged or edited.")
        text = data.decode("utf-8", "replace")
    try:
        return json.loads(text, parse_constant=lambda name: float("nan"))
    except json.JSONDecodeError as exc:
        offset = len(text[:exc.pos].encode("utf-8", "replace"))
        problems.append(f"The file is not valid JSON at byte {offset} "
                        f"({locate(data, offset)}): {exc.msg}.")
        return _BROKEN
    except RecursionError:
        problems.append("The file nests too deeply to be a chronology.")
        return _BROKEN


def _check_canonical(data: bytes, doc: Any, problems: list[str]) -> None:
    try:
        canon = canonical_bytes(doc)
    except (TypeError, ValueError):
        offset = _first_bad_number(data)
        where = f" at byte {offset} ({locate(data, offset)})" if offset is not None else ""
        problems.append(f"The file holds a number that is not a plain integer{where}: "
                        "the chronology never writes one, so it was edited.")
        return
    if canon != data:
        offset = next((i for i, (a, b) in enumerate(zip(canon, data, strict=False)) if a != b),
                      min(len(canon), len(data)))
        problems.append(f"The file is not in canonical form (RFC 8785): it differs from its "
                        f"canonical re-serialisation at byte {offset} ({locate(data, offset)}). "
                        "It was edited after it was made.")


def _check_hashes(doc: dict, n_dated: int, problems: list[str]) -> bool:
    """entry_hash, prev_hash, chain_head, merkle_root. True if all entries are intact."""
    entries = all_entries(doc)
    ok = True
    prev = ZERO_HASH
    hashes: list[str] = []
    for k, e in enumerate(entries):
        name = f"entry {k + 1}" if k < n_dated else f"entry {k + 1} (undated)"
        if not isinstance(e, dict):
            ok = False
            continue
        if e.get("number") != k + 1:
            ok = False
            problems.append(f"{name.capitalize()}: its number is {e.get('number')!r}, "
                            f"not {k + 1}: entries were renumbered, removed or reordered.")
        stated = e.get("entry_hash")
        try:
            actual = entry_hash(e)
        except (TypeError, ValueError):
            actual = None
        if actual != stated:
            ok = False
            problems.append(f"{name.capitalize()} was changed: its contents do not match its "
                            "entry_hash.")
        if e.get("prev_hash") != prev:
            ok = False
            if k == 0:
                problems.append(f"{name.capitalize()}: prev_hash must be 64 zeros (it is the "
                                "first entry).")
            else:
                problems.append(f"The chain is broken between entry {k} and entry {k + 1}: "
                                f"the prev_hash of entry {k + 1} is not the entry_hash of "
                                f"entry {k}.")
        prev = stated if isinstance(stated, str) else ""
        hashes.append(prev)
    if doc.get("chain_head") != (prev if entries else ZERO_HASH):
        ok = False
        last = f"entry {len(entries)}" if entries else "no entries (64 zeros)"
        problems.append(f"chain_head does not match the entry_hash of the last entry "
                        f"({last}).")
    if all(isinstance(h, str) and _HEX64.match(h) for h in hashes):
        root = merkle_root([bytes.fromhex(h) for h in hashes]).hex()
        if doc.get("merkle_root") != root:
            ok = False
            problems.append("merkle_root does not match the entry hashes: the field merkle_root "
                            "was changed, or entries were added, removed or reordered.")
    return ok


def _check_links(doc: dict, n_dated: int, problems: list[str]) -> None:
    entries = all_entries(doc)
    exhibits = doc.get("exhibits") or []
    shas = {x.get("sha256") for x in exhibits if isinstance(x, dict)}
    for k, x in enumerate(exhibits):
        if not isinstance(x, dict):
            continue
        if x.get("number") != k + 1 or x.get("label") != f"A{k + 1}":
            problems.append(f"Exhibit A{k + 1}: its number or label does not match its place "
                            f"in the exhibit list (number {x.get('number')!r}, label "
                            f"{x.get('label')!r}).")
        for p in x.get("parents") or ():
            if p not in shas:
                problems.append(f"Exhibit A{k + 1}: its parent {p} is not in the exhibit list.")
    seen: set = set()
    for k, x in enumerate(exhibits):
        if isinstance(x, dict):
            if x.get("sha256") in seen:
                problems.append(f"Exhibit A{k + 1}: its SHA-256 appears twice in the list.")
            seen.add(x.get("sha256"))
    numbers = {e.get("number") for e in entries if isinstance(e, dict)}
    links: set = set()
    for k, e in enumerate(entries):
        if not isinstance(e, dict):
            continue
        name = f"Entry {k + 1}"
        for sha in list(e.get("exhibits") or ()) + [s.get("exhibit") for s in e.get("sources") or ()
                                                  if isinstance(s, dict)]:
            if sha not in shas:
                problems.append(f"{name} names exhibit {sha}, which is not in the exhibit list.")
        for link in e.get("links") or ():
            if isinstance(link, dict):
                if link.get("entry") not in numbers:
                    problems.append(f"{name} links to entry {link.get('entry')!r}, which does "
                                    "not exist.")
                links.add((e.get("number"), link.get("entry"), link.get("relation")))
        if k < n_dated:
            chosen = [c for c in e.get("claims") or () if isinstance(c, dict) and c.get("chosen")]
            if len(chosen) != 1:
                problems.append(f"{name} must have exactly one chosen time claim.")
            elif chosen[0].get("utc") != e.get("instant"):
                problems.append(f"{name}: its instant is not the utc of its chosen claim.")
    for a, b, rel in links:
        if (b, a, rel) not in links:
            problems.append(f"Entry {a} links to entry {b} ({rel}) but entry {b} does not link "
                            "back.")
    try:
        instants = [parse_instant(e["instant"]) for e in entries[:n_dated]]
        for k in range(1, len(instants)):
            if instants[k] < instants[k - 1]:
                problems.append(f"Entry {k + 1} is earlier than entry {k}: the entries are not "
                                "in time order.")
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    try:
        parents = {x["sha256"]: list(x["parents"]) for x in exhibits}
        ranks = exhibit_ranks(parents, parents, entries)
        keys = [(ranks[x["sha256"]] is None, ranks[x["sha256"]] or 0, x["sha256"])
                for x in exhibits]
        for k in range(1, len(keys)):
            if keys[k] < keys[k - 1]:
                problems.append(f"Exhibit A{k + 1} is out of order (exhibits are numbered by "
                                "their first entry, then SHA-256): its SHA-256 or an entry's "
                                "exhibit list was changed.")
    except (KeyError, TypeError, ValueError, AttributeError):
        pass


def _digests(path: Path) -> tuple[str, str, str, int]:
    h256, h512, md5 = hashlib.sha256(), hashlib.sha512(), hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
            h256.update(chunk)
            h512.update(chunk)
            md5.update(chunk)
    return h256.hexdigest(), h512.hexdigest(), md5.hexdigest(), size


def _check_store(doc: dict, object_path: Callable[[str], Path | None],
                 problems: list[str]) -> None:
    for k, x in enumerate(doc.get("exhibits") or ()):
        if not isinstance(x, dict):
            continue
        label = f"Exhibit A{k + 1}"
        sha = x.get("sha256")
        try:
            path = object_path(sha) if isinstance(sha, str) else None
        except Exception:  # noqa: BLE001 - a broken accessor is a missing exhibit
            path = None
        if path is None or not Path(path).is_file():
            problems.append(f"{label} ({sha}) is missing: no stored copy was found.")
            continue
        try:
            s256, s512, md5, size = _digests(Path(path))
        except OSError as exc:
            problems.append(f"{label} ({sha}) could not be read: {exc.strerror or exc}.")
            continue
        if s256 != sha:
            problems.append(f"{label} is not intact: the stored copy's SHA-256 is {s256}, the "
                            f"chronology says {sha}.")
            continue
        for fld, actual in (("size", size), ("sha512", s512), ("md5", md5)):
            if x.get(fld) not in ("", None) and x.get(fld) != actual:
                problems.append(f"{label}: the chronology's {fld} ({x.get(fld)}) does not match "
                                f"the stored copy ({actual}): the exhibit list was edited.")


def verify_chronology(data: bytes,
                      object_path: Callable[[str], Path | None] | None = None) -> list[str]:
    """Every problem with a chronology.json, in plain words; empty = all good.

    Offline it checks the form (JSON, canonical, schema), every entry_hash,
    the prev_hash chain, chain_head, merkle_root and root_hash. With
    `object_path` (sha256 -> stored file, or None) it also checks that each
    exhibit is present and that its bytes have the stated SHA-256.
    """
    problems: list[str] = []
    doc = _parse(data, problems)
    if doc is _BROKEN:
        return problems
    _check_canonical(data, doc, problems)
    if not isinstance(doc, dict):
        problems.append("The file is not a chronology: it is not a JSON object.")
        return problems
    entries = doc.get("entries") if isinstance(doc.get("entries"), list) else []
    n_dated = len(entries)
    for path, message in schema_errors(doc):
        problems.append(f"Schema: {describe(path, n_dated)} {message}.")
    if not isinstance(doc.get("undated"), list):
        doc["undated"] = []
    doc["entries"] = entries
    entries_ok = _check_hashes(doc, n_dated, problems)
    _check_links(doc, n_dated, problems)
    try:
        actual_root = root_hash(doc)
    except (TypeError, ValueError):
        actual_root = None
    if actual_root != doc.get("root_hash"):
        where = ("every entry checks out, so the change is in the header (format, case, tool, "
                 "period), the exhibit list or root_hash itself" if entries_ok
                 else "see the entries named above")
        problems.append(f"root_hash does not match the document: {where}.")
    if object_path is not None:
        _check_store(doc, object_path, problems)
    return list(dict.fromkeys(problems))


def main(argv: list[str] | None = None) -> int:
    """``python -m intake.chronology.verify FILE [STORE_OBJECTS_DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m intake.chronology.verify chronology.json [objects-dir]")
        return 2
    data = Path(args[0]).read_bytes()
    lookup = None
    if len(args) > 1:
        base = Path(args[1])

        def lookup(sha: str) -> Path | None:
            for cand in (base / sha, base / sha[:2] / sha, base / sha[:2] / sha[2:]):
                if cand.is_file():
                    return cand
            return None
    problems = verify_chronology(data, lookup)
    for p in problems:
        print(p)
    if not problems:
        print("chronology OK: every hash, the chain and the Merkle root check out.")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())


# --------------------------------------------------------------------------- proofs


def verify_proof(proof_doc: Mapping[str, Any]) -> list[str]:
    """Problems with an inclusion proof, in plain words; empty = it holds."""
    try:
        entry = proof_doc["entry"]
        index, size = proof_doc["index"], proof_doc["size"]
        number = entry.get("number")
        where = f"entry {number}"
        problems = []
        if number != index + 1:
            problems.append(f"{where}: its number does not match its position {index + 1}.")
        actual = entry_hash(entry)
        if actual != entry.get("entry_hash"):
            problems.append(f"{where}: its contents do not match its entry_hash: "
                            "it was changed after the chronology was made.")
        proof = [bytes.fromhex(p) for p in proof_doc["proof"]]
        root = bytes.fromhex(proof_doc["merkle_root"])
        if not verify_inclusion(index, size, bytes.fromhex(actual), proof, root):
            problems.append(f"{where}: the proof does not lead to merkle_root "
                            f"{proof_doc['merkle_root']}: the entry is not part of that "
                            "chronology as shown.")
        return problems
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"the proof is incomplete or malformed ({exc.__class__.__name__}: {exc})."]

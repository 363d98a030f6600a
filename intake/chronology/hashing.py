"""The chronology's hashes: each entry's, the chain, the Merkle root, the root hash;
and the inclusion proof of one entry (checked by ``chronology.verify.verify_proof``).

Sealing encodes each entry once (issue 19): the canonical bytes of every entry
are kept with the document (`Sealed`), and the root hash and chronology.json
are joined from them instead of encoding the whole document again.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from .canonical import canonical_bytes, is_fast, json_string, reference_bytes, sha256_hex
from .merkle import inclusion_proof, merkle_root

PROOF_FORMAT = "intake-chronology-proof/1"
ZERO_HASH = "0" * 64
#: Where entry_hash sits among an entry's keys; "x" < this compares as JCS does
#: for any text key, because "entry_hash" is ASCII.
_HASH_KEY = "entry_hash"


def entry_hash(entry: Mapping[str, Any], checked: bool = False) -> str:
    """SHA-256 of the canonical JSON of the entry without its entry_hash."""
    return sha256_hex(canonical_bytes({k: v for k, v in entry.items() if k != "entry_hash"},
                                      checked=checked))


def root_hash(doc: Mapping[str, Any], checked: bool = False) -> str:
    """SHA-256 of the canonical JSON of the document without root_hash."""
    if isinstance(doc, Sealed) and doc.intact():
        h = hashlib.sha256()
        for chunk in doc.chunks(with_root=False):
            h.update(chunk)
        return h.hexdigest()
    return sha256_hex(canonical_bytes({k: v for k, v in doc.items() if k != "root_hash"},
                                      checked=checked))


class Sealed(dict):
    """A sealed chronology: the document, plus the canonical bytes of each entry
    as they were hashed. Read-only by contract: its bytes are those of sealing
    (`intact` notices entries replaced, added or removed, not edits inside one)."""

    __slots__ = ("_entry_bytes", "_lists")

    def intact(self) -> bool:
        lists = getattr(self, "_lists", None)
        return (lists is not None and self.get("entries") is lists[0]
                and self.get("undated") is lists[1]
                and len(lists[0]) + len(lists[1]) == len(self._entry_bytes))

    def chunks(self, *, with_root: bool = True) -> Iterator[bytes]:
        """The canonical bytes of the document, piece by piece (RFC 8785 order)."""
        n_dated = len(self["entries"])
        first = True
        for key in sorted(self, key=lambda k: k.encode("utf-16-be", "surrogatepass")):
            if key == "root_hash" and not with_root:
                continue
            yield (b"{" if first else b",") + json_string(key).encode("utf-8") + b":"
            first = False
            if key in ("entries", "undated"):
                part = (self._entry_bytes[:n_dated] if key == "entries"
                        else self._entry_bytes[n_dated:])
                yield b"["
                for i, data in enumerate(part):
                    yield b"," + data if i else data
                yield b"]"
            else:
                yield canonical_bytes(self[key])
        yield b"{}" if first else b"}"

    def canonical(self) -> bytes:
        return b"".join(self.chunks())


def canonical_chunks(doc: Mapping[str, Any]) -> Iterator[bytes]:
    """The canonical bytes of a chronology in pieces: a sealed one's kept entry
    bytes as they are (to be written or hashed as they come), any other whole."""
    if isinstance(doc, Sealed) and doc.intact():
        return doc.chunks()
    return iter((canonical_bytes(doc),))


def _join(a: bytes, b: bytes) -> bytes:
    """Two canonical objects as one; every key of `a` sorts before every key of `b`."""
    if a == b"{}":
        return b
    if b == b"{}":
        return a
    return a[:-1] + b"," + b[1:]


def _encode(part: dict, walk: tuple, plain_keys: bool) -> bytes:
    """Canonical bytes of part of an entry; only the `walk` keys' values are checked."""
    if plain_keys and is_fast([part[k] for k in walk]):
        return canonical_bytes(part, checked=True)
    return reference_bytes(part)


def _plan(keys: tuple, trusted: frozenset[str]) -> tuple:
    """For one set of entry keys: the keys before and after entry_hash, which of
    them to walk, and whether all are ASCII text (the fast encoder's condition)."""
    head = tuple(k for k in keys if k < _HASH_KEY)
    tail = tuple(k for k in keys if k > _HASH_KEY)
    plain = all(type(k) is str and k.isascii() for k in keys)
    return (head, tail, tuple(k for k in head if k not in trusted),
            tuple(k for k in tail if k not in trusted), plain)


def seal(doc: dict, *, trusted: frozenset[str] = frozenset()) -> Sealed:
    """Fill in prev_hash, entry_hash, chain_head, merkle_root and root_hash (in `doc`
    too), and return the document as `Sealed`.

    Each entry is encoded once; its bytes are kept (`Sealed`). `trusted` names
    entry fields the caller built of text, integers and booleans only (the
    builder's claims and sources): they are not walked before the fast encoder.
    """
    entries = list(doc["entries"]) + list(doc["undated"])
    prev = ZERO_HASH
    kept: list[bytes] = []
    plans: dict[tuple, tuple] = {}
    for e in entries:
        e.pop(_HASH_KEY, None)
        e["prev_hash"] = prev
        keys = tuple(e)
        plan = plans.get(keys) or plans.setdefault(keys, _plan(keys, trusted))
        head_keys, tail_keys, head_walk, tail_walk, plain = plan
        head = _encode({k: e[k] for k in head_keys}, head_walk, plain)
        tail = _encode({k: e[k] for k in tail_keys}, tail_walk, plain)
        prev = hashlib.sha256(_join(head, tail)).hexdigest()
        e[_HASH_KEY] = prev
        kept.append(_join(_join(head, b'{"entry_hash":"' + prev.encode() + b'"}'), tail))
    doc["chain_head"] = prev
    doc["merkle_root"] = merkle_root([bytes.fromhex(e[_HASH_KEY]) for e in entries]).hex()
    doc.pop("root_hash", None)
    out = Sealed(doc)
    out._entry_bytes = kept
    out._lists = (out["entries"], out["undated"])
    out["root_hash"] = doc["root_hash"] = root_hash(out)
    return out


def all_entries(doc: Mapping[str, Any]) -> list[dict]:
    """Dated entries then undated ones: the order of the chain and the Merkle tree."""
    return list(doc.get("entries") or []) + list(doc.get("undated") or [])


def inclusion_proof_for(doc: Mapping[str, Any], entry_number: int) -> dict:
    """A proof that one entry belongs to the chronology, checkable with only
    the chronology's merkle_root (the other entries stay undisclosed)."""
    entries = all_entries(doc)
    index = next((i for i, e in enumerate(entries) if e.get("number") == entry_number), None)
    if index is None:
        raise KeyError(f"the chronology has no entry {entry_number}")
    leaves = [bytes.fromhex(e["entry_hash"]) for e in entries]
    return {
        "format": PROOF_FORMAT,
        "entry": copy.deepcopy(entries[index]),
        "index": index,
        "size": len(entries),
        "proof": [p.hex() for p in inclusion_proof(index, leaves)],
        "merkle_root": doc["merkle_root"],
    }

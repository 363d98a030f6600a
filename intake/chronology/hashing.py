"""The chronology's hashes: each entry's, the chain, the Merkle root, the root hash;
and the inclusion proof of one entry (checked by ``chronology.verify.verify_proof``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .canonical import canonical_bytes, is_fast, sha256_hex
from .merkle import inclusion_proof, merkle_root

PROOF_FORMAT = "intake-chronology-proof/1"
ZERO_HASH = "0" * 64


def entry_hash(entry: Mapping[str, Any], checked: bool = False) -> str:
    """SHA-256 of the canonical JSON of the entry without its entry_hash."""
    return sha256_hex(canonical_bytes({k: v for k, v in entry.items() if k != "entry_hash"},
                                      checked=checked))


def root_hash(doc: Mapping[str, Any], checked: bool = False) -> str:
    """SHA-256 of the canonical JSON of the document without root_hash."""
    return sha256_hex(canonical_bytes({k: v for k, v in doc.items() if k != "root_hash"},
                                      checked=checked))


def seal(doc: dict) -> dict:
    """Fill in prev_hash, entry_hash, chain_head, merkle_root and root_hash."""
    prev = ZERO_HASH
    entries = list(doc["entries"]) + list(doc["undated"])
    for e in entries:
        e.pop("entry_hash", None)
        e["prev_hash"] = prev  # a hex string: does not change what is_fast says
    checked = is_fast(doc)  # one walk over everything, instead of one per hash
    for e in entries:
        e["prev_hash"] = prev
        e["entry_hash"] = prev = entry_hash(e, checked)
    leaves = [bytes.fromhex(e["entry_hash"]) for e in entries]
    doc["chain_head"] = prev
    doc["merkle_root"] = merkle_root(leaves).hex()
    doc.pop("root_hash", None)
    doc["root_hash"] = root_hash(doc, checked)
    return doc


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

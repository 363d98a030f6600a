"""The chronology's hashes: each entry's, the chain, the Merkle root, the root hash;
and the inclusion proof of one entry (checked by ``chronology.verify.verify_proof``).

Sealing encodes each entry once (issue 19): the canonical bytes of every entry
are kept with the document (`Sealed`), and the root hash and chronology.json
are joined from them instead of encoding the whole document again. The
document's entry lists are those bytes, decoded on access (`EntryList`): the
entries are never all Python dicts at once after sealing. The builder encodes
each entry's fixed fields as soon as it makes the entry (`Layout`), so they
are not all dicts at once before sealing either.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from .canonical import canonical_bytes, is_fast, json_string, reference_bytes, sha256_hex
from .entries import EntryList
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
    as they were hashed; ``entries`` and ``undated`` are those bytes decoded on
    access (`EntryList`). Read-only by contract: `intact` notices entry lists
    replaced; an entry read from it is a copy, and editing it changes nothing."""

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
    if plain_keys and (not walk or is_fast([part[k] for k in walk])):
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
    return _sealed(doc, kept, len(doc["entries"]))


def _sealed(doc: dict, kept: list[bytes], n_dated: int) -> Sealed:
    """The document with its entry lists as the kept bytes, and its root hash."""
    out = Sealed(doc)
    out._entry_bytes = kept
    out["entries"] = EntryList(kept, 0, n_dated)
    out["undated"] = EntryList(kept, n_dated, len(kept))
    out._lists = (out["entries"], out["undated"])
    out["root_hash"] = doc["root_hash"] = root_hash(out)
    return out


class Layout:
    """Where the fields of entries with one set of keys go in their canonical bytes.

    The builder encodes the fields that no longer change as soon as it makes an
    entry (`encode`: runs of neighbouring fields, each ``"key":value,...``) and
    keeps only those bytes; the `late` fields (number, exhibits, links, flags,
    the two hashes) are filled in at sealing (`join`). Joined, they are exactly
    the bytes of the whole entry encoded at once: keys in RFC 8785 order.
    """

    def __init__(self, keys: Iterable[str], late: frozenset[str],
                 trusted: frozenset[str] = frozenset()) -> None:
        keys = sorted(keys, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        self.plain = all(k.isascii() for k in keys)
        #: ("run", keys, keys to walk) or ("late", key, b'"key":'), in key order
        self.slots: list[tuple] = []
        self.run_of: dict[str, int] = {}
        run: list[str] = []
        for k in keys + [None]:
            if k is not None and k not in late:
                run.append(k)
                continue
            if run:
                for r in run:
                    self.run_of[r] = sum(s[0] == "run" for s in self.slots)
                self.slots.append(("run", tuple(run), tuple(r for r in run if r not in trusted)))
                run = []
            if k is not None:
                self.slots.append(("late", k, json_string(k).encode("utf-8") + b":"))
        # `join` fills two byte templates (without and with entry_hash) instead of
        # assembling the pieces in Python: the run slices and late values in slot order.
        pieces: list[bytes] = []
        self._late_names: list[str] = []
        self._hash_at = -1  # where the hash goes among the template's values
        n_values = 0
        for kind, name, prefix in self.slots:
            if kind == "run":
                pieces.append(b"%b")
                n_values += 1
            elif name == _HASH_KEY:
                self._hash_at = n_values
                pieces.append(None)
            else:
                pieces.append(prefix.replace(b"%", b"%%") + b"%b")
                self._late_names.append(name)
                n_values += 1
        self._unsealed = b"{" + b",".join(p for p in pieces if p is not None) + b"}"
        self._sealed = b"{" + b",".join(b'"entry_hash":"%b"' if p is None else p
                                        for p in pieces) + b"}"
        self._order = [(kind, name) for kind, name, _ in self.slots
                       if kind == "run" or name != _HASH_KEY]

    def encode(self, entry: Mapping[str, Any]) -> tuple[bytes, tuple[int, ...]]:
        """The canonical bytes of each run of fixed fields, without braces, as one
        bytes object (one allocation, of about the size of the sealed entry, which
        takes its place later) and where each run ends."""
        runs = [_encode({k: entry[k] for k in keys}, walk, self.plain)[1:-1]
                for kind, keys, walk in self.slots if kind == "run"]
        ends, n = [], 0
        for r in runs:
            n += len(r)
            ends.append(n)
        return b"".join(runs), tuple(ends)

    def _run(self, runs: tuple[bytes, tuple[int, ...]], i: int) -> bytes:
        blob, ends = runs
        return blob[ends[i - 1] if i else 0:ends[i]]

    def run_bytes(self, runs: tuple[bytes, tuple[int, ...]]) -> list[bytes]:
        """Each run of fixed fields (``"key":value,...``), in key order."""
        return [self._run(runs, i) for i in range(len(runs[1]))]

    def field(self, runs: tuple[bytes, tuple[int, ...]], key: str) -> Any:
        """One fixed field, decoded from the runs."""
        return orjson.loads(b"{" + self._run(runs, self.run_of[key]) + b"}")[key]

    def join(self, runs: tuple[bytes, tuple[int, ...]],
             late: Mapping[str, bytes]) -> tuple[str, bytes]:
        """(entry_hash, the entry's canonical bytes) from its runs and its late fields
        as canonical bytes (all of them but entry_hash, which is computed here)."""
        blob, ends = runs
        values: list[bytes] = []
        start = i = 0
        for kind, name in self._order:
            if kind == "run":
                values.append(blob[start:ends[i]])
                start = ends[i]
                i += 1
            else:
                values.append(late[name])
        digest = hashlib.sha256(self._unsealed % tuple(values)).hexdigest()
        if self._hash_at < 0:
            return digest, self._unsealed % tuple(values)
        values.insert(self._hash_at, digest.encode())
        return digest, self._sealed % tuple(values)


def seal_encoded(doc: dict, entries: Iterable[tuple[Layout, tuple[bytes, tuple[int, ...]],
                                                     dict[str, bytes]]],
                 n_dated: int) -> Sealed:
    """Seal a document whose entries (dated then undated, `n_dated` of the former)
    come encoded: (layout, runs, late fields but the two hashes) each, taken one
    by one so that the caller can let go of each as it is sealed."""
    prev = ZERO_HASH
    kept: list[bytes] = []
    leaves: list[bytes] = []
    for layout, runs, late in entries:
        late["prev_hash"] = b'"' + prev.encode() + b'"'
        prev, data = layout.join(runs, late)
        kept.append(data)
        leaves.append(bytes.fromhex(prev))
    doc["chain_head"] = prev
    doc["merkle_root"] = merkle_root(leaves).hex()
    doc.pop("root_hash", None)
    return _sealed(doc, kept, n_dated)


def all_entries(doc: Mapping[str, Any]) -> list[dict]:
    """Dated entries then undated ones: the order of the chain and the Merkle tree."""
    return list(doc.get("entries") or []) + list(doc.get("undated") or [])


def _each_entry(doc: Mapping[str, Any]) -> Iterator[dict]:
    yield from doc.get("entries") or []
    yield from doc.get("undated") or []


def inclusion_proof_for(doc: Mapping[str, Any], entry_number: int) -> dict:
    """A proof that one entry belongs to the chronology, checkable with only
    the chronology's merkle_root (the other entries stay undisclosed)."""
    entry, index, leaves = None, None, []
    for i, e in enumerate(_each_entry(doc)):  # one entry alive at a time
        if index is None and e.get("number") == entry_number:
            entry, index = copy.deepcopy(e), i
        leaves.append(bytes.fromhex(e["entry_hash"]))
    if index is None:
        raise KeyError(f"the chronology has no entry {entry_number}")
    return {
        "format": PROOF_FORMAT,
        "entry": entry,
        "index": index,
        "size": len(leaves),
        "proof": [p.hex() for p in inclusion_proof(index, leaves)],
        "merkle_root": doc["merkle_root"],
    }

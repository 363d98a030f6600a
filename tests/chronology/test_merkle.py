"""RFC 6962 Merkle trees and canonical JSON against known values."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.chronology.canonical import canonical_bytes, reference_bytes, sha256_hex
from intake.chronology.merkle import inclusion_proof, leaf_hash, merkle_root, verify_inclusion

# The Certificate Transparency reference vectors (merkle_tree_test.cc, also in trillian).
CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PATHS = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
]


def H(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def test_empty_tree():
    assert merkle_root([]).hex() == hashlib.sha256(b"").hexdigest() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


@pytest.mark.parametrize("n", range(1, 9))
def test_reference_roots(n):
    assert merkle_root(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_PATHS)
def test_reference_paths(index, size, path):
    leaves = CT_LEAVES[:size]
    assert [p.hex() for p in inclusion_proof(index, leaves)] == path
    assert verify_inclusion(index, size, leaves[index], [bytes.fromhex(p) for p in path],
                            bytes.fromhex(CT_ROOTS[size - 1]))


def test_seven_leaves_by_hand():
    leaves = [f"leaf {i}".encode() for i in range(7)]
    L = [H(b"\x00", x) for x in leaves]
    n01, n23, n45 = H(b"\x01", L[0], L[1]), H(b"\x01", L[2], L[3]), H(b"\x01", L[4], L[5])
    n03 = H(b"\x01", n01, n23)
    n46 = H(b"\x01", n45, L[6])
    root = H(b"\x01", n03, n46)
    assert leaf_hash(leaves[3]) == L[3]
    assert merkle_root(leaves) == root
    by_hand = [
        [L[1], n23, n46], [L[0], n23, n46], [L[3], n01, n46], [L[2], n01, n46],
        [L[5], L[6], n03], [L[4], L[6], n03], [n45, n03],
    ]
    for i in range(7):
        proof = inclusion_proof(i, leaves)
        assert proof == by_hand[i], i
        assert verify_inclusion(i, 7, leaves[i], proof, root)
        # anything wrong fails
        assert not verify_inclusion(i, 7, leaves[i] + b"x", proof, root)
        assert not verify_inclusion((i + 1) % 7, 7, leaves[i], proof, root)
        assert not verify_inclusion(i, i, leaves[i], proof, root)  # index beyond the size
        assert not verify_inclusion(i, 7, leaves[i], proof[:-1], root)
        assert not verify_inclusion(i, 7, leaves[i], proof + [root], root)
        assert not verify_inclusion(i, 7, leaves[i], proof, H(root))
        for k in range(len(proof)):
            bad = list(proof)
            bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
            assert not verify_inclusion(i, 7, leaves[i], bad, root)
    assert not verify_inclusion(7, 7, leaves[0], [], root)
    with pytest.raises(IndexError):
        inclusion_proof(7, leaves)


@pytest.mark.parametrize("size", range(1, 34))
def test_every_index_every_size(size):
    leaves = [bytes([i]) * 32 for i in range(size)]
    root = merkle_root(leaves)
    for i in range(size):
        assert verify_inclusion(i, size, leaves[i], inclusion_proof(i, leaves), root)


def test_canonical_json():
    assert canonical_bytes({"b": 1, "a": [True, False, None], "": "x"}) == (
        b'{"":"x","a":[true,false,null],"b":1}')
    # RFC 8785 3.2.3: keys sorted by UTF-16 code units (U+1F600 sorts before U+FB33)
    value = {"\ufb33": 1, "\U0001f600": 2, "\u20ac": 3, "\r": 4, "1": 5, "\u00f6": 6}
    assert canonical_bytes(value) == (
        '{"\\r":4,"1":5,"\u00f6":6,"\u20ac":3,"\U0001f600":2,"\ufb33":1}'.encode())
    assert canonical_bytes("\u2028\x00\x1f\"\\/\t\u00e9") == (
        '"\u2028\\u0000\\u001f\\"\\\\/\\t\u00e9"'.encode())
    assert canonical_bytes([-0, 9007199254740991, -5]) == b"[0,9007199254740991,-5]"
    with pytest.raises(TypeError):
        canonical_bytes({"x": 1.0})
    with pytest.raises(ValueError):
        canonical_bytes(2**53)
    with pytest.raises(TypeError):
        canonical_bytes({1: "x"})
    with pytest.raises(ValueError):
        canonical_bytes("\ud800")
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_canonical_fast_path_equals_reference(value):
    """The json-module fast path and the plain JCS writer give the same bytes."""
    try:
        want = reference_bytes(value)
    except ValueError:
        with pytest.raises(ValueError):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == want
    assert json.loads(want) == value


def _walk_reference(value) -> bool:
    """The value-by-value check `_fast_ok` replaced (issue 19): what it must agree with."""
    stack = [value]
    while stack:
        v = stack.pop()
        if v is None or v is True or v is False or type(v) is str:
            continue
        if type(v) is int:
            if abs(v) > 2**53 - 1:
                raise ValueError
        elif type(v) is dict:
            for k, item in v.items():
                if type(k) is not str or not k.isascii():
                    return False
                stack.append(item)
        elif type(v) is list or type(v) is tuple:
            stack.extend(v)
        elif isinstance(v, float):
            raise TypeError
        else:
            return False
    return True


any_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=4)
    | st.floats(allow_nan=False) | st.binary(max_size=2),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), children, max_size=4),
    max_leaves=25)


def _outcome(check, value):
    try:
        return check(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


@settings(max_examples=400, deadline=None)
@given(any_values)
def test_fast_check_agrees_with_the_value_walk(value):
    """Same verdict (or same kind of refusal) as the walk, on floats, big integers,
    bytes, non-string and non-ASCII keys mixed in; and the bytes stay the reference's."""
    from intake.chronology.canonical import _fast_ok

    want = _outcome(_walk_reference, value)
    got = _outcome(_fast_ok, value)
    if want is True or got is True:
        assert got == want
        assert canonical_bytes(value) == reference_bytes(value)
    else:  # refused or slow path: canonical_bytes refuses when the reference does
        # (with a float and a too-large integer both inside, which one is named
        # first depends on the walk's order), and gives its bytes otherwise
        assert got in (False, TypeError, ValueError)
        try:
            want_bytes = reference_bytes(value)
        except (TypeError, ValueError):
            with pytest.raises((TypeError, ValueError)):
                canonical_bytes(value)
        else:
            assert canonical_bytes(value) == want_bytes


def test_fast_check_on_chronology_entries():
    from intake.chronology.canonical import _fast_ok

    entry = {"number": 1, "facts": {"body": "ça va", "n": 2**53 - 1}, "claims": [
        {"utc": "2024-01-01T00:00:00Z", "flags": []}], "to": (), "star": False, "x": None}
    assert _fast_ok(entry) is True
    assert _fast_ok({**entry, "facts": {"\u00e9t\u00e9": 1}}) is False
    with pytest.raises(ValueError):
        _fast_ok({**entry, "facts": {"n": 2**53}})
    with pytest.raises(TypeError):
        _fast_ok([entry, [{"a": 0.5}]])
    assert _fast_ok("text") is True and _fast_ok(3) is True


def test_level_by_level_root_equals_the_recursive_definition():
    """merkle_root builds the tree level by level (issue 19); RFC 6962's
    definition (`_mth`, which the proofs use) splits at the largest power of two."""
    import hashlib

    from intake.chronology.merkle import _mth, merkle_root

    for n in list(range(0, 70)) + [127, 128, 129, 255, 256, 257, 1000, 1023, 1025]:
        leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
        assert merkle_root(leaves) == _mth(leaves), n
    assert merkle_root([]) == hashlib.sha256(b"").digest()
    assert merkle_root([b"x"]) == hashlib.sha256(b"\x00x").digest()

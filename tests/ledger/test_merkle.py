"""The ledger engine against the Certificate Transparency test vectors, and against itself.

The vectors are those published with CT's reference implementation (the C++ log's
``merkle_tree_test.cc``, carried on in Go as ``transparency-dev/merkle``'s reference tests): eight
leaf inputs, the Merkle Tree Hash of every prefix, and audit and consistency paths. RFC 9162
§2.1.5 draws the same 7-leaf tree shapes. Indexes below are 0-based (the C++ tests count leaves
from 1).
"""

from __future__ import annotations

import hashlib
import random

import pytest

from chop.ledger import (
    EMPTY_ROOT,
    MemoryStore,
    ProofError,
    Tree,
    leaf_hash,
    node_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

INPUTS = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]  # fmt: skip

ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # empty tree
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# (leaf index, tree size, audit path)
INCLUSION = [
    (0, 1, []),
    (0, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
]  # fmt: skip

# (first size, second size, consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (6, 8, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 5, [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
]  # fmt: skip


@pytest.fixture
def tree() -> Tree:
    t = Tree(MemoryStore())
    for data in INPUTS:
        t.append_data(data)
    return t


def test_hashing_is_rfc_6962_with_domain_separation():
    assert EMPTY_ROOT.hex() == ROOTS[0]
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert leaf_hash(b"x") != node_hash(b"", b"x")  # no leaf passes for a node


def test_roots_of_every_prefix_match_the_vectors(tree):
    leaves = [leaf_hash(d) for d in INPUTS]
    for size, expected in enumerate(ROOTS):
        assert tree.root(size).hex() == expected, size
        assert root_from_leaves(leaves[:size]).hex() == expected, size


def test_appending_gives_the_vector_root_after_each_leaf():
    t = Tree()
    for size, data in enumerate(INPUTS, start=1):
        t.append_data(data)
        assert t.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_vectors_and_verify(tree, index, size, path):
    proof = tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == path
    digest = leaf_hash(INPUTS[index])
    root = bytes.fromhex(ROOTS[size])
    assert verify_inclusion(index, size, digest, proof, root)
    assert not verify_inclusion(index, size, leaf_hash(b"other"), proof, root)
    assert not verify_inclusion(index, size, digest, proof, bytes.fromhex(ROOTS[size - 1]))
    if proof:
        assert not verify_inclusion(index, size, digest, proof[:-1], root)
        assert not verify_inclusion(index, size, digest, [*proof, proof[0]], root)
        assert not verify_inclusion(index ^ 1, size, digest, proof, root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors_and_verify(tree, first, second, path):
    proof = tree.consistency_proof(first, second)
    assert [p.hex() for p in proof] == path
    r1, r2 = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    assert verify_consistency(first, second, proof, r1, r2)
    if first != second:
        assert not verify_consistency(first, second, proof, r2, r2)
        assert not verify_consistency(first, second, proof[:-1], r1, r2)
        bad = [bytes(32), *proof[1:]]
        assert not verify_consistency(first, second, bad, r1, r2)


def test_every_proof_of_every_shape_verifies_and_only_its_own():
    rng = random.Random(6962)
    for n in range(1, 40):
        leaves = [leaf_hash(bytes([i]) + rng.randbytes(rng.randint(0, 9))) for i in range(n)]
        t = Tree()
        for leaf in leaves:
            t.append(leaf)
        for size in range(1, n + 1):
            root = t.root(size)
            assert root == root_from_leaves(leaves[:size])
            for i in range(size):
                proof = t.inclusion_proof(i, size)
                assert verify_inclusion(i, size, leaves[i], proof, root)
                if size > 1:
                    assert not verify_inclusion(i, size, leaves[(i + 1) % size], proof, root)
            for m in range(0, size + 1):
                assert verify_consistency(m, size, t.consistency_proof(m, size), t.root(m), root)


def test_appending_touches_only_the_subtrees_it_completes():
    calls = []

    class Counting(MemoryStore):
        def get(self, level, index):
            calls.append((level, index))
            return super().get(level, index)

    t = Tree(Counting())
    for i in range(1023):
        t.append_data(str(i).encode())
    calls.clear()
    t.append_data(b"the 1024th")  # completes subtrees at every level up to 2**10
    assert len(calls) == 10
    calls.clear()
    t.append_data(b"the 1025th")  # a new left child: nothing to combine
    assert calls == []


def test_bad_requests_are_refused(tree):
    with pytest.raises(ProofError):
        tree.inclusion_proof(8, 8)
    with pytest.raises(ProofError):
        tree.inclusion_proof(0, 9)
    with pytest.raises(ProofError):
        tree.consistency_proof(5, 4)
    with pytest.raises(ProofError):
        tree.root(9)
    with pytest.raises(ValueError):
        tree.append(b"short")
    assert not verify_inclusion(8, 8, leaf_hash(b""), [], EMPTY_ROOT)
    assert not verify_consistency(5, 4, [], EMPTY_ROOT, EMPTY_ROOT)

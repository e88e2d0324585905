"""RFC 6962 Merkle trees: hashing, an append-only tree over a store, proofs and their checks.

Hashing follows RFC 6962 §2.1: a leaf is ``SHA-256(0x00 || data)`` and an interior node
``SHA-256(0x01 || left || right)``, so a leaf can never pass for a node. The Merkle Tree Hash of
``n`` leaves splits at ``k``, the largest power of two smaller than ``n``.

The tree keeps the hash of every *complete* subtree (``2**level`` leaves starting at
``index * 2**level``) in a :class:`Store`. Appending a leaf adds at most ``log2(n)`` such hashes
(the subtrees it completes), and the hash of any range the proofs need is built from at most
``log2(n)`` stored ones: nothing is ever recomputed from all the leaves. The verifiers at the end
are pure functions over hashes, what a client runs offline (RFC 9162 §2.1.3.2 and §2.1.4.2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "MemoryStore",
    "ProofError",
    "Store",
    "Tree",
    "leaf_hash",
    "node_hash",
    "root_from_leaves",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof was asked for sizes or indexes the tree cannot answer."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of leaf hashes, by the RFC's recursion (for tests and small sets)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(root_from_leaves(leaves[:k]), root_from_leaves(leaves[k:]))


class Store(Protocol):
    """Where a tree keeps its hashes: the hash of every complete subtree, by (level, index).

    Level 0 holds the leaf hashes themselves. ``add`` stores the hashes one append produced and
    the new size together, so a store backed by a database can write them in one statement.
    """

    def size(self) -> int: ...

    def get(self, level: int, index: int) -> bytes: ...

    def add(self, nodes: list[tuple[int, int, bytes]], new_size: int) -> None: ...


class MemoryStore:
    """A :class:`Store` in lists, one per level (tests and ``make bench``)."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = []
        self._size = 0

    def size(self) -> int:
        return self._size

    def get(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def add(self, nodes: list[tuple[int, int, bytes]], new_size: int) -> None:
        for level, index, digest in nodes:
            while len(self.levels) <= level:
                self.levels.append([])
            row = self.levels[level]
            if index != len(row):
                raise ValueError(
                    f"subtree ({level}, {index}) out of order: the store holds {len(row)}"
                )
            row.append(digest)
        self._size = new_size


class Tree:
    """An append-only Merkle tree whose hashes live in a :class:`Store`."""

    def __init__(self, store: Store | None = None) -> None:
        self.store: Store = store if store is not None else MemoryStore()

    @property
    def size(self) -> int:
        return self.store.size()

    def append(self, digest: bytes) -> int:
        """Append a leaf hash; returns its index. Stores the leaf and every subtree it completes."""
        if len(digest) != 32:
            raise ValueError("a leaf hash is 32 bytes (SHA-256)")
        index = self.store.size()
        nodes = [(0, index, digest)]
        level, i, current = 0, index, digest
        while i & 1:  # a right child: its left sibling is complete, so is their parent
            current = node_hash(self.store.get(level, i - 1), current)
            level, i = level + 1, i >> 1
            nodes.append((level, i, current))
        self.store.add(nodes, index + 1)
        return index

    def append_data(self, data: bytes) -> int:
        return self.append(leaf_hash(data))

    def leaf(self, index: int) -> bytes:
        self._check_index(index, self.size)
        return self.store.get(0, index)

    # -------------------------------------------------------------- hashes of ranges
    def _range(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) where [lo, hi) is a complete subtree or ends a tree (all proofs need)."""
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            return self.store.get(n.bit_length() - 1, lo // n)
        k = _split(n)
        return node_hash(self._range(lo, lo + k), self._range(lo + k, hi))

    def root(self, size: int | None = None) -> bytes:
        """The tree head's hash at ``size`` (any size up to the current one; default: current)."""
        current = self.size
        size = current if size is None else size
        if not 0 <= size <= current:
            raise ProofError(f"the tree has {current} leaves, not {size}")
        return EMPTY_ROOT if size == 0 else self._range(0, size)

    # -------------------------------------------------------------- proofs
    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 6962 §2.1.1)."""
        size = self.size if size is None else size
        if size > self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")
        self._check_index(index, size)
        path: list[bytes] = []
        lo, hi, m = 0, size, index
        while hi - lo > 1:
            k = _split(hi - lo)
            if m < k:
                path.append(self._range(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._range(lo, lo + k))
                lo, m = lo + k, m - k
        path.reverse()  # the recursion appends on the way back up: deepest sibling first
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """The proof that the tree of ``first`` leaves is a prefix of that of ``second``
        (RFC 6962 §2.1.2)."""
        second = self.size if second is None else second
        if not 0 <= first <= second <= self.size:
            raise ProofError(
                f"no consistency proof from {first} to {second} in a tree of {self.size}"
            )
        if first == 0 or first == second:
            return []
        path: list[bytes] = []
        lo, hi, m, whole = 0, second, first, True
        while True:
            if m == hi - lo:
                if not whole:
                    path.append(self._range(lo, hi))
                break
            k = _split(hi - lo)
            if m <= k:
                path.append(self._range(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._range(lo, lo + k))
                lo, m, whole = lo + k, m - k, False
        path.reverse()
        return path

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise ProofError(f"no leaf {index} in a tree of {size}")


# ------------------------------------------------------------------ verifiers (offline)
def verify_inclusion(
    index: int, size: int, digest: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Does ``proof`` show the leaf hash ``digest`` at ``index`` in the tree ``root`` of ``size``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, digest
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """Does ``proof`` show the tree ``first_root`` (``first`` leaves) is a prefix of
    ``second_root`` (``second`` leaves)?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a complete subtree: the old root is the proof's first hash
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root

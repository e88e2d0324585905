"""Stamping-log speed at 1 000 000 records: append, inclusion and consistency proofs, verify.

The tree is built in memory once (``MemoryStore``); the figures are per operation, medians of
batches of 1 000. The reference is the floor every operation stands on: one ``hashlib.sha256``
of the same leaf bytes (a stamping record's canonical JSON is about 900 bytes), timed the same
way in this process. Targets: append ≤ 2 ms and proof ≤ 1 ms at a million records.
"""

from __future__ import annotations

import hashlib
import os
import random
import time

from chop import ledger

from . import Bench

N = 1_000_000
BATCH = 1_000
RECORD = b'{"record":' + b"x" * 880 + b"}"  # about the size of a StampRecord's leaf JSON


def _per_op(bench: Bench, fn) -> float:
    return bench.median_ms(fn, repeat=15, warmup=1) / BATCH


def _us(ms: float, note: str = "") -> str:
    """The table prints milliseconds to two places; these are microseconds, so say them."""
    return f"{ms * 1000:.1f} µs per op" + (f"; {note}" if note else "")


def run(bench: Bench) -> None:
    print(f"-- ledger: building a tree of {N:,} leaves in memory (load {os.getloadavg()[0]:.2f})")
    tree = ledger.Tree(ledger.MemoryStore())
    t0 = time.perf_counter()
    for i in range(N):
        tree.append(ledger.leaf_hash(i.to_bytes(8, "big") + RECORD))
    built = time.perf_counter() - t0
    bench.add("ledger: build 1M leaves (hash + append)", built * 1000, note="one run, not a median")

    floor = _per_op(bench, lambda: [hashlib.sha256(RECORD).digest() for _ in range(BATCH)])
    print(f"-- ledger: reference, sha256 of one ~900-byte leaf: {_us(floor)}")
    extra = iter(range(N, N + 10_000_000))
    ms = _per_op(
        bench,
        lambda: [tree.append_data(next(extra).to_bytes(8, "big") + RECORD) for _ in range(BATCH)],
    )
    bench.add(
        "ledger: append one record at 1M",
        ms,
        target="≤ 2 ms",
        reference="sha256 of the leaf",
        reference_ms=floor,
        note=_us(ms, "leaf hash + the subtrees it completes (2 node hashes amortised)"),
    )
    size = tree.size
    rng = random.Random(13)
    indexes = [rng.randrange(size) for _ in range(BATCH)]
    ms = _per_op(bench, lambda: [tree.inclusion_proof(i, size) for i in indexes])
    bench.add(
        "ledger: inclusion proof at 1M",
        ms,
        target="≤ 1 ms",
        reference="sha256 of the leaf",
        reference_ms=floor,
        note=_us(ms, "20 stored hashes, the right edge rebuilt"),
    )
    olds = [rng.randrange(1, size) for _ in range(BATCH)]
    ms = _per_op(bench, lambda: [tree.consistency_proof(m, size) for m in olds])
    bench.add(
        "ledger: consistency proof (random m → 1M)",
        ms,
        target="≤ 1 ms",
        reference="sha256 of the leaf",
        reference_ms=floor,
        note=_us(ms),
    )
    root = tree.root()
    proofs = [(i, tree.leaf(i), tree.inclusion_proof(i, size)) for i in indexes]
    ms = _per_op(
        bench, lambda: [ledger.verify_inclusion(i, size, h, p, root) for i, h, p in proofs]
    )
    bench.add(
        "ledger: verify an inclusion proof at 1M",
        ms,
        target="≤ 1 ms",
        reference="sha256 of the leaf",
        reference_ms=floor,
        note=_us(ms, "20 node hashes: the client's side"),
    )

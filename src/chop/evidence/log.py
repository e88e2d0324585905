"""The stamping log: sequencing records into the Merkle tree, publishing signed tree heads, and
the proofs and bundles the pages hand out. The hashing and proofs are ``chop.ledger``'s; this
module stores them.

One sequencer at a time: every append and every head publication runs inside one transaction
holding the :class:`LogState` row lock (PostgreSQL ``SELECT ... FOR UPDATE``; on SQLite the
IMMEDIATE transaction takes the database's write lock at BEGIN). Records are appended in id order;
a record whose transaction committed late is simply appended later, and its leaf index, not its
id, is its place in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from chop import ledger
from chop.asyncrun import run_sync
from chop.contracts.models import StampRecord

from .models import LogLeaf, LogNode, LogState
from .models import TreeHead as HeadRow

log = logging.getLogger(__name__)

APPEND_BATCH = 500


class DatabaseStore:
    """``chop.ledger.Store`` over LogLeaf (level 0) and LogNode (levels above), with a cache.

    Appends are buffered and written by :meth:`flush` in two bulk inserts, inside the caller's
    transaction. ``record_id`` is set before each append: the leaf row names its record.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._cache: dict[tuple[int, int], bytes] = {}
        self.new_leaves: list[LogLeaf] = []
        self.new_nodes: list[LogNode] = []
        self.record_id: int | None = None

    def size(self) -> int:
        return self._size

    def get(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self._cache.get(key)
        if found is None:
            if level == 0:
                value = LogLeaf.objects.values_list("leaf_hash", flat=True).get(index=index)
            else:
                value = LogNode.objects.values_list("hash", flat=True).get(level=level, index=index)
            found = self._cache[key] = bytes.fromhex(value)
        return found

    def prefetch(self, keys: Iterable[tuple[int, int]]) -> None:
        """Load many hashes in two queries (a bundle proves many records against one head)."""
        wanted = [k for k in keys if k not in self._cache]
        leaves = [i for level, i in wanted if level == 0]
        for i, h in LogLeaf.objects.filter(index__in=leaves).values_list("index", "leaf_hash"):
            self._cache[(0, i)] = bytes.fromhex(h)
        levels = {level for level, _ in wanted if level}
        for level in levels:
            idx = [i for lv, i in wanted if lv == level]
            for i, h in LogNode.objects.filter(level=level, index__in=idx).values_list(
                "index", "hash"
            ):
                self._cache[(level, i)] = bytes.fromhex(h)

    def add(self, nodes: list[tuple[int, int, bytes]], new_size: int) -> None:
        for level, index, digest in nodes:
            self._cache[(level, index)] = digest
            if level == 0:
                assert self.record_id is not None
                self.new_leaves.append(
                    LogLeaf(index=index, record_id=self.record_id, leaf_hash=digest.hex())
                )
            else:
                self.new_nodes.append(LogNode(level=level, index=index, hash=digest.hex()))
        self._size = new_size

    def flush(self) -> None:
        LogLeaf.objects.bulk_create(self.new_leaves)
        LogNode.objects.bulk_create(self.new_nodes)
        self.new_leaves, self.new_nodes = [], []


def _lock_state() -> LogState:
    """The sequencer's lock (call inside ``transaction.atomic``)."""
    try:
        with transaction.atomic():
            LogState.objects.get_or_create(pk=1)
    except IntegrityError:  # another sequencer made it first
        pass
    return LogState.objects.select_for_update().get(pk=1)


def tree(size: int | None = None) -> ledger.Tree:
    """A read-only view of the log (for proofs); ``size`` defaults to the stored size."""
    if size is None:
        state = LogState.objects.filter(pk=1).first()
        size = state.size if state else 0
    return ledger.Tree(DatabaseStore(size))


def _append_locked(state: LogState, limit: int) -> int:
    pending = list(StampRecord.objects.filter(log_leaf__isnull=True).order_by("pk")[:limit])
    if not pending:
        return 0
    store = DatabaseStore(state.size)
    t = ledger.Tree(store)
    for record in pending:
        store.record_id = record.pk
        t.append(ledger.leaf_hash_of(record.leaf()))
    store.flush()
    state.size = store.size()
    state.save(update_fields=["size"])
    return len(pending)


def append_pending(limit: int = APPEND_BATCH) -> int:
    """Append stamping records not yet in the log, oldest first; returns how many. Safe to call
    from any number of processes at once: they queue on the sequencer's lock."""
    total = 0
    while True:
        with transaction.atomic():
            done = _append_locked(_lock_state(), limit)
        total += done
        if done < limit:
            return total


def _timestamp_token(data: bytes, ca) -> tuple[bytes, datetime]:
    from chop.pki.tsa import timestamper_for

    request_der, nonce = ledger.timestamp_request(data)
    from asn1crypto import tsp

    stamper = timestamper_for(settings.CHOP_TSA_URL or None, ca)
    response = run_sync(stamper.async_request_tsa_response(tsp.TimeStampReq.load(request_der)))
    token = ledger.token_from_response(response.dump(), nonce)
    tsa_time, _cert = ledger.check_timestamp(token, data, [ca.tsa_certificate, *ca.chain])
    return token, tsa_time


def publish_head() -> HeadRow | None:
    """Append what is pending and publish a signed, timestamped head of the whole log, unless
    the newest head already covers it (one head per size: it already commits to this tree).
    Returns the newest head; ``None`` while the log is empty."""
    append_pending()
    from .log_signer import head_signer

    with transaction.atomic():
        state = _lock_state()
        _append_locked(state, 10**9)
        latest = HeadRow.objects.order_by("-tree_size").first()
        if state.size == 0:
            return None
        if latest is not None and latest.tree_size == state.size:
            return latest
        root = ledger.Tree(DatabaseStore(state.size)).root()
        sign, serial, ca = head_signer()
        head = ledger.TreeHead(state.size, root, timezone.now()).signed(sign)
        token, tsa_time = _timestamp_token(head.to_sign(), ca)
        return HeadRow.objects.create(
            tree_size=head.tree_size,
            root_hash=root.hex(),
            timestamp=head.timestamp,
            signature=head.signature,
            tsa_token=token,
            tsa_time=tsa_time,
            signer_serial=format(serial, "x"),
        )


def head_of(row: HeadRow) -> ledger.TreeHead:
    return ledger.TreeHead(
        row.tree_size,
        bytes.fromhex(row.root_hash),
        row.timestamp,
        bytes(row.signature),
        bytes(row.tsa_token),
    )


def covering_head(index: int) -> HeadRow | None:
    """The newest head that includes leaf ``index``."""
    return HeadRow.objects.filter(tree_size__gt=index).order_by("-tree_size").first()


def inclusion(leaf: LogLeaf, head: HeadRow) -> list[bytes]:
    return tree(head.tree_size).inclusion_proof(leaf.index, head.tree_size)


def proof_for(record: StampRecord) -> dict | None:
    """A record's inclusion proof and the signed head it leads to, as plain JSON (for the
    evidence report, which embeds it); None until a published head covers the record."""
    leaf = LogLeaf.objects.filter(record=record).first()
    head = covering_head(leaf.index) if leaf is not None else None
    if leaf is None or head is None:
        return None
    signed = head_of(head).to_json()
    return {
        "leaf_index": leaf.index,
        "leaf_hash": leaf.leaf_hash,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "head_timestamp": signed["timestamp"],
        "tsa_time": head.tsa_time.isoformat(),
        "audit_path": [p.hex() for p in inclusion(leaf, head)],
        "head_signature": signed["signature"],
        "head_signer_serial": head.signer_serial,
    }


# ---------------------------------------------------------------------- bundles
def certificates_pem(signer_serials: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """PEMs of the head signers, the TSA and the CA chain; and each signer's fingerprint."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    signers = {s: ca.certificate(int(s, 16)) for s in dict.fromkeys(signer_serials)}
    certs = [*signers.values(), ca.tsa_certificate, *ca.chain]
    pems = list(dict.fromkeys(c.public_bytes(Encoding.PEM).decode() for c in certs))
    return pems, {s: ledger.fingerprint(c) for s, c in signers.items()}


def _json(value) -> str:
    return ledger.canonical_json(value).decode()


def bundle_heads(indexes: Iterable[int]) -> list[HeadRow]:
    """The heads a bundle needs: for each record, the first head that included it (its TSA
    time says since when the record is in the log), and the newest head, which every record is
    proved against; consistency proofs chain them, so the log was only appended to in between.
    Not every head ever published: there is one every few minutes."""
    import bisect

    sizes = list(HeadRow.objects.order_by("tree_size").values_list("tree_size", flat=True))
    if not sizes:
        return []
    wanted = {sizes[-1]}
    for index in indexes:
        at = bisect.bisect_right(sizes, index)  # the first head with more than `index` leaves
        if at < len(sizes):
            wanted.add(sizes[at])
    return list(HeadRow.objects.filter(tree_size__in=wanted).order_by("tree_size"))


def stream_bundle(records: QuerySet[StampRecord]) -> Iterator[str]:
    """The bundle for these records, as JSON text in pieces (records in batches, so memory stays
    flat however many there are). Publishes a head first if the newest does not cover the log."""
    head_row = publish_head()
    heads = bundle_heads(
        LogLeaf.objects.filter(record__in=records.values("pk")).values_list("index", flat=True)
    )
    # Every head, each naming its signer: the log's certificate is renewed now and then.
    pems, signers = certificates_pem(h.signer_serial for h in heads)
    yield '{"format":' + _json(ledger.BUNDLE_FORMAT)
    yield ',"generated_at":' + _json(timezone.now().isoformat())
    yield ',"certificates":' + _json(pems)
    yield ',"head_signer":' + _json(signers[heads[-1].signer_serial] if heads else "")
    yield ',"heads":' + _json(
        [head_of(h).to_json() | {"signer": signers[h.signer_serial]} for h in heads]
    )
    store = DatabaseStore(heads[-1].tree_size if heads else 0)
    full = ledger.Tree(store)
    consistency = [
        {
            "first": a.tree_size,
            "second": b.tree_size,
            "proof": [p.hex() for p in full.consistency_proof(a.tree_size, b.tree_size)],
        }
        for a, b in zip(heads, heads[1:], strict=False)
    ]
    yield ',"consistency":' + _json(consistency)
    yield ',"records":['
    size = head_row.tree_size if head_row else 0
    first = True
    batch: list[StampRecord] = []

    def emit(batch: list[StampRecord]) -> Iterator[str]:
        nonlocal first
        leaves = {
            leaf.record_id: leaf
            for leaf in LogLeaf.objects.filter(record__in=[r.pk for r in batch])
        }
        # the complete subtrees beside each leaf on its way up, in a few queries for the batch
        # rather than one per hash (the right edge is built once, then cached)
        store.prefetch(
            (level, (leaf.index >> level) ^ 1)
            for leaf in leaves.values()
            for level in range(max(size - 1, 1).bit_length())
        )
        for record in batch:
            leaf = leaves.get(record.pk)
            if leaf is None or leaf.index >= size:
                continue
            proof = full.inclusion_proof(leaf.index, size)
            entry = ledger.record_entry(
                leaf.index, record.leaf(), bytes.fromhex(leaf.leaf_hash), size, proof
            )
            yield ("" if first else ",") + _json(entry)
            first = False

    for record in records.order_by("pk").iterator(chunk_size=500):
        batch.append(record)
        if len(batch) >= 200:
            yield from emit(batch)
            batch = []
    if batch:
        yield from emit(batch)
    yield "]}"

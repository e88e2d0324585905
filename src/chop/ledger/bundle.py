"""The exported bundle, and its offline check (``python -m chop.ledger verify BUNDLE``).

A bundle is one JSON document:

``format``
    ``"chop-ledger-bundle/1"``.
``certificates``
    PEM certificates: the head signer's, the TSA's, and the CA chain up to the platform root.
``head_signer``
    SHA-256 fingerprint of the certificate that signs the heads (the newest one).
``heads``
    Signed tree heads, by growing size, each with its RFC 3161 token and, when the log's
    certificate was renewed along the way, the fingerprint of its own ``signer``.
``consistency``
    ``{"first", "second", "proof"}`` between each two consecutive heads.
``records``
    ``{"index", "leaf", "leaf_hash", "tree_size", "proof"}``: the record as logged (its JSON),
    its position, and its inclusion proof against the head of ``tree_size``.

The check needs nothing but the bundle (and, to pin trust, the platform root): every record must
hash to its leaf and be included under a signed head; every head must be signed by a certificate
chaining to the root and carry a valid timestamp; consecutive heads must be consistent, so the
log was only ever appended to. A failure names the record or head and says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from .heads import (
    TreeHead,
    VerificationFailure,
    canonical_json,
    check_chain,
    check_signature,
    check_timestamp,
    fingerprint,
)
from .merkle import leaf_hash, verify_consistency, verify_inclusion

__all__ = ["BUNDLE_FORMAT", "Report", "leaf_hash_of", "record_entry", "verify_bundle"]

BUNDLE_FORMAT = "chop-ledger-bundle/1"


def leaf_hash_of(leaf: dict) -> bytes:
    """The leaf hash of a record's JSON: RFC 6962 leaf hash of its canonical bytes."""
    return leaf_hash(canonical_json(leaf))


def record_entry(
    index: int, leaf: dict, digest: bytes, tree_size: int, proof: Iterable[bytes]
) -> dict:
    return {
        "index": index,
        "leaf": leaf,
        "leaf_hash": digest.hex(),
        "tree_size": tree_size,
        "proof": [p.hex() for p in proof],
    }


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    records_ok: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def good(self, line: str) -> None:
        self.lines.append(f"OK    {line}")

    def bad(self, line: str) -> None:
        self.lines.append(f"FAIL  {line}")
        self.failures.append(line)


def _record_name(entry: dict) -> str:
    leaf = entry.get("leaf") or {}
    return f"record {leaf.get('id', '?')} (leaf {entry.get('index', '?')})"


def verify_bundle(
    bundle: dict[str, Any],
    trust: x509.Certificate | None = None,
    pdfs: Iterable[tuple[str, bytes]] = (),
) -> Report:
    """Check a bundle offline; ``trust`` pins the platform root (otherwise the bundle's own
    self-signed root is used, and its fingerprint reported so it can be compared)."""
    report = Report()
    if bundle.get("format") != BUNDLE_FORMAT:
        report.bad(f"not a ledger bundle (format {bundle.get('format')!r})")
        return report
    certs = [x509.load_pem_x509_certificate(p.encode()) for p in bundle.get("certificates", [])]
    by_fp = {fingerprint(c): c for c in certs}
    roots = [c for c in certs if c.issuer == c.subject]
    if trust is None:
        if len(roots) != 1:
            report.bad("the bundle names no single root certificate; pass --trust ROOT.pem")
            return report
        trust = roots[0]
        report.lines.append(
            f"NOTE  root taken from the bundle: {trust.subject.rfc4514_string()}, SHA-256 "
            f"{fingerprint(trust)} (pass --trust ROOT.pem to pin the platform root)"
        )
    else:
        report.lines.append(f"NOTE  trusted root: {trust.subject.rfc4514_string()}")
    others = [c for c in certs if c.issuer != c.subject]
    if not bundle.get("heads") and not bundle.get("records"):
        report.lines.append("NOTE  the bundle holds no tree head and no record: nothing to prove")
        return report
    default_signer = str(bundle.get("head_signer", ""))

    # ---------------------------------------------------------------- heads
    heads: dict[int, TreeHead] = {}
    times: dict[int, datetime] = {}
    previous: TreeHead | None = None
    for raw in bundle.get("heads", []):
        try:
            head = TreeHead.from_json(raw)
        except (KeyError, ValueError) as exc:
            report.bad(f"a tree head is malformed ({exc})")
            continue
        name = f"tree head of size {head.tree_size} at {raw.get('timestamp')}"
        signer = by_fp.get(str(raw.get("signer") or default_signer))
        if signer is None:
            report.bad(f"{name}: its signer's certificate is not in the bundle")
            continue
        try:
            check_signature(head, signer)
            check_chain(signer, others, trust, head.timestamp)
            tsa_time, tsa_cert = check_timestamp(head.tsa_token, head.to_sign(), others)
            check_chain(tsa_cert, others, trust, tsa_time)
        except VerificationFailure as exc:
            report.bad(f"{name}: {exc}")
            continue
        if previous is not None and head.tree_size < previous.tree_size:
            report.bad(f"{name}: smaller than the head before it (the log shrank)")
            continue
        heads[head.tree_size] = head
        times[head.tree_size] = tsa_time
        report.good(f"{name}: signed, timestamped by the TSA at {tsa_time:%Y-%m-%d %H:%M:%S} UTC")
        previous = head

    sizes = sorted(heads)
    consistent = True  # every step between the verified heads checks out
    proofs = {(p["first"], p["second"]): p["proof"] for p in bundle.get("consistency", [])}
    for first, second in zip(sizes, sizes[1:], strict=False):
        proof = proofs.get((first, second))
        if proof is None:
            consistent = False
            report.bad(f"heads {first} → {second}: no consistency proof in the bundle")
        elif verify_consistency(
            first,
            second,
            [bytes.fromhex(h) for h in proof],
            heads[first].root_hash,
            heads[second].root_hash,
        ):
            report.good(f"heads {first} → {second}: consistent (the log was only appended to)")
        else:
            consistent = False
            report.bad(f"heads {first} → {second}: NOT consistent: the log was rewritten")

    # ---------------------------------------------------------------- records
    signed_pdfs: dict[str, list[str]] = {}
    for entry in bundle.get("records", []):
        name = _record_name(entry)
        try:
            computed = leaf_hash_of(entry["leaf"])
            index, size = int(entry["index"]), int(entry["tree_size"])
            proof = [bytes.fromhex(h) for h in entry["proof"]]
        except (KeyError, TypeError, ValueError) as exc:
            report.bad(f"{name}: malformed entry ({exc})")
            continue
        if computed.hex() != entry.get("leaf_hash"):
            report.bad(f"{name}: its data does not hash to the leaf the log holds (altered)")
            continue
        proved = heads.get(size)
        if proved is None:
            report.bad(f"{name}: proved against a head of size {size} that is not verified here")
            continue
        if not verify_inclusion(index, size, computed, proof, proved.root_hash):
            report.bad(f"{name}: its inclusion proof fails against the head of size {size}")
            continue
        report.records_ok += 1
        signed = str(entry["leaf"].get("signed_sha256") or "")
        signed_pdfs.setdefault(signed, []).append(name)
        since = min((n for n in heads if n > index), default=size)
        when = f", in the log since {times[since]:%Y-%m-%d %H:%M:%S} UTC (head of size {since})"
        report.good(f"{name}: included in the head of size {size}{when if consistent else ''}")

    for label, data in pdfs:
        digest = hashlib.sha256(data).hexdigest()
        names = signed_pdfs.get(digest)
        if names:
            report.good(f"{label}: the signed PDF of {', '.join(names)}")
        else:
            report.bad(f"{label}: SHA-256 {digest} is the signed PDF of no verified record here")
    return report

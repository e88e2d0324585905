"""The stamping log that proves itself: an RFC 6962 Merkle tree, signed and timestamped tree
heads, inclusion and consistency proofs, and an offline bundle verifier.

Plain Python (no Django): the evidence app stores the tree's hashes and calls this engine; anyone
holding an exported bundle runs ``python -m chop.ledger verify BUNDLE`` without the platform.
"""

from .bundle import BUNDLE_FORMAT, Report, leaf_hash_of, record_entry, verify_bundle
from .heads import (
    TreeHead,
    VerificationFailure,
    canonical_json,
    check_chain,
    check_signature,
    check_timestamp,
    fingerprint,
    timestamp_request,
    token_from_response,
)
from .merkle import (
    EMPTY_ROOT,
    MemoryStore,
    ProofError,
    Store,
    Tree,
    leaf_hash,
    node_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "BUNDLE_FORMAT",
    "EMPTY_ROOT",
    "MemoryStore",
    "ProofError",
    "Report",
    "Store",
    "Tree",
    "TreeHead",
    "VerificationFailure",
    "canonical_json",
    "check_chain",
    "check_signature",
    "check_timestamp",
    "fingerprint",
    "leaf_hash",
    "leaf_hash_of",
    "node_hash",
    "record_entry",
    "root_from_leaves",
    "timestamp_request",
    "token_from_response",
    "verify_bundle",
    "verify_consistency",
    "verify_inclusion",
]

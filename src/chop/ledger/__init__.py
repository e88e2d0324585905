"""Chop's stamping-records log engine: an append-only Merkle tree in the manner of Certificate
Transparency (RFC 6962), with signed tree heads, inclusion and consistency proofs, and an offline
verifier of exported bundles. Plain Python (no Django)."""

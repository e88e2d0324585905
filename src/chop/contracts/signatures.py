"""The signatures in a contract's document, as the contract page lists them.

Each is checked with ``chop.pdfsign.verify`` against the platform root, so the page says what any
validator would: intact, valid, trusted, with its timestamp. A version never changes, so its
report is cached under the version's SHA-256 (Django's cache); a new signature is a new version
with a new fingerprint.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from .models import DocumentVersion, SigningAct

log = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600


def _cache_key(version: DocumentVersion) -> str:
    return f"chop:contract-signatures:v1:{version.sha256}"


def report(version: DocumentVersion) -> list[dict]:
    """Plain data per signature, oldest first (empty for an unsigned document)."""
    key = _cache_key(version)
    cached = cache.get(key)
    if cached is not None:
        return cached
    from chop import pdfsign as ps
    from chop.seals.issuance import platform_ca

    try:
        with version.file.open("rb") as fh:
            result = ps.verify(fh, [platform_ca().root_certificate])
    except Exception:  # the page must still show; the list says it could not be checked
        log.exception("could not verify version %s", version.pk)
        return [{"error": True}]
    acts = {
        a.field_name: a
        for a in SigningAct.objects.filter(contract_id=version.contract_id).select_related(
            "signer", "participant"
        )
    }
    rows = []
    for s in result.signatures:
        act = acts.get(s.field_name)
        ts = s.timestamp
        rows.append(
            {
                "field": s.field_name,
                "kind": s.kind,
                "signer": s.signer or "",
                "company": s.company or "",
                "party": act.participant.name if act else "",
                "person": act.signer.display_name if act else "",
                "time": (ts.time if ts and ts.time else s.signing_time),
                "tsa": ts.tsa if ts else "",
                "timestamped": bool(ts and ts.valid and ts.intact),
                "intact": s.intact,
                "valid": s.valid,
                "trusted": s.trusted,
                "ok": s.ok and s.trusted,
                "serial": s.certificate_serial or "",
                "changes_after": s.changes_after,
            }
        )
    cache.set(key, rows, CACHE_SECONDS)
    return rows

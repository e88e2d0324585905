"""The signatures in a contract's document, as the contract page lists them.

Each is checked with ``chop.pdfsign.verify`` against the platform root, so the page says what any
validator would: intact, valid, trusted, with its timestamp. A version never changes, so its
report is cached under the version's SHA-256 (Django's cache); a new signature is a new version
with a new fingerprint.

Each row also carries the provenance the signer signed into the signature (seal, authorisation,
intent: ``chop.contracts.provenance``), as read back from the PDF by the verifier — not from the
database — so the page shows what an offline verifier sees.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.cache import cache

from .models import DocumentVersion, SigningAct

log = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600


def _cache_key(version: DocumentVersion) -> str:
    return f"chop:contract-signatures:v2:{version.sha256}"


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
                # an auto-sign act has no person
                "person": act.signer.display_name if act and act.signer_id else "",
                "time": (ts.time if ts and ts.time else s.signing_time),
                "tsa": ts.tsa if ts else "",
                "timestamped": bool(ts and ts.valid and ts.intact),
                "intact": s.intact,
                "valid": s.valid,
                "trusted": s.trusted,
                "ok": s.ok and s.trusted,
                "serial": s.certificate_serial or "",
                "changes_after": s.changes_after,
                "provenance": signed_provenance(s.provenance),
            }
        )
    cache.set(key, rows, CACHE_SECONDS)
    return rows


def signed_provenance(data: Any) -> dict | None:
    """The facts of a signature's provenance, for display; None when it has none.

    The mapping comes from the PDF and may have been written by any signer, so nothing in it is
    trusted to have the right shape: unknown or ill-typed values become empty."""
    if not isinstance(data, dict):
        return None
    seal = _dict(data.get("seal"))
    auth = _dict(data.get("authorisation"))
    intent = _dict(data.get("intent"))
    by = [_text(_dict(p).get("name")) for p in auth.get("by") or [] if isinstance(p, dict)]
    auth_id = auth.get("id")
    return {
        "seal_code": _text(seal.get("code")),
        "seal_kind": _text(seal.get("kind")),
        "image_sha256": _text(seal.get("image_sha256")),
        "kind": _text(auth.get("kind")),
        "id": auth_id if isinstance(auth_id, int) and not isinstance(auth_id, bool) else None,
        "by": [b for b in by if b],
        "default": auth.get("default") is True,
        "at": _time(auth.get("at")),
        "intent_method": _text(intent.get("method")),
        "intent_at": _time(intent.get("at")),
    }


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)

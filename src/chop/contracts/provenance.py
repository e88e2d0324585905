"""What a stamp's signature carries about itself: seal, authorisation, intent (its provenance).

The signing act passes ``for_act(...)`` as ``SignOptions.provenance``; the PDF engine signs it
into the CMS (a signed attribute, see ``chop.pdfsign``'s README), so an offline verifier can trace
stamp → seal → authorisation without asking the platform, and altering it breaks the signature.
The same mapping is kept on the act (``SigningAct.provenance``).

Personal data is kept to what names the decision: a user's id and display name, never a phone
number or e-mail address (``display_name`` masks a login that would be one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from typing import Any

from chop.orgs.permissions import Allowed

__all__ = ["VERSION", "for_act", "seal_image_sha256"]

#: The layout of the mapping; a reader that knows v1 knows every key below.
VERSION = 1

_IMAGE_HASHES: OrderedDict[tuple[int, str, str], str] = OrderedDict()
_IMAGE_HASHES_MAX = 256
_IMAGE_HASHES_LOCK = threading.Lock()


def for_act(seal, allowed: Allowed, *, intent_method: str, intent_at: dt.datetime) -> dict:
    """The provenance of one stamp with ``seal``, allowed by ``allowed`` (from ``may_stamp``).

    ``authorisation.by`` names who made the authorisation: the granter of a grant (none for the
    default grant the platform made when the seal became active: ``default`` says so), the
    approvers who approved a use request, the owner who confirmed an auto-sign authorisation, the
    owner of a person's own seal. ``at`` is when: the grant was made, the request decided, the
    auto-sign confirmed (None for an own seal, which needs no authorisation). Times are ISO 8601
    UTC."""
    return {
        "v": VERSION,
        "platform": "Chop",
        "seal": {
            "code": seal.code,
            "kind": seal.kind,
            "image_sha256": seal_image_sha256(seal),
        },
        "authorisation": _authorisation(allowed),
        "intent": {"method": str(intent_method), "at": _iso(intent_at)},
    }


def _authorisation(allowed: Allowed) -> dict[str, Any]:
    kind, auth = allowed.kind, allowed.authorisation
    out: dict[str, Any] = {"kind": kind, "id": auth.pk}
    if kind == "grant":
        out["by"] = [_person(auth.granted_by)] if auth.granted_by_id else []
        out["at"] = _iso(auth.created_at)
        if auth.is_default:
            out["default"] = True  # the platform's grant to the company's stamping roles
    elif kind == "approval":
        out["by"] = [_person(d.approver) for d in auth.approved_by()]
        out["at"] = _iso(auth.decided_at)
    elif kind == "autosign":
        out["by"] = [_person(auth.confirmed_by)]
        out["at"] = _iso(auth.confirmed_at)
        out["confirmed_with"] = auth.confirm_method
    elif kind == "own":
        out["by"] = [_person(auth.owner)] if auth.owner_id else []
        out["at"] = None
    else:  # may_stamp names no other kind; refuse rather than sign in a guess
        raise ValueError(f"unknown authorisation kind {kind!r}")
    return out


def _person(user) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name}


def _iso(when: dt.datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seal_image_sha256(seal) -> str | None:
    """SHA-256 (hex) of the seal's stored image file, or None when it has none.

    Read once per seal version (pk, updated_at, file name): a seal's image changes only with a
    save, which moves ``updated_at``."""
    name = seal.image.name if seal.image else ""
    if not name:
        return None
    key = (seal.pk, str(seal.updated_at), name)
    with _IMAGE_HASHES_LOCK:
        if key in _IMAGE_HASHES:
            _IMAGE_HASHES.move_to_end(key)
            return _IMAGE_HASHES[key]
    h = hashlib.sha256()
    with seal.image.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _IMAGE_HASHES_LOCK:
        _IMAGE_HASHES[key] = digest
        while len(_IMAGE_HASHES) > _IMAGE_HASHES_MAX:
            _IMAGE_HASHES.popitem(last=False)
    return digest

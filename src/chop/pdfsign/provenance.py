"""Provenance signed into the signature: a signed CMS attribute holding canonical JSON.

A stamp's provenance (the seal, the authorisation that allowed it, how the signer's intent was
confirmed) is added to the SignerInfo's signed attributes, which the signer's key signs
directly. It therefore cannot be altered without breaking the signature, and it travels with
the CMS even when the signature is taken out of the PDF. Validators ignore signed attributes
they do not know (RFC 5652 §5.3), so pdfsig and pyHanko judge the signature exactly as before.
The README's "Provenance" section explains the choice.

The attribute is ``SEQUENCE { OID, SET { UTF8String } }``; the string is the mapping as
canonical JSON (UTF-8, keys sorted, no spaces, non-ASCII kept), so the same facts always give
the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from asn1crypto import core

from chop.der import tlv as _tlv

from .errors import PdfSignError

__all__ = ["OID", "MAX_BYTES", "canonical", "encode", "decode"]

#: A UUID-derived OID under ITU-T X.667's 2.25 arc: it needs no registration and collides with
#: nobody.
OID = "2.25.139456143839466797443699806020374255749"

#: The largest canonical JSON accepted. Provenance names a seal, an authorisation and a few
#: people; anything bigger is a mistake, and every byte is reserved twice (hex) in /Contents.
MAX_BYTES = 4096

_OID_DER = core.ObjectIdentifier(OID).dump()


def canonical(mapping: Mapping[str, Any]) -> bytes:
    """The mapping as canonical JSON bytes (refused when not JSON or larger than MAX_BYTES)."""
    if not isinstance(mapping, Mapping):
        raise PdfSignError(
            "the provenance must be a JSON object",
            code="provenance_not_json",
            detail="not a mapping",
        )
    try:
        text = json.dumps(
            dict(mapping),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError) as exc:
        raise PdfSignError(
            f"the provenance cannot be written as JSON ({exc})",
            code="provenance_not_json",
            detail=str(exc),
        ) from exc
    data = text.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise PdfSignError(
            f"the provenance is {len(data)} bytes; at most {MAX_BYTES} fit in a signature",
            code="provenance_too_large",
            size=len(data),
            limit=MAX_BYTES,
        )
    return data


def encode(mapping: Mapping[str, Any]) -> bytes:
    """The DER of the signed attribute carrying ``mapping``."""
    value = core.UTF8String(canonical(mapping).decode("utf-8")).dump()
    return _tlv(0x30, _OID_DER + _tlv(0x31, value))


def decode(signed_attrs: Any) -> dict[str, Any] | None:
    """The provenance in ``signed_attrs`` (asn1crypto ``CMSAttributes``, or its DER as a SET OF
    or in the SignerInfo's ``[0]`` form), or None when the signature carries none.

    Raises ``ValueError`` when the attribute is there but is not one JSON object.
    """
    if signed_attrs is None:
        return None
    if isinstance(signed_attrs, (bytes, bytearray)):
        from asn1crypto import cms

        der = bytes(signed_attrs)
        if der[:1] == b"\xa0":  # as stored in a SignerInfo ([0] IMPLICIT); signed as a SET OF
            der = b"\x31" + der[1:]
        signed_attrs = cms.CMSAttributes.load(der)
    for attr in signed_attrs:
        if attr["type"].dotted != OID:
            continue
        values = list(attr["values"])
        if len(values) != 1:
            raise ValueError("the provenance attribute must hold exactly one value")
        text = core.UTF8String.load(values[0].dump()).native
        result = json.loads(text)
        if not isinstance(result, dict):
            raise ValueError("the provenance is not a JSON object")
        return result
    return None

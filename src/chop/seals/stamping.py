"""Stamping a PDF with a seal: how the seal looks to the engine, and one PAdES signature with the
seal's certificate.

Both the contract signing act and the auto-sign authorisation letter stamp a seal and sign with
the certificate behind it: the platform CA holds the key (``issuance.platform_ca``) and the
platform's timestamp authority (or ``CHOP_TSA_URL``) stamps the time, at PAdES B-T. They differ in
the marks, the field, the reason and the provenance, which the caller gives.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings

from chop import pdfsign as ps
from chop.pdfsign.marks import Mark

from .models import Seal

log = logging.getLogger(__name__)

LEVEL = "B-T"

_appearances: dict[tuple[int, str], ps.SealAppearance] = {}
_appearances_lock = threading.Lock()


def appearance(seal: Seal) -> ps.SealAppearance:
    """The seal as the engine draws it: vector from its drawing spec when it has one, else its
    image at its physical size. Cached per seal and its last change."""
    key = (seal.pk, seal.updated_at.isoformat() if seal.updated_at else "")
    with _appearances_lock:
        cached = _appearances.get(key)
    if cached is not None:
        return cached
    made = _make_appearance(seal)
    with _appearances_lock:
        if len(_appearances) > 256:
            _appearances.clear()
        _appearances[key] = made
    return made


def _make_appearance(seal: Seal) -> ps.SealAppearance:
    from PIL import Image

    from . import exports

    spec = exports.spec_of(seal)
    if spec is not None:
        try:
            from chop.sealart import render

            return ps.SealAppearance.from_drawing(render(spec))
        except Exception:  # a stored spec that no longer draws: use the image
            log.warning("seal %s: drawing spec does not render; stamping its image", seal.pk)
    with seal.image.open("rb") as fh:
        png = fh.read()
    with Image.open(io.BytesIO(png)) as img:
        w_mm, h_mm = exports.physical_size_mm(seal, img)
    return ps.SealAppearance.from_png(png, w_mm, h_mm)


def sign_with(
    seal: Seal,
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    marks: Sequence[Mark],
    field_name: str,
    reason: str,
    provenance: Mapping[str, Any] | None = None,
) -> ps.SignResult:
    """Stamp ``marks`` on ``source`` and sign it with ``seal``'s certificate into ``output``
    (PAdES B-T). Raises ``chop.pdfsign.PdfSignError`` when the engine refuses the document."""
    from chop.pki.tsa import timestamper_for

    from .issuance import platform_ca

    ca = platform_ca()
    return ps.sign(
        source,
        output,
        signer=ca.signer(int(seal.certificate.serial)),
        marks=marks,
        options=ps.SignOptions(
            timestamper=timestamper_for(settings.CHOP_TSA_URL or None, ca),
            level=LEVEL,
            field_name=field_name,
            reason=reason[:200],
            provenance=provenance,
        ),
    )

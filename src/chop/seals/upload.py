"""Local upload of a stamped impression (本地上传): photo in, pending seal out, ink extracted later.

The request only checks and stores: one transaction creates the ``Seal`` (origin *uploaded*,
state *pending review*, the re-encoded photo as ``source_image``, the company certificate) and
the audit event ``seal.uploaded``; the extraction (0.4–1.5 s for a phone photo) runs in a
background task enqueued once that transaction has committed, so no request waits for it and
a rolled-back upload never starts one.

The task (:func:`run_extraction`) reads the photo with no transaction open, then writes its
result under a row lock, and only if the seal is still pending with no image: a task run twice,
or late after the seal was revoked, changes nothing. Success stores the transparent PNG as the
seal's ``image`` (the seal then waits for an operator, ``review.py``); a refusal (``no_ink`` …)
revokes the seal with the explained reason, kept on the row like any rejected upload.

While ``image`` is empty a pending uploaded seal is "extracting"; with an image it is "waiting
for review". No extra state field is needed for that.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from chop.audit.events import record
from chop.uploads import PNG, random_name

from . import lifecycle
from .models import Certificate, Seal

log = logging.getLogger(__name__)

# kinds a company may upload an impression of (legal-representative and personal seals belong to
# a person, foreign-invested ovals are made online)
UPLOAD_KINDS = (
    Seal.Kind.OFFICIAL,
    Seal.Kind.CONTRACT,
    Seal.Kind.FINANCE,
    Seal.Kind.HR,
    Seal.Kind.INVOICE,
    Seal.Kind.CUSTOM,
)
COLORS = ("red", "blue")
# uploads of one company waiting for extraction or review at once: each costs an operator's time
# and a second of a worker, so a keeper cannot flood the queue
MAX_WAITING = 10
# markers of another file hidden after the image's own end (an HTML page, a script, an archive,
# a PDF): such a polyglot is refused outright rather than silently cut off by re-encoding
_POLYGLOT_MARKERS = (
    b"<html",
    b"<!doctype",
    b"<script",
    b"<svg",
    b"<body",
    b"<iframe",
    b"<?php",
    b"<?xml",
    b"pk\x03\x04",
    b"%pdf",
)


class UploadRefused(Exception):
    """The upload cannot start (no company certificate yet); ``message`` is for the user."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def appended_payload(data: bytes) -> bool:
    """Whether ``data`` (a PNG, JPEG or WebP file) carries another file after the image's end.

    The end is found by walking the format (PNG chunks up to IEND, JPEG segments and entropy-
    coded data up to EOI, WebP's RIFF length), so an ``IEND`` or ``FFD9`` written inside the
    appended file cannot hide it. For PNG and WebP anything after the end counts. Phones append
    harmless trailers to JPEGs (motion photos put a video there), so for JPEG only a trailer
    that looks like markup, a script, an archive, a PDF or a program counts. An image whose end
    cannot be found is left to the decoder, which refuses it as unreadable.
    """
    end = _image_end(data)
    if end is None:
        return False
    tail = data[end:]
    if not tail.strip(b"\x00\r\n\t "):
        return False
    if data.startswith(b"\xff\xd8"):
        low = tail.lower()
        return any(m in low for m in _POLYGLOT_MARKERS) or low.lstrip().startswith(b"mz")
    return True


def _image_end(data: bytes) -> int | None:
    """Offset just after the image's own last byte, or ``None`` if the structure is broken."""
    n = len(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        i = 8
        while i + 12 <= n:
            length = int.from_bytes(data[i : i + 4], "big")
            kind = data[i + 4 : i + 8]
            i += 12 + length
            if kind == b"IEND":
                return i if i <= n else None
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return int.from_bytes(data[4:8], "little") + 8
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 2 <= n:
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker == 0xD9:
                return i + 2
            if marker == 0xFF:  # fill byte
                i += 1
                continue
            if 0xD0 <= marker <= 0xD7 or marker == 0x01:
                i += 2
                continue
            if i + 4 > n:
                return None
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            i += 2 + length
            if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
                while i + 1 < n:
                    if data[i] == 0xFF and data[i + 1] != 0 and not 0xD0 <= data[i + 1] <= 0xD7:
                        break
                    i += 1
        return None
    return None


def company_certificate(company) -> Certificate | None:
    """The company's valid certificate, which an uploaded seal signs with once approved."""
    return (
        Certificate.objects.filter(company=company, user__isnull=True, status="active")
        .order_by("-created_at")
        .first()
    )


def start_upload(
    *,
    company,
    by,
    kind: str,
    name: str,
    color: str,
    straighten: bool,
    photo: ContentFile,
    purpose: str = "",
    request=None,
) -> Seal:
    """Create the pending seal with its photo and queue the extraction; return the seal.

    ``photo`` is the checked, re-encoded file from ``chop.uploads`` (random name). Everything is
    written in one transaction; if it fails, the photo already written to storage is deleted,
    so nothing half-written stays behind. The extraction task is enqueued after the commit.
    """
    cert = company_certificate(company)
    if cert is None:
        raise UploadRefused(
            _(
                "The company has no valid certificate yet; it is issued when the company is verified."
            )
        )
    seal = Seal(
        company=company,
        kind=kind,
        name=name,
        origin=Seal.Origin.UPLOADED,
        status=Seal.Status.PENDING,
        certificate=cert,
        created_by=by,
        spec={
            "upload": {
                "color": color,
                "straighten": bool(straighten),
                **({"purpose": purpose} if purpose else {}),
            }
        },
    )
    try:
        with transaction.atomic():
            # the company row lock serialises its uploads, so the cap holds under concurrency
            type(company).objects.select_for_update().filter(pk=company.pk).first()
            waiting = Seal.objects.filter(
                company=company, origin=Seal.Origin.UPLOADED, status=Seal.Status.PENDING
            ).count()
            if waiting >= MAX_WAITING:
                raise UploadRefused(
                    _(
                        "%(n)d uploaded seals are already waiting for review; upload more once "
                        "the operator has decided on them."
                    )
                    % {"n": waiting}
                )
            seal.source_image.save(photo.name, photo, save=False)
            seal.save()
            record(
                "seal.uploaded",
                request=request,
                actor=by,
                company=company,
                obj=seal,
                kind=seal.kind,
                code=seal.code,
                color=color,
                straighten=bool(straighten),
            )
            transaction.on_commit(partial(_enqueue, seal.pk), robust=True)
    except BaseException:
        if seal.source_image:
            seal.source_image.delete(save=False)
        raise
    return seal


def _enqueue(seal_id: int) -> None:
    from .tasks import extract_uploaded_seal

    try:
        extract_uploaded_seal.enqueue(seal_id)
    except Exception:
        log.exception("could not enqueue the extraction of seal %s", seal_id)


def is_extracting(seal: Seal) -> bool:
    return (
        seal.origin == Seal.Origin.UPLOADED
        and seal.status == Seal.Status.PENDING
        and not seal.image
    )


def failure_code(seal: Seal) -> str | None:
    """The extraction refusal code kept on a seal whose extraction failed, else ``None``."""
    return ((seal.spec or {}).get("upload") or {}).get("error")


def run_extraction(seal_id: int) -> str:
    """Extract the ink of an uploaded seal's photo and store the result; returns what happened
    ("extracted", "failed:<code>", or "skipped" when the seal no longer waits for it)."""
    from chop.sealart import InkExtractError, extract_ink

    seal = Seal.objects.filter(pk=seal_id).first()
    if seal is None or not is_extracting(seal) or not seal.source_image:
        return "skipped"
    options = (seal.spec or {}).get("upload") or {}
    try:
        with seal.source_image.open("rb") as fh:
            data = fh.read()
        result = extract_ink(
            data,
            color=options.get("color", "red"),
            straighten=bool(options.get("straighten")),
        )
    except InkExtractError as err:
        return _fail(seal_id, err.code, err)
    except Exception:
        log.exception("extraction of seal %s failed", seal_id)
        return _fail(seal_id, "extract_failed", None)

    png = ContentFile(result.png, name=random_name(PNG))
    with transaction.atomic():
        current = Seal.objects.select_for_update().get(pk=seal_id)
        if not is_extracting(current):
            return "skipped"
        current.image.save(png.name, png, save=False)
        current.spec = {
            **(current.spec or {}),
            "upload": {
                **options,
                "box": [int(v) for v in result.box],
                "size": [int(v) for v in result.size],
            },
        }
        try:
            current.save()
            record(
                "seal.extracted",
                actor=None,
                company=current.company,
                obj=current,
                kind=current.kind,
                code=current.code,
                size=f"{result.size[0]}x{result.size[1]}",
            )
        except BaseException:
            current.image.delete(save=False)
            raise
    return "extracted"


def _fail(seal_id: int, code: str, err) -> str:
    """Revoke the seal with the explained refusal (in the site's language on the row; pages
    explain the kept code in the reader's own language)."""
    with transaction.atomic():
        current = Seal.objects.select_for_update().get(pk=seal_id)
        if not is_extracting(current):
            return "skipped"
        with translation.override(settings.LANGUAGE_CODE):
            reason = str(explain_failure(code, err))
        options = (current.spec or {}).get("upload") or {}
        current.spec = {**(current.spec or {}), "upload": {**options, "error": code}}
        lifecycle.write_state(current, Seal.Status.REVOKED, reason[:300], timezone.now())
        lifecycle.record_change(
            "seal.extraction_failed",
            current,
            None,
            None,
            error=code,
            reason=current.status_reason,
        )
    return f"failed:{code}"


def explain_failure(code: str, err=None) -> str:
    """The reader's-language text for an extraction refusal code."""
    from chop.explain import explain
    from chop.sealart import InkExtractError

    if code == "extract_failed":
        return str(_("The photo could not be processed. Upload it again, or another photo."))
    if err is None:
        err = InkExtractError("", code=code, color="", limit_mb=20, limit_mp=40)
    return explain(err)

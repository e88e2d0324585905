"""What the public verification page (验签) says about an uploaded PDF.

Anyone may upload any PDF, signed on Chop or elsewhere; the page checks every signature with
``chop.pdfsign.verify`` against the platform root, as any validator would, and says per signature
who signed (certificate subject), which seal and authorisation the signer signed in (provenance,
read from the PDF, not from the database), when (signing time and TSA time), whether it is intact,
valid and trusted, its PAdES level and what changed after it.

The file is never kept: it is checked from Django's upload (in memory, or its temporary file) or
from a copy in a temporary directory, and both are gone when :func:`check_upload` returns, however
it returns. The same upload rules hold as for contracts (PRODUCT.md §7): size before anything
parses the file, the type from its first bytes, nothing encrypted or active (``chop.uploads``).

Only the file's SHA-256 leaves this module. It also tells whether the file is a version of a
contract on Chop; the page then says so by its version number alone (no title, no party), and only
someone holding that contract's verification code (合同验证码) is shown the way to its evidence.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from chop import uploads
from chop.contracts import documents
from chop.contracts.models import Contract, DocumentVersion, StampRecord
from chop.contracts.signatures import signed_provenance
from chop.contracts.templatetags.contract_signing import label_provenance
from chop.explain import explain
from chop.pdfsign import PdfSignError

from .models import VerificationCode

log = logging.getLogger(__name__)


class Refused(Exception):
    """The upload cannot be checked; ``message`` says why, for the person who uploaded it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Known:
    """The uploaded file is version ``number`` of ``contract`` (never shown without the code)."""

    contract_id: int
    number: int


@dataclass
class Result:
    sha256: str
    verdict: str  # valid, valid-untrusted, invalid, unsigned
    rows: list[dict[str, Any]] = field(default_factory=list)
    known: Known | None = None

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.verdict)


def verdict_label(verdict: str) -> str:
    return {
        "valid": _("Valid: every signature is intact, valid and trusted"),
        "valid-untrusted": _(
            "Valid, but not trusted: every signature is intact and valid, but not every "
            "certificate chains to the Chop root"
        ),
        "invalid": _("Invalid: at least one signature fails, or the document was changed"),
        "unsigned": _("Not signed: this PDF has no signatures"),
    }.get(verdict, verdict)


def check_upload(upload) -> Result:
    """Verify ``upload`` (a Django uploaded file); raise :class:`Refused` with a clear message.

    The upload's own temporary file (a large one) is closed, which deletes it, before returning.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="chop-verify-") as work:
            try:
                path = documents.local_copy(upload, Path(work))
            except documents.UploadRefused as exc:
                raise Refused(exc.message, exc.code) from None
            return check_path(path)
    finally:
        try:
            upload.close()
        except Exception:  # pragma: no cover - closing a spent upload never matters
            log.debug("could not close the upload", exc_info=True)


def check_path(path: Path) -> Result:
    """The checks and the verification of a PDF on disk (read on demand, never loaded whole by
    the upload checks)."""
    from chop import pdfsign as ps
    from chop.seals.issuance import platform_ca

    with open(path, "rb") as fh:
        head = fh.read(16)
    if uploads.detect(head) is not uploads.PDF:
        raise Refused(_("This file is not a PDF. Upload the signed PDF itself."), "type")
    try:
        uploads.check_pdf_file(path, max_pages=documents.max_pages())
    except ValidationError as exc:
        raise Refused(" ".join(exc.messages), exc.code or "invalid_pdf") from None
    try:
        report = ps.verify(path, [platform_ca().root_certificate])
    except PdfSignError as exc:
        raise Refused(explain(exc), exc.code) from None
    sha256 = report.sha256 or documents.file_sha256(path)[0]
    return Result(
        sha256=sha256,
        verdict=report.verdict,
        rows=[_row(s) for s in report.signatures],
        known=known_document(sha256),
    )


def _row(s) -> dict[str, Any]:
    ts = s.timestamp
    prov = signed_provenance(s.provenance)
    return {
        "field": s.field_name,
        "is_timestamp": s.kind == "document-timestamp",
        "signer": s.signer or "",
        "company": s.company or "",
        "subject": s.subject or "",
        "issuer": s.issuer or "",
        "serial": s.certificate_serial or "",
        "signing_time": s.signing_time,
        "tsa_time": ts.time if ts else None,
        "tsa": (ts.tsa or "") if ts else "",
        "tsa_ok": bool(ts and ts.intact and ts.valid),
        "intact": s.intact,
        "valid": s.valid,
        "trusted": s.trusted,
        "ok": s.ok,
        "chain": chain_label(s.chain_status, checked=s.intact and s.valid),
        "pades": s.pades_level or "",
        "changes_after": changes_label(s.changes_after, s.later_signatures),
        # something other than later signatures and validation data came after it
        "changed": s.modification_level == "other"
        or s.changes_after == "later revisions"
        or s.changes_after.startswith(("modified", "later changes")),
        "problems": [problem_label(p) for p in s.problems],
        "provenance": label_provenance(prov) if prov else None,
    }


def chain_label(status: str, *, checked: bool = True) -> str:
    """Whether the certificate chains to the platform root. pyHanko names many ways of not
    chaining (no path, constraints failed, ...); to a visitor they all mean "not ours". When the
    signature itself is broken the chain was not what failed, so nothing is said about it."""
    if not checked:
        return ""
    return {
        "trusted": _("chains to the Chop root"),
        "revoked": _("revoked"),
        "expired": _("expired"),
    }.get(status) or _("does not chain to the Chop root")


def changes_label(changes: str, later: list[str]) -> str:
    """The engine's plain words on what happened after a signature, in the page's language."""
    if changes == "nothing":
        return pgettext("changes after a signature", "Nothing: it covers the whole file")
    if changes == "validation data and timestamps only":
        return _("Only validation data and timestamps were added")
    if changes.startswith("later signatures"):
        return _("Only later signatures (%(fields)s) and their seal marks were added") % {
            "fields": "、".join(later) or "—"
        }
    if changes == "later revisions":
        return _("Later revisions were added that no signature covers")
    if changes.startswith("modified after signing"):
        return _("Changed after signing in a way that no signing act explains")
    if changes.startswith("later changes"):
        return _("Changed after signing (%(level)s)") % {"level": changes.rsplit(" ", 1)[-1]}
    return changes


def problem_label(problem: str) -> str:
    labels = {
        "the document was changed inside the signed bytes": _(
            "The document was changed inside the bytes this signature covers."
        ),
        "the signature value does not match the signer's certificate": _(
            "The signature value does not match the signer's certificate."
        ),
        "the signer's certificate has been revoked": _(
            "The signer's certificate has been revoked."
        ),
        "the document was modified after this signature": _(
            "The document was modified after this signature."
        ),
        "changes after this certification signature are not permitted": _(
            "Changes after this certification signature are not permitted."
        ),
        "the signature does not cover the whole revision": _(
            "The signature does not cover the whole revision."
        ),
        "the signature timestamp is invalid": _("The signature's timestamp is invalid."),
    }
    return labels.get(problem, problem)


def known_document(sha256: str) -> Known | None:
    """The contract version whose file is exactly these bytes, if any (a stamping record's
    signed document is such a version too; it is asked in case the version was written later)."""
    version = (
        DocumentVersion.objects.filter(sha256=sha256)
        .order_by("pk")
        .values_list("contract_id", "number")
        .first()
    )
    if version is not None:
        return Known(*version)
    rec = (
        StampRecord.objects.filter(signed_sha256=sha256)
        .order_by("pk")
        .values_list("contract_id", flat=True)
        .first()
    )
    if rec is None:
        return None
    number = (
        DocumentVersion.objects.filter(contract_id=rec, sha256=sha256)
        .values_list("number", flat=True)
        .first()
    )
    return Known(rec, number or 0)


def contract_for_code(code: str) -> Contract | None:
    """The contract a verification code belongs to (codes are compared as typed, upper-cased,
    without spaces), or None."""
    code = normalise_code(code)
    if not code:
        return None
    found = VerificationCode.objects.select_related("contract").filter(code=code).first()
    return found.contract if found is not None else None


def normalise_code(code: str | None) -> str:
    return "".join((code or "").split()).upper()[:16]

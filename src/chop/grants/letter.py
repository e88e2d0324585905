"""The auto-sign authorisation letter (静默签授权书): a PDF that says, in words a clerk reads, what
the owner authorised, signed with the company certificate.

Made by the ``make_autosign_letter`` task after the owner confirmed with a code:

1. a Django template renders the letter as HTML (Chinese, with English labels). It lives in
   ``grants/documents/``, not among the page templates: it is a document for LibreOffice, with
   its own ``<style>``, never served to a browser (whose CSP forbids inline styles);
2. LibreOffice (``chop.office``) opens it as a Writer document and exports an A4 PDF;
3. the company's active official seal is stamped on the signature line 授权单位（盖章） and the
   PDF is signed with its certificate, PAdES B-T, through ``chop.pdfsign.sign`` (the platform
   CA signs for the certificate, the platform's timestamper stamps the time), as a contract
   act is signed. Without an active official seal, the authorised seal itself signs, and the
   letter says so;
4. the file is stored, and one conditional UPDATE (``letter_signed_at IS NULL``) records it, so
   a task that runs twice never signs twice: the loser deletes its file again.

The authorisation works only from step 4 on (``AutoSignAuthorisation.state_at``).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.template import engines
from django.utils import timezone, translation

from chop import office
from chop import pdfsign as ps
from chop.seals import stamping
from chop.seals.models import Seal
from chop.seals.stamping import appearance

from .models import AutoSignAuthorisation

log = logging.getLogger(__name__)

LETTER_TEMPLATE = Path(__file__).parent / "documents" / "autosign_letter.html"
SIGNATURE_LINE = "授权单位（盖章）"
FIELD_NAME = "chop-autosign-letter"


class LetterError(Exception):
    """The letter could not be made or signed; ``code`` says at which step."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Signing:
    """The seal whose certificate signs the letter, and whether it is the fallback (the
    authorised seal itself, when the company has no active official seal)."""

    seal: Seal
    fallback: bool


def signing_seal(auth: AutoSignAuthorisation) -> Signing:
    from chop.seals.issuance import active_official_seal

    official = active_official_seal(auth.company)
    if official is not None and official.usable_for_stamping:
        return Signing(official, False)
    return Signing(auth.seal, True)


def render_html(auth: AutoSignAuthorisation, signing: Signing) -> str:
    """The letter as HTML for LibreOffice's Writer import: simple markup (tables with border
    attributes, no CSS layout), which Writer reads faithfully."""
    local = timezone.localtime
    template = engines["django"].from_string(LETTER_TEMPLATE.read_text(encoding="utf-8"))
    with translation.override("zh-hans"):
        return template.render(
            {
                "auth": auth,
                "company": auth.company,
                "seal": auth.seal,
                "kind": auth.seal.get_kind_display(),
                "types": "、".join(auth.contract_types),
                "starts": local(auth.starts_at),
                "ends": local(auth.ends_at),
                "confirmed": local(auth.confirmed_at),
                "method": "短信验证码 / SMS code"
                if auth.confirm_method == "sms"
                else "电子邮件验证码 / e-mail code",
                "signing": signing,
                "today": timezone.localdate(),
            },
        )


def build(auth: AutoSignAuthorisation, work: Path) -> tuple[Path, Signing]:
    """Render, convert and sign the letter in ``work``; return the signed PDF's path."""
    signing = signing_seal(auth)
    cert = signing.seal.certificate
    if not signing.seal.usable_for_stamping or cert is None:
        raise LetterError("no_seal", "neither the official seal nor the authorised seal is usable")
    try:
        plain = office.html_to_pdf(render_html(auth, signing), work / "letter.pdf")
    except office.OfficeError as exc:
        raise LetterError(f"office.{exc.code}") from None

    signed = work / "signed.pdf"
    try:
        stamping.sign_with(
            signing.seal,
            plain,
            signed,
            marks=[ps.KeywordMark(appearance(signing.seal), SIGNATURE_LINE, dx_mm=30.0)],
            field_name=FIELD_NAME,
            reason="静默签授权书 / Auto-sign authorisation letter",
        )
    except ps.PdfSignError as exc:
        raise LetterError(f"engine.{exc.code}", str(exc)) from None
    return signed, signing


def make(auth_id: int) -> bool:
    """Make, sign and store the letter of authorisation ``auth_id``; True if this call stored
    it. Nothing to do (already signed, revoked, gone) returns False; a failure raises
    :class:`LetterError` and leaves the authorisation as it was ("preparing")."""
    auth = (
        AutoSignAuthorisation.objects.select_related("company", "seal__certificate", "confirmed_by")
        .filter(pk=auth_id)
        .first()
    )
    if auth is None or auth.letter_signed_at is not None or auth.revoked_at is not None:
        return False
    with tempfile.TemporaryDirectory(prefix="chop-letter-") as tmp:
        signed, signing = build(auth, Path(tmp))
        data = signed.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    field = AutoSignAuthorisation._meta.get_field("letter")
    name = field.generate_filename(auth, f"autosign-{auth.pk}.pdf")
    stored = field.storage.save(name, ContentFile(data))
    # the letter's state and its audit event commit together (a run killed between them would
    # leave a signed letter without its event, and the retried run would find nothing to do)
    with transaction.atomic():
        won = AutoSignAuthorisation.objects.filter(
            pk=auth.pk, letter_signed_at__isnull=True, revoked_at__isnull=True
        ).update(letter=stored, letter_sha256=sha256, letter_signed_at=timezone.now())
        if won:
            from chop.audit.events import record

            record(
                "autosign.letter_signed",
                actor=None,
                company=auth.company,
                obj=auth,
                seal=auth.seal.code,
                signed_with=signing.seal.code,
                fallback=signing.fallback,
                sha256=sha256,
            )
    if not won:  # another run stored one first, or the owner revoked meanwhile
        field.storage.delete(stored)
        return False
    return True

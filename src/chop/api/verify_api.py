"""``POST /verify``: check a signed PDF as the public verification page (验签) does (scope
``records``).

The file goes through ``evidence.verifying.check_upload``: the same upload rules (size, type
from the first bytes, nothing encrypted or active), every signature checked against the
platform root, and the file never kept. The answer says what the page says: the verdict, each
signature, and whether the file is a version of a contract on Chop — by its version number; the
contract's id only when the caller's company initiated it or is one of its company parties.
The key's own rate limit bounds how many files a caller checks.
"""

from __future__ import annotations

from django.db.models import Q
from ninja import File, Router
from ninja.files import UploadedFile

from chop.contracts.models import Contract
from chop.evidence import verifying

from .auth import need
from .problems import ApiProblem
from .schemas import ProblemOut
from .schemas_misc import KnownDocumentOut, VerifiedSignatureOut, VerifyOut

router = Router()

# verifying.Refused codes that are not "unprocessable": the file is too big, or not a PDF; the
# problem's code is ``upload.<code>``, as for a contract's upload (the same rules refuse both)
STATUS = {"too_big": 413, "type": 415}


def _known(request, known: verifying.Known | None) -> KnownDocumentOut | None:
    if known is None:
        return None
    ours = (
        Contract.objects.filter(pk=known.contract_id)
        .filter(
            Q(company=request.company)
            | Q(
                participants__kind="company",
                participants__company=request.company,
                sent_at__isnull=False,
            )
        )
        .exists()
    )
    return KnownDocumentOut(version=known.number, contract_id=known.contract_id if ours else None)


@router.post(
    "",
    response={
        200: VerifyOut,
        400: ProblemOut,
        401: ProblemOut,
        403: ProblemOut,
        413: ProblemOut,
        415: ProblemOut,
        422: ProblemOut,
        429: ProblemOut,
    },
    summary="Verify a signed PDF",
    description=(
        "Upload a PDF (multipart field `file`) signed on Chop or elsewhere; every signature is "
        "checked against the Chop root. `verdict` is `valid` (every signature intact, valid "
        "and trusted), `valid-untrusted`, `invalid` or `unsigned`; `signatures` lists each "
        "one (signer, certificate, signing and TSA time, PAdES level, what changed after it, "
        "the seal and authorisation it was made with). `known` is set when the file is exactly "
        "a version of a contract on Chop (`contract_id` only for your company's contracts). "
        "The file is not kept. Too big: 413; not a PDF: 415; an unreadable, encrypted or "
        "active PDF: 422. Scope `records`."
    ),
)
def verify(request, file: File[UploadedFile]):
    need(request, "records")
    try:
        result = verifying.check_upload(file)
    except verifying.Refused as exc:
        raise ApiProblem(STATUS.get(exc.code, 422), f"upload.{exc.code}", exc.message) from None
    return VerifyOut(
        sha256=result.sha256,
        verdict=result.verdict,
        verdict_label=str(result.verdict_label),
        signatures=[VerifiedSignatureOut(**row) for row in result.rows],
        known=_known(request, result.known),
    )

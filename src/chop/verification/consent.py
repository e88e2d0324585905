"""The legal representative's seal, issued only with the representative's own consent.

A company's verification names its legal representative (name and ID number). That alone never
issues anything to a person: anyone can type someone else's ID number into an application. The
legal-representative seal and the person certificate behind it are issued for a company only when

- the company is verified, and its application names this person (verified name and ID hash),
- the person is a member of the company, and
- they confirm, on a page in that company, with a one-time code sent to the mobile number their
  own verification confirmed.

The consent is kept as verification evidence on the company's case and as an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.orgs.models import Company, Membership

from . import pii
from .models import CompanyVerification, Evidence, PersonVerification
from .services.errors import VerificationError
from .services.steps import decision_transaction
from .states import State

OTP_PURPOSE = "confirm"


def approved_case(company: Company) -> CompanyVerification | None:
    """The approved verification that made the company verified (it names the legal rep)."""
    return (
        CompanyVerification.objects.filter(company=company, state=State.APPROVED)
        .order_by("-decided_at", "-pk")
        .first()
    )


@dataclass
class LegalRepStatus:
    """Where a verified company stands with its legal representative's seal."""

    company: Company
    case: CompanyVerification
    person: PersonVerification | None  # the verified person with the named ID number, if any
    issued: bool
    is_member: bool

    @property
    def name_matches(self) -> bool:
        return self.person is not None and self.person.name == self.case.legal_rep_name

    @property
    def waiting(self) -> bool:
        """Nothing issued yet: the seal waits for the legal representative to confirm."""
        return not self.issued

    def may_confirm(self, user) -> bool:
        """``user`` is the named, verified legal representative and a member: they may consent."""
        return (
            not self.issued
            and self.person is not None
            and self.person.applicant_id == user.pk
            and self.name_matches
            and self.is_member
        )


def status(company: Company | None) -> LegalRepStatus | None:
    """The legal-representative seal's status for a verified company; None otherwise."""
    if company is None or company.status != Company.Status.VERIFIED:
        return None
    case = approved_case(company)
    if case is None:
        return None
    from chop.seals.models import Seal

    person = (
        PersonVerification.objects.filter(
            state=State.APPROVED, id_number_hash=case.legal_rep_id_hash
        )
        .select_related("applicant")
        .first()
    )
    issued = Seal.objects.filter(
        company=company, kind=Seal.Kind.LEGAL_REP, status=Seal.Status.ACTIVE
    ).exists()
    is_member = (
        person is not None
        and Membership.objects.filter(company=company, user_id=person.applicant_id).exists()
    )
    return LegalRepStatus(company, case, person, issued, is_member)


def companies_waiting_for(user) -> list[Company]:
    """Verified companies, of which ``user`` is a member, whose application names ``user``'s
    verified name and ID number and whose legal-representative seal is not issued yet."""
    from chop.seals.models import Seal

    mine = PersonVerification.objects.filter(applicant=user, state=State.APPROVED).first()
    if mine is None:
        return []
    cases = CompanyVerification.objects.filter(
        state=State.APPROVED,
        legal_rep_id_hash=mine.id_number_hash,
        legal_rep_name=mine.name,
        company__status=Company.Status.VERIFIED,
        company__memberships__user=user,
    ).select_related("company")
    issued = set(
        Seal.objects.filter(
            kind=Seal.Kind.LEGAL_REP,
            status=Seal.Status.ACTIVE,
            company__in=[c.company_id for c in cases],
        ).values_list("company_id", flat=True)
    )
    return sorted({c.company for c in cases if c.company_id not in issued}, key=lambda c: c.name)


def _eligible(company: Company, user) -> LegalRepStatus:
    """The status if ``user`` may consent for ``company``; else a VerificationError saying why."""
    st = status(company)
    if st is None:
        raise VerificationError(_("The company is not verified yet."))
    if st.issued:
        raise VerificationError(_("The legal representative's seal has already been issued."))
    mine = PersonVerification.objects.filter(applicant=user, state=State.APPROVED).first()
    if mine is None:
        raise VerificationError(
            _("Verify your own real name first: the seal is issued in the verified name.")
        )
    if mine.id_number_hash != st.case.legal_rep_id_hash or mine.name != st.case.legal_rep_name:
        raise VerificationError(
            _(
                "Your verified name and ID number are not those of the legal representative named "
                "in this company's verification."
            )
        )
    if not Membership.objects.filter(company=company, user=user).exists():
        raise VerificationError(_("Only a member of the company can confirm."))
    st.person = mine
    return st


def send_code(company: Company, user, *, request=None):
    """Send a one-time code to the representative's verified mobile number; returns the
    ``otp.Issued`` (masked destination) or raises VerificationError."""
    from chop.accounts import otp

    st = _eligible(company, user)
    try:
        return otp.issue_code(st.person.phone, OTP_PURPOSE, request=request)
    except otp.OtpError as exc:
        raise VerificationError(str(exc)) from None


def confirm(company: Company, user, code: str, *, request=None):
    """Check the code and issue the legal-representative seal and person certificate.

    Either everything is issued and recorded, or nothing (a seal the engine cannot draw, or a
    wrong code, leaves no certificate, no seal and no consent behind). Returns the seal.
    """
    from chop.accounts import otp
    from chop.sealart import SealSpecError
    from chop.seals import issuance

    st = _eligible(company, user)
    person = st.person
    try:
        otp.verify_code(person.phone, OTP_PURPOSE, code)
    except otp.OtpError as exc:
        record(
            "verification.legal_rep_consent_failed",
            request=request,
            actor=user,
            company=company,
            obj=st.case,
            reason=type(exc).__name__,
        )
        raise VerificationError(str(exc)) from None
    try:
        # a decision's transaction: a certificate issued here is revoked if it rolls back
        with decision_transaction():
            # lock the company's case: two confirmations at once issue one seal
            case = CompanyVerification.objects.select_for_update().get(pk=st.case.pk)
            seal = issuance.ensure_legal_rep_seal(
                company, user, person.name, person.id_number, by=user
            )
            Evidence.objects.create(
                case_type="company",
                case_id=case.pk,
                step="legal_rep_consent",
                method="otp",
                provider="platform",
                result="confirmed",
                detail=f"person verification #{person.pk}",
                inputs={
                    "person_case": person.pk,
                    "id_number": person.id_number_hash,
                    "phone": pii.sha256_hex(person.phone.encode()),
                },
            )
            record(
                "verification.legal_rep_consented",
                request=request,
                actor=user,
                company=company,
                obj=seal,
                person_case=person.pk,
                company_case=case.pk,
            )
    except SealSpecError as exc:
        from chop.explain import explain

        raise VerificationError(explain(exc)) from None
    except IntegrityError:
        # one active legal-rep seal per company (database constraint): a concurrent confirmation
        raise VerificationError(
            _("The legal representative's seal has already been issued.")
        ) from None
    return seal


def other_accounts_with_identity(id_number_hash: str, user) -> list[PersonVerification]:
    """Person cases of *other* accounts with the same ID number, newest first (operator flag)."""
    return list(
        PersonVerification.objects.filter(id_number_hash=id_number_hash)
        .exclude(applicant=user)
        .select_related("applicant")
        .order_by("-created_at")[:10]
    )


def identity_held_elsewhere(id_number_hash: str, user) -> PersonVerification | None:
    """A live (open or approved) case of another account with this ID number, if any."""
    return (
        PersonVerification.objects.filter(
            id_number_hash=id_number_hash, state__in=PersonVerification.HOLDING_STATES
        )
        .exclude(applicant=user)
        .first()
    )

"""What the operator needs to see next to a case: who the applicant really is, and what looks off.

A company was once approved by letter while its agent's own verification had just been rejected,
with the agent shown as the legal representative although the application named someone else.
These checks put such facts on the case page as flags; the decision stays the operator's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import CompanyVerification, PersonVerification
from .states import OPEN_STATES, State


@dataclass
class Review:
    applicant_person: PersonVerification | None = None  # the applicant's own latest person case
    applicant_is_legal_rep: bool = False
    role_label: str = ""
    warnings: list[str] = field(default_factory=list)
    legal_rep_person: PersonVerification | None = None  # verified person with the named ID


def _latest_person(user) -> PersonVerification | None:
    return PersonVerification.objects.filter(applicant=user).order_by("-created_at", "-pk").first()


def for_company(case: CompanyVerification) -> Review:
    r = Review()
    r.applicant_person = person = _latest_person(case.applicant)
    r.legal_rep_person = (
        PersonVerification.objects.filter(
            id_number_hash=case.legal_rep_id_hash, state=State.APPROVED
        )
        .select_related("applicant")
        .first()
    )
    r.applicant_is_legal_rep = (
        person is not None
        and person.state == State.APPROVED
        and person.id_number_hash == case.legal_rep_id_hash
    )
    r.role_label = _("Legal representative") if r.applicant_is_legal_rep else _("Agent")
    w = r.warnings
    if person is None:
        w.append(_("The applicant has not verified their own real name."))
    elif person.state == State.REJECTED:
        w.append(
            _("The applicant's own real-name verification was rejected: %(reason)s")
            % {"reason": person.reason or "—"}
        )
    elif person.state in OPEN_STATES:
        w.append(_("The applicant's own real-name verification is still waiting for a decision."))
    elif person.state != State.APPROVED:
        w.append(_("The applicant's own real-name verification is not approved."))
    if (
        person is not None
        and person.state == State.APPROVED
        and not r.applicant_is_legal_rep
        and case.method == CompanyVerification.Method.LEGAL_REP
    ):
        w.append(
            _(
                "The applicant chose “I am the legal representative” but is not the person "
                "named: their verified ID number differs."
            )
        )
    other_uscc = (
        CompanyVerification.objects.filter(uscc=case.uscc)
        .exclude(company=case.company)
        .select_related("company")
        .order_by("-created_at")
    )
    for other in other_uscc[:5]:
        w.append(
            _("This credit code was also submitted for another company (case #%(pk)s, %(state)s).")
            % {"pk": other.pk, "state": State(other.state).label}
        )
    other_rep = (
        CompanyVerification.objects.filter(legal_rep_id_hash=case.legal_rep_id_hash)
        .exclude(company=case.company)
        .values("company")
        .distinct()
        .count()
    )
    if other_rep:
        w.append(
            _(
                "The legal representative's ID number is also named by %(n)s other companies' "
                "applications."
            )
            % {"n": other_rep}
        )
    if person is not None:
        w += _identity_warnings(person)
    return r


def _identity_warnings(person: PersonVerification) -> list[str]:
    others = (
        PersonVerification.objects.filter(id_number_hash=person.id_number_hash)
        .exclude(applicant_id=person.applicant_id)
        .order_by("-created_at")
    )
    return [
        _(
            "The same ID number was submitted by another account (case #%(pk)s, %(state)s, "
            "%(login)s)."
        )
        % {"pk": o.pk, "state": State(o.state).label, "login": o.applicant.masked_login}
        for o in others.select_related("applicant")[:5]
    ]


def for_person(case: PersonVerification) -> Review:
    r = Review(applicant_person=case)
    r.warnings = _identity_warnings(case)
    return r

"""Forms of the parties card (the initiator with its stamper, another company, a person) and of
the decline and revoke pages, and what the parties card shows (``parties_context``).

The forms check what a person can fix before the service is asked: a USCC's own check
characters (``chop.identity.validate_uscc``, with its precise reason) and the shape of a mobile
number or e-mail. Whether the company or person is registered, and duplicates, stay the
service's (``participants``), which also holds the contract lock.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chop.accounts.targets import parse_target
from chop.explain import explain
from chop.identity import validate_uscc
from chop.orgs import permissions

from . import access, sending
from .models import Contract, ParticipantState
from .states import FINAL_CONTRACT_STATES

REASON_MAX = 500


def stampers(company) -> list:
    """The company's members, by name: any of them may be the one who stamps for it (which
    seal they may use is ``permissions.may_stamp``'s decision when they sign: a member without
    a grant asks for approval there)."""
    members = company.memberships.select_related("user").filter(user__is_active=True)
    users = [m.user for m in members]
    return sorted(users, key=lambda u: (u.display_name, u.pk))


class InitiatorForm(forms.Form):
    stamper = forms.TypedChoiceField(label=_("Who stamps for your company"), coerce=int)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {u.pk: u for u in stampers(company)}
        self.fields["stamper"].choices = [(pk, u.display_name) for pk, u in self.users.items()]

    def clean_stamper(self):
        return self.users[self.cleaned_data["stamper"]]


def _contact(value: str) -> str:
    try:
        return parse_target(value).value
    except ValidationError as exc:
        raise ValidationError(exc.messages[0], code="invalid") from exc


class CompanyPartyForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=24,
        required=False,
        help_text=_("18 characters. Leave empty to find the company by its operator."),
    )
    contact = forms.CharField(
        label=_("Operator's mobile number or e-mail"),
        max_length=254,
        required=False,
        help_text=_(
            "Needed when the company is not registered on Chop: the invitation goes there."
        ),
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_uscc(self) -> str:
        value = self.cleaned_data["uscc"].strip()
        if not value:
            return ""
        result = validate_uscc(value)
        if not result.valid:
            raise ValidationError(explain(result), code="bad_uscc")
        return result.normalized or ""

    def clean_contact(self) -> str:
        value = self.cleaned_data["contact"].strip()
        return _contact(value) if value else ""

    def clean(self):
        data = super().clean()
        if self.errors or data.get("uscc"):
            return data
        if not data.get("contact"):
            self.add_error(
                "uscc",
                _("Enter the company's credit code, or its operator's mobile number or e-mail."),
            )
            return data
        company = company_of_operator(data["name"], data["contact"])
        if company is None:
            self.add_error(
                "contact",
                _(
                    "No registered company of that name has an operator with this mobile "
                    "number or e-mail: enter the company's credit code."
                ),
            )
        elif not company.uscc:
            self.add_error(
                "uscc",
                _("This company has not verified its credit code yet: ask them for it."),
            )
        else:
            data["uscc"] = company.uscc
        return data


def company_of_operator(name: str, contact: str):
    """The registered company named ``name`` whose member has this mobile number or e-mail."""
    from chop.orgs.models import Company

    from .participants import find_user

    user = find_user(contact)
    if user is None:
        return None
    return Company.objects.filter(name=name.strip(), memberships__user=user).first()


class PersonPartyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    contact = forms.CharField(label=_("Mobile number or e-mail"), max_length=254)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_contact(self) -> str:
        return _contact(self.cleaned_data["contact"])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=pgettext_lazy("contract", "Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason: every party is told it.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give a reason: every party is told it."), code="required")
        return reason


def masked_contact(value: str) -> str:
    """A contact as parties other than the initiator see it: enough to recognise, not to use."""
    if not value:
        return ""
    try:
        return parse_target(value).masked
    except ValidationError:
        return "***"


def sign_url(pk: int) -> str:
    """The signing page when it is installed (it is its own part of the app), else ""."""
    try:
        return reverse("contract_sign", args=[pk])
    except NoReverseMatch:
        return ""


def parties_context(request, contract: Contract, bound: dict | None = None) -> dict:
    """What ``contracts/_parties.html`` needs: the parties (contacts masked for anyone but the
    initiator), the forms for whoever may manage them, why the draft cannot be sent yet, and
    which of revoke, remind and decline the viewer may use."""
    bound = bound or {}
    m = getattr(request, "membership", None)
    user = request.user
    viewer = contract.viewer  # type: ignore[attr-defined]
    initiator = viewer.initiator
    parties = list(contract.participants.select_related("user", "company").order_by("position"))
    for p in parties:
        p.shown_contact = p.contact if initiator else masked_contact(p.contact)
    manage = initiator and permissions.can_manage_contract_parties(m, contract, user)
    ctx: dict = {
        "parties": parties,
        "ended": contract.state in FINAL_CONTRACT_STATES,
        "can_manage_parties": manage,
        "can_revoke": initiator and permissions.can_revoke_contract(m, contract, user),
        "can_remind": initiator and permissions.can_remind_contract(m, contract, user),
        "signable": access.parties_for(user, contract, state=ParticipantState.TO_SIGN)
        if contract.state == Contract.State.SIGNING
        else [],
    }
    ctx["declinable"] = (
        access.parties_for(user, contract, state=ParticipantState.TO_SIGN, decline=True)
        if ctx["signable"]
        else []
    )
    if ctx["signable"]:
        ctx["sign_url"] = sign_url(contract.pk)
    if contract.state == Contract.State.SIGNING:
        reminded = [p.last_reminded_at for p in parties if p.last_reminded_at]
        ctx["last_reminded"] = max(reminded) if reminded else None
    if manage:
        has_initiator = (
            any(p.company_id == contract.company_id for p in parties)
            if contract.company_id
            else any(p.user_id == contract.created_by_id for p in parties)
        )
        ctx.update(
            {
                "has_initiator": has_initiator,
                "initiator_form": bound.get("initiator")
                or (InitiatorForm(company=contract.company) if contract.company_id else None),
                "company_form": bound.get("company") or CompanyPartyForm(),
                "person_form": bound.get("person") or PersonPartyForm(),
                "open_form": next(iter(bound), ""),
                "send_problems": sending.send_problems(contract),
            }
        )
    return ctx

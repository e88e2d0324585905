"""Forms for verification: field-level errors, checksums checked before anything is stored."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chop.explain import explain
from chop.identity import mask_id_number, validate_mobile, validate_resident_id, validate_uscc
from chop.sealtext import clean_seal_text

from .holding import HoldsUploads
from .models import CompanyVerification
from .uploads import letter_field, photo_field


def clean_id_number(value: str) -> str:
    result = validate_resident_id(value)
    if not result.valid:
        raise ValidationError(explain(result))
    return result.normalized


def clean_name(value: str) -> str:
    """A person's name as on the ID card, normalised and drawable (a signature, a legal
    representative's seal): 买买提·艾力 passes, emoji and direction controls do not."""
    from chop.sealart import normalise_seal_text

    value = normalise_seal_text(value)
    if not 2 <= len(value) <= 30:
        raise ValidationError(_("Enter the full name as on the ID card (2–30 characters)."))
    return clean_seal_text("name", value)


class PersonForm(HoldsUploads, forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=30)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=18,
        min_length=15,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    id_front = photo_field(label=_("ID card, photo side"))
    id_back = photo_field(label=_("ID card, national emblem side"))

    def clean_name(self):
        return clean_name(self.cleaned_data["name"])

    def clean_id_number(self):
        return clean_id_number(self.cleaned_data["id_number"])

    def clean_phone(self):
        result = validate_mobile(self.cleaned_data["phone"])
        if not result.valid:
            raise ValidationError(explain(result))
        return result.normalized

    def clean(self):
        data = super().clean()
        phone, code = data.get("phone"), data.get("code")
        if phone and code:
            from chop.accounts import otp

            try:
                otp.verify_code(phone, "confirm", code)
            except otp.OtpError as exc:
                self.add_error("code", str(exc))
        return data

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.cleaned_data["id_number"])


class CompanyForm(HoldsUploads, forms.Form):
    company_name = forms.CharField(
        label=_("Company name (as on the business licence)"), max_length=100
    )
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=18, min_length=18)
    legal_rep_name = forms.CharField(label=_("Legal representative"), max_length=30)
    legal_rep_id = forms.CharField(
        label=_("Legal representative's ID number"),
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    licence = photo_field(label=_("Business licence (photo or scan)"))
    method = forms.ChoiceField(
        label=_("How do you prove you may act for the company?"),
        choices=CompanyVerification.Method.choices,
        widget=forms.RadioSelect,
    )
    letter = letter_field(label=_("Signed and stamped authorisation letter"), required=False)
    bank_account_name = forms.CharField(label=_("Account name"), max_length=100, required=False)
    bank_name = forms.CharField(label=_("Bank and branch"), max_length=100, required=False)
    bank_account = forms.CharField(
        label=_("Corporate account number"), max_length=34, required=False
    )

    def clean_company_name(self):
        from chop.sealart import normalise_seal_text

        value = normalise_seal_text(self.cleaned_data["company_name"])
        if len(value) < 4:
            raise ValidationError(_("Enter the full registered name of the company."))
        # the official seal is drawn from this name at approval: refuse now what it cannot draw
        return clean_seal_text("official", value)

    def clean_bank_account_name(self):
        from chop.sealart import normalise_seal_text

        return normalise_seal_text(self.cleaned_data.get("bank_account_name", ""))

    def clean_uscc(self):
        result = validate_uscc(self.cleaned_data["uscc"])
        if not result.valid:
            raise ValidationError(explain(result))
        return result.normalized

    def clean_legal_rep_name(self):
        return clean_name(self.cleaned_data["legal_rep_name"])

    def clean_legal_rep_id(self):
        return clean_id_number(self.cleaned_data["legal_rep_id"])

    def clean_bank_account(self):
        value = "".join(self.cleaned_data.get("bank_account", "").split())
        if value and not (value.isdigit() and 8 <= len(value) <= 30):
            raise ValidationError(_("Enter the account number in digits (8–30)."))
        return value

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method == CompanyVerification.Method.LETTER and not data.get("letter"):
            self.add_error("letter", _("Upload the signed and stamped authorisation letter."))
        if method == CompanyVerification.Method.DEPOSIT:
            for field in ("bank_account_name", "bank_name", "bank_account"):
                if not data.get(field):
                    self.add_error(field, _("Needed for the micro-deposit."))
            if (
                data.get("bank_account_name")
                and data.get("company_name")
                and data["bank_account_name"] != data["company_name"]
            ):
                self.add_error(
                    "bank_account_name", _("The account must be in the company's own name.")
                )
        return data


class DepositForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount received (yuan)"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(
        label=_("Reason (shown to the applicant when rejecting)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why: the applicant sees the reason."))
        return data


class ConsentCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

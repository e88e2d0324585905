"""Forms of the contract pages: a new contract (title + file) and a draft's fields."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chop.accounts.targets import parse_target

from .models import MAX_DEADLINE_DAYS, Contract

ACCEPT = (
    "application/pdf,.pdf,.docx,.doc,.odt,.rtf,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/msword,application/vnd.oasis.opendocument.text,application/rtf"
)
MAX_COPY_RECIPIENTS = 20
SEPARATORS = re.compile(r"[\r\n,;，；、]+")  # not spaces: "138 0013 8000" is one number

# Suggestions only: the field is free text (grants will match on whatever the company uses).
TYPE_SUGGESTIONS = (
    _("Purchase contract"),
    _("Sales contract"),
    _("Service contract"),
    _("Employment contract"),
    _("Lease contract"),
    _("Non-disclosure agreement"),
)


class NewContractForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("Document"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError(_("Give the contract a title."), code="required")
        return title


class CopyRecipientsField(forms.CharField):
    """Mobile numbers and e-mail addresses, one per line (commas and semicolons also separate);
    each normalised as sign-in does, duplicates dropped, at most ``MAX_COPY_RECIPIENTS``."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def clean(self, value) -> list[str]:  # type: ignore[override]
        text = super().clean(value) or ""
        found: list[str] = []
        bad: list[str] = []
        for raw in SEPARATORS.split(text):
            raw = raw.strip()
            if not raw:
                continue
            try:
                target = parse_target(raw).value
            except ValidationError:
                bad.append(raw)
                continue
            if target not in found:
                found.append(target)
        if bad:
            raise ValidationError(
                _("Not a mobile number or e-mail address: %(values)s")
                % {"values": "、".join(bad[:5])},
                code="invalid",
            )
        if len(found) > MAX_COPY_RECIPIENTS:
            raise ValidationError(
                _("At most %(max)d copy recipients.") % {"max": MAX_COPY_RECIPIENTS},
                code="too_many",
            )
        return found


class DraftForm(forms.ModelForm):
    copy_recipients = CopyRecipientsField(
        label=_("Copy to"),
        required=False,
        help_text=_("Mobile numbers or e-mail addresses, one per line. They get the signed copy."),
    )

    class Meta:
        model = Contract
        fields = ["title", "number", "contract_type", "deadline", "order", "copy_recipients"]
        labels = {
            "title": _("Title"),
            "number": _("Contract number"),
            "contract_type": _("Contract type"),
            "deadline": _("Signing deadline"),
            "order": _("Signing order"),
        }
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "contract_type": forms.TextInput(attrs={"list": "contract-types"}),
            "order": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["deadline"].widget.attrs.update(
            {"min": today.isoformat(), "max": self.latest_deadline().isoformat()}
        )
        self.fields["deadline"].help_text = _("At most %(days)d days from today.") % {
            "days": MAX_DEADLINE_DAYS
        }

    @staticmethod
    def latest_deadline() -> datetime.date:
        return timezone.localdate() + datetime.timedelta(days=MAX_DEADLINE_DAYS)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError(_("Give the contract a title."), code="required")
        return title

    def clean_deadline(self) -> datetime.date:
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise ValidationError(_("The deadline cannot be in the past."), code="past")
        if deadline > self.latest_deadline():
            raise ValidationError(
                _("The deadline can be at most %(days)d days from today (%(date)s).")
                % {"days": MAX_DEADLINE_DAYS, "date": self.latest_deadline().isoformat()},
                code="too_far",
            )
        return deadline

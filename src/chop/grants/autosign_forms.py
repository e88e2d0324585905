"""The forms of the auto-sign pages: the terms, then the owner's code."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .autosign import CHANNELS, MAX_DAILY_CAP, AutoSignError, Terms, check_terms

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
_SPLIT = re.compile(r"[,，、;；\n]+")


def split_types(value: str) -> list[str]:
    """ "采购合同、劳务合同" → ["采购合同", "劳务合同"] (commas, 、 or new lines; duplicates
    and blanks dropped, order kept)."""
    seen: dict[str, None] = {}
    for part in _SPLIT.split(value or ""):
        t = " ".join(part.split())[:64]
        if t and t.casefold() not in {s.casefold() for s in seen}:
            seen[t] = None
    return list(seen)


def _local_input(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime(DATETIME_FORMAT)


class TermsForm(forms.Form):
    contract_types = forms.CharField(
        label=_("Contract types"),
        required=False,
        max_length=1000,
        help_text=_("Separate types with commas. Leave empty for all contracts."),
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. purchase contract, service contract")}
        ),
    )
    starts_at = forms.DateTimeField(
        label=_("Valid from"),
        required=False,
        help_text=_("Leave empty to start now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    ends_at = forms.DateTimeField(
        label=_("Valid until"),
        help_text=_("At most one year after the start."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    daily_cap = forms.IntegerField(
        label=_("Daily cap"),
        min_value=1,
        max_value=MAX_DAILY_CAP,
        help_text=_("The most stamps the platform may make with this seal in one day."),
    )
    note = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    channel = forms.ChoiceField(label=_("Send the code by"), widget=forms.RadioSelect)

    def __init__(self, *args, channels: tuple[str, ...] | list[str] = CHANNELS, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = {"sms": _("SMS to my mobile"), "email": _("E-mail to my address")}
        self.fields["channel"].choices = [(c, labels[c]) for c in channels]
        if channels:
            self.fields["channel"].initial = channels[0]
        if not self.is_bound:
            now = timezone.now()
            self.initial.setdefault("starts_at", _local_input(now))
            self.initial.setdefault("ends_at", _local_input(now + dt.timedelta(days=365)))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        now = timezone.now()
        starts = data.get("starts_at") or now
        terms = Terms(
            contract_types=split_types(data.get("contract_types", "")),
            starts_at=max(starts, now),
            ends_at=data["ends_at"],
            daily_cap=data["daily_cap"],
            note=(data.get("note") or "").strip(),
            channel=data["channel"],
        )
        try:
            check_terms(terms, now)
        except AutoSignError as exc:
            field = {"cap": "daily_cap"}.get(exc.code, "ends_at")
            self.add_error(field, exc.message)
            return data
        data["terms"] = terms
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("grants", "One-time code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )

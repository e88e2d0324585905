"""The forms of the API keys and webhook pages.

They check what a manager typed; the key itself is made by ``keys.make`` and the webhook secret by
``webhooks.secrets``. A webhook address is checked by ``webhooks.ssrf.refusal`` (the sender checks
it again at every send).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .events import EVENT_TYPES
from .models import Scope, WebhookEndpoint
from .webhooks import ssrf

#: how long a new key lasts, in days ("" = never); 90 days unless the manager chooses otherwise
EXPIRY_CHOICES = [
    ("30", pgettext_lazy("api key expiry", "30 days")),
    ("90", pgettext_lazy("api key expiry", "90 days")),
    ("180", pgettext_lazy("api key expiry", "180 days")),
    ("365", pgettext_lazy("api key expiry", "1 year")),
    ("never", pgettext_lazy("api key expiry", "Never (until revoked)")),
]
DEFAULT_EXPIRY = "90"


class KeyForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("api key", "Name"),
        max_length=100,
        help_text=_("Say which system uses it, e.g. “ERP production”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        initial=[Scope.READ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope.")},
        help_text=_("Give the key only what the system needs."),
    )
    expiry = forms.ChoiceField(
        label=_("Expires"),
        choices=EXPIRY_CHOICES,
        initial=DEFAULT_EXPIRY,
        widget=forms.RadioSelect,
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def expires_at(self, now: dt.datetime | None = None) -> dt.datetime | None:
        choice = self.cleaned_data["expiry"]
        if choice == "never":
            return None
        return (now or timezone.now()) + dt.timedelta(days=int(choice))


class EndpointForm(forms.ModelForm):
    """An endpoint's address, description and the events it wants. Every box ticked is stored as
    "all events" (``[]``), so event types added later reach it too."""

    url = forms.URLField(
        label=_("Address (URL)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("A public https:// address of your system that accepts POST requests."),
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com/hooks"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(k, v) for k, v in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
        help_text=_("With every event ticked, the endpoint also receives event types added later."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description"]
        labels = {"description": _("Description")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["events"].initial = self.instance.events or list(EVENT_TYPES)
        else:
            self.fields["events"].initial = list(EVENT_TYPES)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        reason = ssrf.refusal(url)
        if reason:
            raise forms.ValidationError(reason)
        return url

    def clean_events(self) -> list[str]:
        chosen = [e for e in EVENT_TYPES if e in self.cleaned_data["events"]]
        return [] if len(chosen) == len(EVENT_TYPES) else chosen

    def save(self, commit: bool = True) -> WebhookEndpoint:
        """A new endpoint is saved whole; a changed one only in the fields this form edits, so
        a rotation or the sender disabling it (410) in the meantime is not undone."""
        endpoint = super().save(commit=False)
        endpoint.events = self.cleaned_data["events"]
        if commit:
            if endpoint.pk is None:
                endpoint.save()
            else:
                endpoint.save(update_fields=["url", "description", "events"])
        return endpoint

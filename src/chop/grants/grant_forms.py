"""The forms of the grants pages: a new grant, and a seal's approvers.

They parse and check what a person typed; the rules themselves (who may be granted, the 3-year
limit, the scope's size) are checked again by ``granting``, whose refusals the views put back on
these forms field by field.
"""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chop.orgs import permissions
from chop.orgs.models import Role

from .granting import MAX_NOTE_CHARS, MAX_TYPE_CHARS, MAX_TYPES
from .models import ApprovalMode

#: what separates contract types typed in one box: commas, the ideographic comma, semicolons,
#: new lines (full-width forms too)
TYPE_SEPARATORS = re.compile(r"[,，、;；\n\r]+")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class MemberChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.user.display_name


def _local_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)


class GrantForm(forms.Form):
    members = MemberChoice(
        label=_("Members"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Everyone holding the role, now or later."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=[("all", _("All contracts")), ("types", _("Only these contract types"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    contract_types = forms.CharField(
        label=_("Contract types"),
        required=False,
        max_length=MAX_TYPES * (MAX_TYPE_CHARS + 2),
        help_text=_("Separate several types with commas. Compared without regard to case."),
        widget=forms.TextInput(attrs={"list": "contract-types", "autocomplete": "off"}),
    )
    starts_at = forms.DateTimeField(
        label=_("Valid from"), input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"], widget=_local_input()
    )
    long_term = forms.BooleanField(label=_("Long-term (no end)"), required=False)
    ends_at = forms.DateTimeField(
        label=_("Valid until"),
        required=False,
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=_local_input(),
        help_text=_("At most 3 years after the start."),
    )
    max_uses = forms.IntegerField(
        label=_("Use cap"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text=_("Leave empty for no cap."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.TextInput(attrs={"maxlength": MAX_NOTE_CHARS}),
    )

    def __init__(self, *args, company, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {"starts_at": timezone.localtime().replace(second=0, microsecond=0), "scope": "all"},
        )
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = company.memberships.select_related("user").order_by(
            "user__name", "pk"
        )

    def clean(self):
        data = super().clean()
        types = [t for t in TYPE_SEPARATORS.split(data.get("contract_types") or "") if t.strip()]
        data["type_list"] = types
        if data.get("scope") == "types" and not types:
            self.add_error(
                "contract_types", _("List at least one contract type, or choose all contracts.")
            )
        if data.get("scope") != "types":
            data["type_list"] = []
        if data.get("long_term"):
            data["ends_at"] = None
        elif not data.get("ends_at") and "ends_at" not in self.errors:
            self.add_error("ends_at", _("Give an end, or choose long-term."))
        if not data.get("members") and not data.get("roles"):
            self.add_error("members", _("Choose at least one member or role."))
        return data

    @property
    def users(self) -> list:
        return [m.user for m in self.cleaned_data.get("members") or []]


class ApproversForm(forms.Form):
    approvers = MemberChoice(
        label=_("Approvers"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Nobody chosen: the owner, administrators and seal approvers, any one of them."
        ),
    )
    mode = forms.ChoiceField(
        label=_("Approval needed from"),
        choices=ApprovalMode.choices,
        initial=ApprovalMode.ANY,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, company, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        able = [m.pk for m in company.memberships.all() if permissions.can_approve_seal_use(m)]
        self.fields["approvers"].queryset = (
            company.memberships.filter(pk__in=able).select_related("user").order_by("user__name")
        )

    @property
    def users(self) -> list:
        return [m.user for m in self.cleaned_data.get("approvers") or []]

"""Forms for company spaces; choices are narrowed by ``permissions`` so the UI never offers a no."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import permissions
from .models import Company, Membership, Role
from .services import normalize_target


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = ["name"]
        labels = {"name": _("Company name")}
        help_texts = {
            "name": _("The full registered name, as on the business licence. It is verified later.")
        }
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "organization"})}

    def clean_name(self) -> str:
        from chop.sealart import normalise_seal_text
        from chop.sealtext import clean_seal_text

        name = normalise_seal_text(self.cleaned_data["name"])
        if len(name) < 2:
            raise ValidationError(_("Enter the company's full name."))
        # the same rule as verification: the official seal is drawn from the verified name
        return clean_seal_text("official", name)


def _role_choices(actor: Membership | None) -> list[tuple[str, str]]:
    allowed = set(permissions.assignable_roles(actor))
    return [(value, label) for value, label in Role.choices if value in allowed]


class InviteForm(forms.Form):
    target = forms.CharField(
        label=_("Mobile number or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 13800000000 or name@example.com")}),
    )
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, actor: Membership | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(actor)
        self.fields["role"].initial = Role.MEMBER

    def clean_target(self) -> str:
        normalize_target(self.cleaned_data["target"])  # raises a readable ValidationError
        return self.cleaned_data["target"]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, actor: Membership | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(actor)

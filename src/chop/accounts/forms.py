"""Forms for the account pages. Field names are part of the contract: ``login`` is what
the lockout counts per account, ``code`` is the one-time code."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import OneTimeCode, User
from .targets import Target, parse_target


class LoginField(forms.CharField):
    """A mobile number or an e-mail address, cleaned to a ``Target``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile number or e-mail"))
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "autocomplete": "username",
                    "placeholder": _("e.g. 13800138000"),
                    "autocapitalize": "none",
                    "spellcheck": "false",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value) -> Target:  # type: ignore[override]
        return parse_target(super().clean(value))


def code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Verification code"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "maxlength": "6",
                "placeholder": _("6 digits"),
            }
        ),
        error_messages={
            "min_length": _("The code has 6 digits."),
            "max_length": _("The code has 6 digits."),
        },
    )


def _new_password(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordLoginForm(forms.Form):
    # A plain CharField: operators' logins need not be phone numbers or addresses.
    login = forms.CharField(
        label=_("Mobile number or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeLoginForm(forms.Form):
    login = LoginField()
    code = code_field()


class SendCodeForm(forms.Form):
    """What the "Get code" button posts. ``confirm`` codes are issued by their own flows only."""

    login = LoginField()
    purpose = forms.ChoiceField(
        choices=[
            (p.value, p.label)
            for p in (
                OneTimeCode.Purpose.REGISTER,
                OneTimeCode.Purpose.LOGIN,
                OneTimeCode.Purpose.RESET,
            )
        ]
    )


class _NewPasswordMixin(forms.Form):
    password1 = _new_password(_("Password"))
    password2 = _new_password(_("Confirm password"))

    def _password_user(self) -> User:
        """An unsaved user carrying what the similarity validator should compare against."""
        target = self.cleaned_data.get("login")
        user = User(login=target.value if target else "", name=self.cleaned_data.get("name", ""))
        if target is not None:
            if target.kind == "email":
                user.email = target.value
            else:
                user.phone = target.value
        return user

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1, self._password_user())
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class RegisterForm(_NewPasswordMixin):
    login = LoginField()
    code = code_field()
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Your real name; it is checked later when you verify your identity."),
    )
    field_order = ["login", "code", "name", "password1", "password2"]


class ResetForm(_NewPasswordMixin):
    login = LoginField()
    code = code_field()
    field_order = ["login", "code", "password1", "password2"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("New password")
        self.fields["password2"].label = _("Confirm new password")

"""Where a code can be sent: a mainland mobile number or an e-mail address.

One parser for every form and service, so "+86 138-0013-8000", "13800138000" and
"Li@Example.com" / "li@example.com" are each one target for caps, lookups and audit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chop.identity import normalize_email, validate_email, validate_mobile

PHONE = "phone"
EMAIL = "email"


@dataclass(frozen=True)
class Target:
    value: str
    kind: str  # PHONE or EMAIL

    @property
    def masked(self) -> str:
        """For messages and audit data shown to people other than the owner."""
        if self.kind == EMAIL:
            local, _, domain = self.value.partition("@")
            return f"{local[:2]}***@{domain}"
        return f"{self.value[:3]}****{self.value[-4:]}"


def parse_target(raw: str) -> Target:
    """Normalise and validate; raises ``ValidationError`` with a translated message.

    The rules are ``chop.identity``'s (``validate_mobile``, ``validate_email``), the same ones
    invitations and sign-in use, so a number orgs may invite is a number that can register.
    """
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("Enter a mobile number or an e-mail address."), code="required")
    if "@" in normalize_email(raw):
        result = validate_email(raw)
        if not result.valid:
            raise ValidationError(_("Enter a valid e-mail address."), code="invalid")
        return Target(result.normalized, EMAIL)
    result = validate_mobile(raw)
    if not result.valid:
        raise ValidationError(
            _("Enter a valid mainland mobile number (11 digits starting with 1)."), code="invalid"
        )
    return Target(result.normalized, PHONE)


def normalize_login(raw: str) -> str:
    """The form a login is stored and looked up in: a valid phone or e-mail address normalised as
    :func:`parse_target` does; anything else (an old or hand-made login) only stripped, so a
    lookup simply finds nothing rather than raising."""
    raw = (raw or "").strip()
    if "@" in normalize_email(raw):
        return normalize_email(raw)
    result = validate_mobile(raw)
    return result.normalized if result.valid else raw

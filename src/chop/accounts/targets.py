"""Where a code can be sent: a mainland mobile number or an e-mail address.

One parser for every form and service, so "+86 138-0013-8000", "13800138000" and
"Li@Example.com" / "li@example.com" are each one target for caps, lookups and audit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

PHONE = "phone"
EMAIL = "email"

_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


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
    """Normalise and validate; raises ``ValidationError`` with a translated message."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("Enter a mobile number or an e-mail address."), code="required")
    if "@" in raw:
        value = raw.lower()
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(_("Enter a valid e-mail address."), code="invalid") from None
        return Target(value, EMAIL)
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MAINLAND_MOBILE.fullmatch(digits):
        raise ValidationError(
            _("Enter a valid mainland mobile number (11 digits starting with 1)."), code="invalid"
        )
    return Target(digits, PHONE)

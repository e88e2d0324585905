"""Names that end up on seals, checked once with the seal engine's own rule.

Forms normalise a name (``chop.sealart.normalise_seal_text``) and ask the engine whether it can
draw it (``check_seal_text``); the engine's reason code becomes a translated message here. Used by
the verification forms, company creation, and approval (which must never fail with a 500). It sits
outside the apps because both orgs (company creation) and verification use it, and orgs is below
verification in the layers.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def seal_text_message(problem) -> str:
    """A translated sentence for a ``SealSpecError`` from the engine (by its ``code``)."""
    code = getattr(problem, "code", "invalid")
    if code == "empty":
        return _("Enter the name.")
    if code == "control":
        return _("The name contains invisible control characters. Type it again.")
    if code == "too_long":
        return _("The name is too long to fit on a seal (at most 48 Chinese characters).")
    if code == "glyph":
        return _("The seal font cannot draw these characters: %(chars)s. Remove them.") % {
            "chars": problem.chars
        }
    if code == "does_not_fit":
        return _("The name is too long to fit on the seal. Shorten it.")
    if code == "legal_rep_name":
        return _(
            "A legal representative's seal takes a name of 2–4 Chinese characters, or a name "
            "joined by the middle dot “·”."
        )
    return _("The name cannot be drawn on a seal.")


def clean_seal_text(kind: str, value: str) -> str:
    """Normalise ``value`` and raise a ValidationError if the engine cannot draw it as ``kind``."""
    from chop.sealart import check_seal_text, normalise_seal_text

    value = normalise_seal_text(value)
    problem = check_seal_text(kind, value)
    if problem is not None:
        raise ValidationError(seal_text_message(problem), code=f"seal_{problem.code}")
    return value

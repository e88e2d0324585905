"""Names that end up on seals, checked once with the seal engine's own rule.

Forms normalise a name (``chop.sealart.normalise_seal_text``) and ask the engine whether it can
draw it (``check_seal_text``); ``chop.explain`` turns the engine's reason code into the message.
Used by the verification forms, company creation, and approval (which must never fail with a 500).
It sits outside the apps because both orgs (company creation) and verification use it, and orgs
is below verification in the layers.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from chop.explain import explain


def clean_seal_text(kind: str, value: str) -> str:
    """Normalise ``value`` and raise a ValidationError if the engine cannot draw it as ``kind``."""
    from chop.sealart import check_seal_text, normalise_seal_text

    value = normalise_seal_text(value)
    problem = check_seal_text(kind, value)
    if problem is not None:
        raise ValidationError(explain(problem), code=f"seal_{problem.code}")
    return value

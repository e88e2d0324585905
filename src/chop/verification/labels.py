"""Display labels for the codes stored in verification evidence (step, method, result).

Evidence keeps stable codes (they are what the record proves and what tests and exports read);
people see them through these labels, in the active language. An unknown code shows as stored.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STEPS = {
    "identity": _("Identity check"),
    "registry": _("Business registry check"),
    "review": _("Operator review"),
    "authority": _("Right to act"),
    "deposit_sent": _("Micro-deposit sent"),
    "deposit_check": _("Micro-deposit amount entered"),
    "legal_rep_consent": _("Legal representative's consent"),
}

METHODS = {
    "provider": _("Provider"),
    "operator": _("Operator"),
    "legal_rep": _("Legal representative"),
    "deposit": _("Micro-deposit"),
    "otp": _("One-time code"),
}

RESULTS = {
    "verified": _("Verified"),
    "refused": _("Refused"),
    "needs_review": _("Needs review"),
    "error": _("Error, will retry"),
    "sent": _("Sent"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
    "blocked": _("Blocked"),
    "matched": _("Matched"),
    "mismatch": _("Does not match"),
    "confirmed": _("Confirmed"),
    "ok": _("Correct amount"),
    "wrong_amount": _("Wrong amount"),
    "invalid_amount": _("Not an amount"),
    "too_many_attempts": _("Too many attempts"),
    "expired": _("Expired"),
    "already_used": _("Already used"),
}


def label(table: dict, code: str) -> str:
    return str(table.get(code, code))

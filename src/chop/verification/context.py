"""Template context: whether the active company's legal-representative seal waits for consent.

Lazy: pages that do not show the notice (only the workbench, the Seals page and the company
verification page do) cost no query.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


class _LegalRepConsent:
    def __init__(self, request) -> None:
        from . import consent

        user = getattr(request, "user", None)
        company = getattr(request, "company", None)
        signed_in = user is not None and user.is_authenticated
        self.status = consent.status(company) if signed_in else None
        self.may_confirm = self.status is not None and self.status.may_confirm(user)
        # in the personal space: the companies where the user may confirm
        self.companies = (
            consent.companies_waiting_for(user) if signed_in and company is None else []
        )


def legal_rep_consent(request) -> dict:
    return {"legal_rep_consent": SimpleLazyObject(lambda: _LegalRepConsent(request))}

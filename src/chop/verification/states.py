"""The verification state machines: explicit states and the only transitions allowed between them.

A case moves only through :func:`advance`, which refuses anything not in the table with a clear
message, so a double click, a stale operator page or a replayed request cannot skip a step.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    # waiting for the registry/identity provider (also: it failed temporarily; see ``last_error``)
    PENDING_PROVIDER = "pending_provider", _("Checking with the provider")
    # waiting for a platform operator
    PENDING_REVIEW = "pending_review", _("Waiting for review")
    # company only: waiting for proof of the right to act (micro-deposit, legal representative)
    PENDING_AUTHORITY = "pending_authority", _("Waiting for authorisation")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


OPEN_STATES = {State.PENDING_PROVIDER, State.PENDING_REVIEW, State.PENDING_AUTHORITY}
FINAL_STATES = {State.APPROVED, State.REJECTED, State.EXPIRED}

PERSON_TRANSITIONS: dict[str, set[str]] = {
    State.PENDING_PROVIDER: {
        State.PENDING_PROVIDER,
        State.PENDING_REVIEW,
        State.APPROVED,
        State.REJECTED,
    },
    State.PENDING_REVIEW: {State.APPROVED, State.REJECTED},
}

COMPANY_TRANSITIONS: dict[str, set[str]] = {
    State.PENDING_PROVIDER: {
        State.PENDING_PROVIDER,
        State.PENDING_REVIEW,
        State.PENDING_AUTHORITY,
        State.APPROVED,
        State.REJECTED,
    },
    State.PENDING_REVIEW: {State.PENDING_AUTHORITY, State.APPROVED, State.REJECTED},
    State.PENDING_AUTHORITY: {
        State.PENDING_AUTHORITY,
        State.APPROVED,
        State.REJECTED,
        State.EXPIRED,
    },
}


class InvalidTransition(Exception):
    """Raised when a case is asked to move where its state machine does not allow."""

    def __init__(self, case, target: str):
        self.case, self.target = case, target
        current = State(case.state).label
        super().__init__(
            _("This case is “%(current)s” and cannot become “%(target)s”.")
            % {"current": current, "target": State(target).label}
        )


def check(table: dict[str, set[str]], case, target: str) -> None:
    if target not in table.get(case.state, set()):
        raise InvalidTransition(case, target)

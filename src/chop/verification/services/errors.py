"""The refusals the verification services raise, each with a message for the user."""

from __future__ import annotations


class VerificationError(Exception):
    """A request that cannot be honoured, with a message for the user."""


class ApprovalBlocked(VerificationError):
    """Approval cannot complete (the seal cannot be drawn): nothing of it is kept."""

"""What happens when a person or a company asks to be verified, and when someone decides.

Views call these functions; they hold the rules: providers are asked, the state machine moves,
every decision becomes evidence and an audit event, approvals issue certificates and seals. Each
step runs in a transaction, so a failure leaves the case where it was, never half-moved.

One module per flow, named for it:

- ``person``: a person's real-name verification;
- ``company``: a company's verification, up to the proof of the right to act for it;
- ``authority``: that proof (the legal representative's own identity, a letter, a deposit);
- ``deposit``: the bank micro-deposit, sent and checked;
- ``approval``: how a company case ends (approved, rejected) and why an approval was blocked;
- ``evidence``: the append-only record of each decision and the hashes of what it saw;
- ``steps``: the transaction every step runs in, tasks after the commit, a provider's answer;
- ``retry``: asking failed providers again.

This package re-exports what the views, tasks and demo data use; the rest is imported from its
module.
"""

from .approval import note_blocked_approval
from .company import (
    CompanyInput,
    ask_registry_provider,
    decide_company,
    submit_company,
)
from .deposit import enter_deposit, send_deposit
from .errors import ApprovalBlocked, VerificationError
from .person import (
    PersonInput,
    approved_person_case,
    ask_identity_provider,
    decide_person,
    submit_person,
)
from .retry import retry_delay, retry_providers

__all__ = [
    "ApprovalBlocked",
    "CompanyInput",
    "PersonInput",
    "VerificationError",
    "approved_person_case",
    "ask_identity_provider",
    "ask_registry_provider",
    "decide_company",
    "decide_person",
    "enter_deposit",
    "note_blocked_approval",
    "retry_delay",
    "retry_providers",
    "send_deposit",
    "submit_company",
    "submit_person",
]

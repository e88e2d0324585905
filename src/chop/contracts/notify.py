"""Telling parties about a contract, through the accounts senders, after commit.

Every message is rendered when the step happens (in the recipient's language when they are
registered) and queued by ``transaction.on_commit`` as a background task (``send_notice``): a
step that rolls back told nobody, and the request that made the step does not wait on an SMS
gateway or a mail server (PRODUCT.md §7: slow calls in background tasks).
Unregistered parties get a signed invitation link (``invite_token``) to
``/contracts/invite/<token>/``, which asks them to register and verify their real name first.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Contract, Participant

log = logging.getLogger(__name__)

INVITE_SALT = "chop.contracts.invite"
INVITE_MAX_AGE = 100 * 24 * 3600  # longer than the longest deadline (90 days)


def invite_token(participant: Participant) -> str:
    return signing.dumps({"p": participant.pk, "c": participant.contract_id}, salt=INVITE_SALT)


def read_invite_token(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=INVITE_SALT, max_age=INVITE_MAX_AGE)
    except signing.BadSignature:
        return None


def invite_url(participant: Participant) -> str:
    return settings.SITE_URL + reverse("contract_invite", args=[invite_token(participant)])


def contract_url(contract: Contract) -> str:
    return settings.SITE_URL + reverse("contract_detail", args=[contract.pk])


def targets(participant: Participant) -> list[tuple[str, str]]:
    """(address, language) pairs that reach the party: its user, else its contact, else the
    owner and administrators of its registered company."""
    user = participant.user
    if user is not None:
        address = user.phone or user.email or user.login
        return [(address, user.language)] if address else []
    if participant.contact:
        return [(participant.contact, "")]
    if participant.company_id is not None:
        from chop.orgs.models import Role

        heads = participant.company.memberships.filter(  # type: ignore[union-attr]
            role__in=[Role.OWNER, Role.ADMIN]
        ).select_related("user")
        return [
            (m.user.phone or m.user.email or m.user.login, m.user.language)
            for m in heads
            if m.user.is_active
        ]
    return []


def reachable(participant: Participant) -> bool:
    return bool(targets(participant))


def _queue(address: str, subject: str, body: str) -> None:
    transaction.on_commit(partial(_enqueue, address, subject, body))


def _enqueue(address: str, subject: str, body: str) -> None:
    from .tasks import send_notice

    try:
        send_notice.enqueue(address, subject, body)
    except Exception:
        # no queue to take it: send now rather than not at all
        log.exception("could not queue a contract notice; sending it now")
        _deliver(address, subject, body)


def _deliver(address: str, subject: str, body: str) -> None:
    from chop.accounts import senders

    try:
        senders.send_message(address, subject, body)
    except Exception as exc:  # a failed notice must not undo the step (it is audited)
        log.warning("could not notify a contract party: %s", exc)


def _tell(participant: Participant, subject_fn, body_fn) -> int:
    """Queue one message per address of ``participant``; return how many were queued."""
    n = 0
    for address, language in targets(participant):
        with translation.override(language or settings.LANGUAGE_CODE):
            _queue(address, str(subject_fn()), str(body_fn()))
        n += 1
    return n


def your_turn(participant: Participant, *, reminder: bool = False) -> int:
    contract = participant.contract
    registered = participant.user_id is not None  # others get the invitation link
    link = contract_url(contract) if registered else invite_url(participant)
    initiator = contract.company.name if contract.company else contract.created_by.display_name

    def subject():
        if reminder:
            return _("Reminder: please sign %(title)s") % {"title": contract.title}
        return _("Please sign %(title)s") % {"title": contract.title}

    def body():
        text = _("%(initiator)s asks %(party)s to sign %(title)s before %(deadline)s: %(link)s") % {
            "initiator": initiator,
            "party": participant.name,
            "title": contract.title,
            "deadline": contract.deadline.isoformat(),
            "link": link,
        }
        if not registered:
            text += "\n" + _("Register and verify your real name on Chop first, then sign.")
        return text

    return _tell(participant, subject, body)


def _ending(contract: Contract) -> str:
    if contract.state == "completed":
        return _("%(title)s is signed by every party: %(link)s")
    if contract.state == "declined":
        return _("%(title)s was declined. Reason: %(reason)s")
    if contract.state == "revoked":
        return _("%(title)s was revoked by its initiator. Reason: %(reason)s")
    return _("%(title)s expired: not every party signed by %(deadline)s.")


def contract_ended(contract: Contract, *, skip: Participant | None = None) -> int:
    """Tell every party (but ``skip``, who caused it) how the contract ended."""

    def subject():
        return _("Contract %(title)s: %(state)s") % {
            "title": contract.title,
            "state": contract.State(contract.state).label,
        }

    def body():
        return _ending(contract) % {
            "title": contract.title,
            "reason": contract.state_reason,
            "deadline": contract.deadline.isoformat(),
            "link": contract_url(contract),
        }

    n = 0
    parties = contract.parties_read_along()
    if parties is None:
        parties = list(contract.participants.select_related("user", "company"))
    for participant in parties:
        if skip is None or participant.pk != skip.pk:
            n += _tell(participant, subject, body)
    return n


COPY_SALT = "chop.contracts.copy"
COPY_MAX_AGE = 30 * 24 * 3600  # a copy link works for 30 days after completion


def copy_token(contract: Contract, address: str) -> str:
    """A signed link for one copy recipient (抄送) to fetch the final signed PDF without an
    account: it names the contract and the address it was sent to, and nothing else."""
    return signing.dumps({"c": contract.pk, "to": address}, salt=COPY_SALT)


def read_copy_token(token: str) -> tuple[dict | None, str]:
    """(payload, "") for a good token; (None, "expired" | "invalid") otherwise."""
    try:
        return signing.loads(token, salt=COPY_SALT, max_age=COPY_MAX_AGE), ""
    except signing.SignatureExpired:
        return None, "expired"
    except signing.BadSignature:
        return None, "invalid"


def copy_url(contract: Contract, address: str) -> str:
    return settings.SITE_URL + reverse("contract_copy", args=[copy_token(contract, address)])


def copies_sent(contract: Contract) -> int:
    """Tell every copy recipient of a completed contract, each with their own download link
    (in the site's language: they have no account to say otherwise). Returns how many."""
    n = 0
    with translation.override(settings.LANGUAGE_CODE):
        for address in contract.copy_recipients or []:
            subject = _("Copy of the signed contract %(title)s") % {"title": contract.title}
            body = _(
                "%(title)s is signed by every party. You were named to receive a copy: "
                "%(link)s (the link works for 30 days)."
            ) % {"title": contract.title, "link": copy_url(contract, address)}
            _queue(address, str(subject), str(body))
            n += 1
    return n

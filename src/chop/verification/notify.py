"""Telling applicants the outcome, through the same senders as one-time codes."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def _send(user, subject: str, body: str) -> None:
    """Send once the decision commits: a decision that rolls back must not have told anyone.

    Outside a transaction ``on_commit`` sends at once. The text is rendered now, in the
    recipient's language, from the state the decision gave the case.
    """
    target = user.phone or user.email or user.login
    transaction.on_commit(partial(_deliver, user.pk, target, subject, body))


def _deliver(user_pk: int, target: str, subject: str, body: str) -> None:
    from chop.accounts import senders

    try:
        senders.send_message(target, subject, body)
    except Exception as exc:  # a notification failure must not undo a decision
        log.warning("could not notify user %s: %s", user_pk, exc)


def _link(path: str) -> str:
    return settings.SITE_URL + path


def person_decided(case) -> None:
    user = case.applicant
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if case.state == "approved":
            subject = _("Your real-name verification is approved")
            body = _("%(name)s, your real-name verification on Chop is approved.") % {
                "name": case.name
            }
        else:
            subject = _("Your real-name verification was not approved")
            body = _("Reason: %(reason)s\nYou can correct it and submit again: %(link)s") % {
                "reason": case.reason,
                "link": _link("/verify/person/"),
            }
        _send(user, subject, body)


def company_decided(case) -> None:
    user = case.applicant
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if case.state == "approved":
            subject = _("%(company)s is verified") % {"company": case.company_name}
            body = _("%(company)s is verified on Chop. Its official seal is ready: %(link)s") % {
                "company": case.company_name,
                "link": _link("/seals/"),
            }
        else:
            subject = _("The verification of %(company)s was not approved") % {
                "company": case.company_name
            }
            body = _("Reason: %(reason)s\nYou can correct it and submit again: %(link)s") % {
                "reason": case.reason,
                "link": _link("/verify/company/"),
            }
        _send(user, subject, body)


def deposit_sent(case) -> None:
    user = case.applicant
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("A small deposit was sent to %(company)s") % {"company": case.company_name}
        body = _(
            "Chop sent an amount under ¥1 to the account ending %(acct)s. Enter it within 72 "
            "hours: %(link)s"
        ) % {"acct": case.bank_account_masked[-4:], "link": _link("/verify/company/")}
        _send(user, subject, body)

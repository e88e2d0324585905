"""What happens to companies and their members, each step checked and written to the audit log.

Views parse input and call these functions; the functions ask ``permissions`` again (so a view that
forgets cannot skip a rule), change the database in one transaction, and record the audit event.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from chop.accounts.targets import EMAIL, parse_target
from chop.audit.events import record

from . import permissions
from .models import Company, Invitation, Membership, Role
from .notify import send_message


def normalize_target(raw: str) -> tuple[str, str]:
    """``(channel, target)`` for a mainland mobile number or an e-mail address; else ValidationError.

    The accounts parser (``chop.identity`` rules) decides, so an invitation goes only to a number
    or address that can register, and is matched to the account by the same normalised string.
    """
    try:
        target = parse_target(raw)
    except ValidationError:
        raise ValidationError(
            _("Enter a mainland mobile number (11 digits) or an e-mail address.")
        ) from None
    channel = Invitation.Channel.EMAIL if target.kind == EMAIL else Invitation.Channel.SMS
    return channel, target.value


@transaction.atomic
def create_company(user, name: str, *, request=None) -> Company:
    """A new, unverified company owned by ``user``."""
    company = Company.objects.create(name=name.strip(), created_by=user)
    Membership.objects.create(company=company, user=user, role=Role.OWNER)
    record("company.created", request=request, actor=user, company=company, obj=company)
    return company


def invite(actor: Membership, raw_target: str, role: str, *, request=None) -> Invitation:
    """Invite a phone number or e-mail address to ``actor``'s company and send the link.

    ``invitation.delivered`` tells whether the message went out (it stays valid either way).
    """
    if not permissions.can_invite_as(actor, role):
        raise PermissionDenied
    channel, target = normalize_target(raw_target)
    company = actor.company
    already = Membership.objects.filter(company=company)
    if (channel == Invitation.Channel.SMS and already.filter(user__phone=target).exists()) or (
        channel == Invitation.Channel.EMAIL and already.filter(user__email__iexact=target).exists()
    ):
        raise ValidationError(_("This person is already a member of the company."))
    _check_invite_rate(company, target)
    with transaction.atomic():
        # A newer invitation replaces an open one to the same address: one link is valid at a time.
        Invitation.objects.filter(
            company=company, target=target, status=Invitation.Status.PENDING
        ).update(status=Invitation.Status.CANCELLED, responded_at=timezone.now())
        invitation = Invitation.objects.create(
            company=company, channel=channel, target=target, role=role, invited_by=actor.user
        )
        record(
            "member.invited",
            request=request,
            actor=actor.user,
            company=company,
            obj=invitation,
            target=invitation.masked_target,
            channel=channel,
            role=role,
        )
    invitation.delivered = _send_invitation(invitation)
    return invitation


def _check_invite_rate(company: Company, target: str) -> None:
    """Invitations cost an SMS each and land on a stranger's phone: cap them per day.

    At most ``CHOP_INVITES_PER_TARGET_PER_DAY`` to one address and
    ``CHOP_INVITES_PER_COMPANY_PER_DAY`` from one company in any 24 hours (defaults in settings).
    """
    since = timezone.now() - timedelta(days=1)
    recent = Invitation.objects.filter(company=company, created_at__gte=since)
    if recent.filter(target=target).count() >= settings.CHOP_INVITES_PER_TARGET_PER_DAY:
        raise ValidationError(_("This address was invited several times today. Try tomorrow."))
    if recent.count() >= settings.CHOP_INVITES_PER_COMPANY_PER_DAY:
        raise ValidationError(_("The company has sent too many invitations today. Try tomorrow."))


def _send_invitation(invitation: Invitation) -> bool:
    from django.conf import settings

    link = settings.SITE_URL + reverse("invitation_token", args=[invitation.token])
    inviter = invitation.invited_by.display_name if invitation.invited_by else ""
    # Messages go out in Chinese, the platform's default language; the invitee has no account yet.
    with override(settings.LANGUAGE_CODE):
        subject = _("Invitation to join %(company)s on Chop") % {"company": invitation.company.name}
        body = _(
            "%(inviter)s invites you to join %(company)s as %(role)s. "
            "Sign in or register with this number or address, then open %(link)s "
            "(valid for 7 days)."
        ) % {
            "inviter": inviter,
            "company": invitation.company.name,
            "role": invitation.get_role_display(),
            "link": link,
        }
    return send_message(invitation.channel, invitation.target, subject, body)


def cancel_invitation(actor: Membership, invitation: Invitation, *, request=None) -> None:
    if not permissions.can_cancel_invitation(actor) or invitation.company_id != actor.company_id:
        raise PermissionDenied
    if invitation.status != Invitation.Status.PENDING:
        return
    invitation.status = Invitation.Status.CANCELLED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    record(
        "invitation.cancelled",
        request=request,
        actor=actor.user,
        company=invitation.company,
        obj=invitation,
        target=invitation.masked_target,
    )


class InvitationClosed(Exception):
    """The invitation was already answered, cancelled, or has expired."""


@transaction.atomic
def accept_invitation(user, invitation: Invitation, *, via: str, request=None) -> Membership:
    """Join the company with the invited role. ``via`` is ``"address"`` or ``"token"``."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise InvitationClosed
    membership, created = Membership.objects.get_or_create(
        company=invitation.company, user=user, defaults={"role": invitation.role}
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.responded_at = timezone.now()
    invitation.responded_by = user
    invitation.save(update_fields=["status", "responded_at", "responded_by"])
    record(
        "invitation.accepted",
        request=request,
        actor=user,
        company=invitation.company,
        obj=invitation,
        via=via,
        role=membership.role,
        already_member=not created,
    )
    return membership


@transaction.atomic
def decline_invitation(user, invitation: Invitation, *, via: str, request=None) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise InvitationClosed
    invitation.status = Invitation.Status.DECLINED
    invitation.responded_at = timezone.now()
    invitation.responded_by = user
    invitation.save(update_fields=["status", "responded_at", "responded_by"])
    record(
        "invitation.declined",
        request=request,
        actor=user,
        company=invitation.company,
        obj=invitation,
        via=via,
    )


class MembershipChanged(PermissionDenied):
    """The member or the actor changed (or left) since the page was shown: nothing was done.

    A ``PermissionDenied``, so a caller that does not handle it still answers 403, never 500.
    """


def _lock_and_reread(actor: Membership, target: Membership) -> tuple[Membership, Membership]:
    """Lock the company row, then read ``actor`` and ``target`` again under that lock.

    Every role change in a company goes through here first, so role changes of one company run
    one at a time (the company row is their lock on PostgreSQL; on SQLite the IMMEDIATE
    transaction already holds the write lock) and decide on the rows as they are now, not as
    the view read them before another request changed them.
    """
    Company.objects.select_for_update().only("pk").get(pk=actor.company_id)
    fresh = {
        m.pk: m
        for m in Membership.objects.select_related("user", "company").filter(
            pk__in=[actor.pk, target.pk], company_id=actor.company_id
        )
    }
    if actor.pk not in fresh or target.pk not in fresh:
        raise MembershipChanged
    return fresh[actor.pk], fresh[target.pk]


def _refusal(allowed_as_given: bool) -> PermissionDenied:
    """``MembershipChanged`` when the rows as the caller read them allowed it (a lost race),
    plain ``PermissionDenied`` when it was never allowed."""
    return MembershipChanged() if allowed_as_given else PermissionDenied()


@transaction.atomic
def remove_member(actor: Membership, target: Membership, *, request=None) -> None:
    """Remove ``target`` (or leave, when ``actor`` is ``target``)."""
    given_actor, given_target = actor, target
    actor, target = _lock_and_reread(actor, target)
    if not permissions.can_remove_member(actor, target):
        raise _refusal(permissions.can_remove_member(given_actor, given_target))
    label = str(target.user)
    record(
        "member.removed",
        request=request,
        actor=actor.user,
        company=target.company,
        obj=target.user,
        role=target.role,
        left=actor.pk == target.pk,
        member=label,
    )
    target.delete()


@transaction.atomic
def change_role(actor: Membership, target: Membership, new_role: str, *, request=None) -> None:
    given_actor, given = actor, target
    actor, target = _lock_and_reread(actor, target)
    if not permissions.can_change_role(actor, target, new_role):
        raise _refusal(permissions.can_change_role(given_actor, given, new_role))
    old = target.role
    if old == new_role:
        return
    target.role = new_role
    target.save(update_fields=["role"])
    given.role = new_role
    record(
        "member.role_changed",
        request=request,
        actor=actor.user,
        company=target.company,
        obj=target.user,
        old=old,
        new=new_role,
    )


@transaction.atomic
def transfer_ownership(actor: Membership, target: Membership, *, request=None) -> None:
    """``target`` becomes the owner; the previous owner stays on as an administrator.

    The owner is demoted before the new one is promoted: the one-owner constraint holds after
    every statement, not only at commit.
    """
    given_actor, given_target = actor, target
    actor, target = _lock_and_reread(actor, target)
    if not permissions.can_transfer_ownership(actor, target):
        raise _refusal(permissions.can_transfer_ownership(given_actor, given_target))
    old_target_role = target.role
    actor.role = Role.ADMIN
    actor.save(update_fields=["role"])
    target.role = Role.OWNER
    target.save(update_fields=["role"])
    given_actor.role, given_target.role = actor.role, target.role
    record(
        "company.ownership_transferred",
        request=request,
        actor=actor.user,
        company=actor.company,
        obj=target.user,
        new_owner=str(target.user),
        new_owner_previous_role=old_target_role,
    )

"""Use requests and approvals (用印申请 / 审批, PRODUCT.md §3).

A member whom ``permissions.may_stamp`` refused with ``may_request`` files a request to stamp one
contract with one seal, with a reason. The approvers are copied onto the request when it is
filed (the seal's ``ApprovalRule`` approvers who still hold an approving role, else the
company's owner, administrators and seal approvers; never the requester), and so is the mode:
with ``any`` the first decision decides, with ``all`` every approver must approve and the first
rejection rejects. An approved request allows exactly one act by the requester (the signing act
marks it used by one conditional UPDATE); it ends with the contract, which ``may_stamp`` already
checks.

Decisions are taken under the request's row lock (``select_for_update``; on SQLite the
IMMEDIATE transaction's write lock), so two approvers deciding at once stay consistent.
Messages go out after commit: a step that rolls back told nobody.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.orgs import permissions
from chop.orgs.access import membership_in
from chop.orgs.models import Membership

from .models import ApprovalMode, ApprovalRule, RequestState, UseDecision, UseRequest

log = logging.getLogger(__name__)

REASON_MAX = 500
COMMENT_MAX = 500


class RequestError(Exception):
    """A use request step was refused; nothing was written. ``message`` is for the person."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def approvers_for(seal, requester) -> tuple[list, str]:
    """Who approves a request for ``seal`` by ``requester``, and in which mode: the rule's
    approvers who are still members with an approving role, else the company's owner,
    administrators and seal approvers (any one of them); never the requester."""
    members = {
        m.user_id: m
        for m in Membership.objects.filter(company_id=seal.company_id, user__is_active=True)
        .select_related("user")
        .exclude(user=requester)
    }
    rule = ApprovalRule.objects.filter(seal=seal).prefetch_related("approvers").first()
    mode = ApprovalMode.ANY
    chosen = []
    if rule is not None:
        chosen = [
            members[u.pk].user
            for u in rule.approvers.all()
            if u.pk in members and permissions.can_approve_seal_use(members[u.pk])
        ]
        mode = rule.mode
    if not chosen:
        mode = ApprovalMode.ANY
        chosen = [m.user for m in members.values() if permissions.can_approve_seal_use(m)]
    return sorted(chosen, key=lambda u: u.pk), mode


def file(seal, contract, *, by, reason: str, request=None) -> UseRequest:
    """File ``by``'s request to stamp ``contract`` with ``seal``. Raises :class:`RequestError`
    when it is not allowed, the reason is missing, nobody can approve it, or one is already
    waiting (a double submit files one)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise RequestError(_("Say why you need this seal."), code="reason.missing")
    if len(reason) > REASON_MAX:
        raise RequestError(
            _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}, code="reason.long"
        )
    m = membership_in(by, seal.company_id)
    decision = permissions.may_stamp(permissions.Actor.person(by, m), seal, contract)
    if not permissions.can_request_seal_use(m, seal, decision):
        if getattr(decision, "code", "") == "request_pending":
            raise RequestError(str(decision.message), code="request.pending")
        if decision:
            raise RequestError(_("You may already use this seal here."), code="request.allowed")
        raise RequestError(
            str(getattr(decision, "message", "")) or _("You may not ask to use this seal."),
            code="request.refused",
        )
    approvers, mode = approvers_for(seal, by)
    if not approvers:
        raise RequestError(
            _("No one can approve this seal: ask an administrator to set approvers."),
            code="request.no_approvers",
        )
    try:
        with transaction.atomic():
            use_request = UseRequest.objects.create(
                company_id=seal.company_id,
                seal=seal,
                contract=contract,
                requester=by,
                reason=reason,
                mode=mode,
            )
            use_request.approvers.set(approvers)
            record(
                "seal_use.requested",
                request=request,
                actor=by,
                company=seal.company,
                obj=use_request,
                seal=seal.code,
                contract=contract.pk,
                reason=reason,
                approvers=[u.pk for u in approvers],
                mode=mode,
            )
            for user in approvers:
                _tell(
                    user,
                    lambda: _("Seal use request: %(seal)s") % {"seal": seal.name},
                    lambda: (
                        _(
                            "%(who)s asks to stamp %(title)s with %(seal)s. Reason: %(reason)s\n"
                            "%(link)s"
                        )
                        % {
                            "who": by.display_name,
                            "title": contract.title,
                            "seal": seal.name,
                            "reason": reason,
                            "link": settings.SITE_URL + reverse("approvals"),
                        }
                    ),
                )
    except IntegrityError:
        raise RequestError(
            _("Your request to use this seal is waiting for approval."), code="request.pending"
        ) from None
    return use_request


def decide(use_request: UseRequest, *, by, approve: bool, comment: str, request=None) -> UseRequest:
    """``by`` approves or rejects ``use_request`` with ``comment`` (required to reject). Under
    the request's row lock: one decision per approver; mode ``any``: the first decision
    decides; mode ``all``: approved when every approver approved, rejected at the first
    rejection. Raises :class:`RequestError` (nothing written) when ``by`` may not decide."""
    comment = " ".join((comment or "").split())
    if len(comment) > COMMENT_MAX:
        raise RequestError(
            _("Keep the comment under %(n)d characters.") % {"n": COMMENT_MAX},
            code="comment.long",
        )
    if not approve and not comment:
        raise RequestError(_("Say why you reject the request."), code="comment.missing")
    with transaction.atomic():
        fresh = (
            UseRequest.objects.select_for_update(of=("self",))
            .select_related("seal", "seal__company", "contract", "requester")
            .get(pk=use_request.pk)
        )
        if not permissions.can_decide_use_request(by, fresh):
            if fresh.state != RequestState.PENDING:
                raise RequestError(
                    _("This request was already decided or withdrawn."), code="decide.closed"
                )
            raise RequestError(_("You may not decide this request."), code="decide.refused")
        if is_expired(fresh):
            raise RequestError(
                _("The contract is no longer being signed: this request has expired."),
                code="decide.expired",
            )
        now = timezone.now()
        verdict = UseDecision.Verdict.APPROVE if approve else UseDecision.Verdict.REJECT
        UseDecision.objects.create(
            request=fresh, approver=by, verdict=verdict, comment=comment, decided_at=now
        )
        if not approve:
            fresh.state = RequestState.REJECTED
        elif fresh.mode == ApprovalMode.ANY:
            fresh.state = RequestState.APPROVED
        else:
            approved = set(
                fresh.decisions.filter(verdict=UseDecision.Verdict.APPROVE).values_list(
                    "approver_id", flat=True
                )
            )
            if approved >= {a.pk for a in fresh.approvers.all()}:
                fresh.state = RequestState.APPROVED
        if fresh.state != RequestState.PENDING:
            fresh.decided_at = now
            fresh.save(update_fields=["state", "decided_at"])
        record(
            "seal_use.approved" if approve else "seal_use.rejected",
            request=request,
            actor=by,
            company=fresh.seal.company,
            obj=fresh,
            seal=fresh.seal.code,
            contract=fresh.contract_id,
            comment=comment,
            state=fresh.state,
        )
        if fresh.state != RequestState.PENDING:
            _tell_requester(fresh, comment)
    return fresh


def _tell_requester(use_request: UseRequest, comment: str) -> None:
    link = settings.SITE_URL + reverse("contract_sign", args=[use_request.contract_id])
    seal, title = use_request.seal.name, use_request.contract.title
    approved = use_request.state == RequestState.APPROVED

    def subject():
        if approved:
            return _("Approved: stamp %(title)s with %(seal)s") % {"title": title, "seal": seal}
        return _("Rejected: stamp %(title)s with %(seal)s") % {"title": title, "seal": seal}

    def body():
        if approved:
            text = _("Your request to stamp %(title)s with %(seal)s was approved. Sign: %(link)s")
        else:
            text = _("Your request to stamp %(title)s with %(seal)s was rejected. %(link)s")
        text = text % {"title": title, "seal": seal, "link": link}
        if comment:
            text += "\n" + _("Comment: %(comment)s") % {"comment": comment}
        return text

    _tell(use_request.requester, subject, body)


def withdraw(use_request: UseRequest, *, by, request=None) -> UseRequest:
    """The requester withdraws their request while it waits."""
    with transaction.atomic():
        fresh = (
            UseRequest.objects.select_for_update(of=("self",))
            .select_related("seal", "seal__company")
            .get(pk=use_request.pk)
        )
        if fresh.requester_id != getattr(by, "pk", None):
            raise RequestError(_("Only the requester may withdraw it."), code="withdraw.refused")
        if fresh.state != RequestState.PENDING:
            raise RequestError(
                _("This request was already decided or withdrawn."), code="withdraw.closed"
            )
        fresh.state = RequestState.CANCELLED
        fresh.decided_at = timezone.now()
        fresh.save(update_fields=["state", "decided_at"])
        record(
            "seal_use.withdrawn",
            request=request,
            actor=by,
            company=fresh.seal.company,
            obj=fresh,
            seal=fresh.seal.code,
            contract=fresh.contract_id,
        )
    return fresh


def is_expired(use_request: UseRequest, now=None) -> bool:
    """Whether a waiting or approved request can no longer be used: its contract is no longer
    being signed or is past its deadline (an approval ends with the contract)."""
    if use_request.state not in (RequestState.PENDING, RequestState.APPROVED):
        return False
    contract = use_request.contract
    if contract.state != "signing":
        return True
    deadline = getattr(contract, "deadline", None)
    return deadline is not None and timezone.localdate(now or timezone.now()) > deadline


def waiting_for(user):
    """The requests waiting for ``user``'s decision (a queryset), oldest first."""
    return (
        UseRequest.objects.filter(
            approvers=user, state=RequestState.PENDING, contract__state="signing"
        )
        .exclude(decisions__approver=user)
        .exclude(requester=user)
        .order_by("created_at", "pk")
    )


def _tell(user, subject_fn, body_fn) -> None:
    address = user.phone or user.email or user.login
    if not address:
        return
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject, body = str(subject_fn()), str(body_fn())
    transaction.on_commit(partial(_deliver, address, subject, body))


def _deliver(address: str, subject: str, body: str) -> None:
    from chop.accounts.senders import send_message

    try:
        send_message(address, subject, body)
    except Exception as exc:  # a failed notice must not undo the step (it is audited)
        log.warning("could not send a seal use notice: %s", exc)

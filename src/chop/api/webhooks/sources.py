"""Where webhook events come from: the audit log, the stamping records, and the grant clock.

Every state change the API reports is already written as an audit event (or, for a stamp, a
stamping record) in the transaction that made it, so listening to those inserts catches every
path (web pages, API, tasks) without touching the services, and a rolled-back change rolls its
messages back with it (``outbox.publish`` enqueues only after commit).

Payloads are thin: ids and states, never links, tokens, names of people or contact details; the
receiver fetches what it needs through the API with its key.

``contract.viewed`` comes from the first time a party's person opens the signing page
(``contracts.participants.note_viewed``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from . import outbox

log = logging.getLogger(__name__)

# audit action -> webhook event type
CONTRACT_ACTIONS = {
    "contract.created": "contract.created",
    "contract.sent": "contract.sent",
    "contract.viewed": "contract.viewed",
    "contract.party_signed": "contract.signed",
    "contract.declined": "contract.declined",
    "contract.revoked": "contract.revoked",
    "contract.expired": "contract.expired",
    "contract.completed": "contract.completed",
}
SEAL_ACTIONS = {
    "seal.created": "seal.created",
    "seal.uploaded": "seal.created",  # an uploaded impression is a new seal waiting for review
    "seal.approved": "seal.reviewed",
    "seal.rejected": "seal.reviewed",
    "seal.disabled": "seal.disabled",
    "seal.revoked": "seal.revoked",
}
GRANT_ACTIONS = {"grant.created": "grant.created", "grant.revoked": "grant.revoked"}
EVIDENCE_ACTIONS = {"evidence.report_ready": "evidence.ready"}

# grants that expired longer ago than this when the clock first sees them are not announced
# (the first run after an upgrade would otherwise send every old expiry at once)
EXPIRY_LOOKBACK = dt.timedelta(days=7)


def connect() -> None:
    post_save.connect(on_audit_event, sender="audit.AuditEvent", dispatch_uid="api-webhooks-audit")
    for signal in (post_save, post_delete):
        signal.connect(
            _endpoints_changed, sender="api.WebhookEndpoint", dispatch_uid="api-webhooks-memo"
        )
    post_save.connect(
        on_stamp_record, sender="contracts.StampRecord", dispatch_uid="api-webhooks-stamp"
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def on_audit_event(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or not created:
        return
    action = instance.action
    if action in CONTRACT_ACTIONS:
        _contract_event(CONTRACT_ACTIONS[action], instance)
    elif action in SEAL_ACTIONS:
        _seal_event(SEAL_ACTIONS[action], instance)
    elif action in GRANT_ACTIONS:
        _grant_event(GRANT_ACTIONS[action], instance)
    elif action in EVIDENCE_ACTIONS:
        contract_id, report_id = _int(instance.object_id), _int(instance.data.get("report"))
        if contract_id and report_id:
            outbox.publish(
                [instance.company_id],
                EVIDENCE_ACTIONS[action],
                {"report_id": report_id, "contract_id": contract_id},
            )


# Whether a contract has listeners, remembered for the rest of the transaction that asked: one
# signing act records several contract events, and the answer cannot change within it except
# by an endpoint this process saves (which clears it) or by sending the contract (asked anew).
_memo = threading.local()
_endpoint_changes = 0


def _endpoints_changed(**kwargs) -> None:
    global _endpoint_changes
    _endpoint_changes += 1


def _transaction_memo() -> dict | None:
    """This transaction's memo, or None outside one. Django gives every transaction (and every
    rolled-back savepoint) a new ``run_on_commit`` list, so that list names the transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    mark = (connection.run_on_commit, _endpoint_changes)
    held = getattr(_memo, "held", None)
    if held is None or held[0] is not mark[0] or held[1] != mark[1]:
        held = _memo.held = (mark[0], mark[1], {})
    return held[2]


def _listening(contract_id: int, *, fresh: bool = False) -> bool:
    """Whether any company that would hear about the contract has an enabled endpoint: one
    query, so that a contract whose companies have none (the common case) costs no more. The
    same companies as :func:`_contract_event`: the initiator, and once sent, the parties'."""
    from chop.contracts.models import Contract, Participant

    from ..models import WebhookEndpoint

    memo = _transaction_memo()
    if memo is not None and not fresh and contract_id in memo:
        return memo[contract_id]
    owner = Contract.objects.filter(pk=contract_id).values("company_id")
    parties = Participant.objects.filter(
        contract_id=contract_id, contract__sent_at__isnull=False, company__isnull=False
    ).values("company_id")
    found = (
        WebhookEndpoint.objects.filter(enabled=True)
        .filter(Q(company_id__in=owner) | Q(company_id__in=parties))
        .exists()
    )
    if memo is not None:
        memo[contract_id] = found
    return found


def _contract_event(event_type: str, event) -> None:
    from chop.contracts.models import Contract

    contract_id = _int(event.object_id)
    # sending makes the parties' companies listeners too: ask anew then
    fresh = event.action == "contract.sent"
    if contract_id is None or not _listening(contract_id, fresh=fresh):
        return
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        return
    companies = {contract.company_id}
    if contract.sent_at is not None:
        # once sent, the other companies are parties to it and hear about it too
        companies.update(
            contract.participants.filter(company__isnull=False).values_list("company_id", flat=True)
        )
    data: dict = {"contract_id": contract.pk, "state": contract.state}
    participant = _int(event.data.get("participant"))
    if participant and event_type in ("contract.viewed", "contract.signed", "contract.declined"):
        data["participant_id"] = participant
    outbox.publish(companies, event_type, data)


def _seal_event(event_type: str, event) -> None:
    from chop.seals.models import Seal

    seal = Seal.objects.filter(pk=_int(event.object_id)).first()
    if seal is None or not event.company_id:
        return
    data: dict = {"seal_id": seal.pk, "kind": seal.kind, "state": seal.status}
    if event_type == "seal.reviewed":
        data["decision"] = "approved" if event.action == "seal.approved" else "rejected"
    outbox.publish([event.company_id], event_type, data)


def _grant_event(event_type: str, event) -> None:
    from chop.grants.models import Grant

    grant = Grant.objects.filter(pk=_int(event.object_id)).first()
    if grant is None:
        return
    outbox.publish(
        [event.company_id or grant.company_id],
        event_type,
        {"grant_id": grant.pk, "seal_id": grant.seal_id},
    )


def on_stamp_record(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or not created or not instance.company_id:
        return  # a person's own signature belongs to no company
    if not _listening(instance.contract_id):
        # the stamping company is a party to the sent contract, so it is among the companies
        # asked about; the answer is remembered for the act's contract events that follow
        return
    outbox.publish(
        [instance.company_id],
        "stamp.applied",
        {
            "stamp_id": instance.pk,
            "contract_id": instance.contract_id,
            "seal_id": instance.seal_id,
            "participant_id": instance.act.participant_id,
            "authorisation_kind": instance.authorisation_kind,
        },
    )


def announce_expired_grants(now: dt.datetime | None = None) -> int:
    """Publish ``grant.expired`` once for each grant whose end has passed (and that was not
    revoked before it), remembering each in ``GrantExpiryAnnounced``. Returns how many."""
    from chop.grants.models import Grant

    from ..models import GrantExpiryAnnounced

    now = now or timezone.now()
    due = (
        Grant.objects.filter(ends_at__lte=now, ends_at__gt=now - EXPIRY_LOOKBACK)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=F("ends_at")))
        .exclude(pk__in=GrantExpiryAnnounced.objects.values("grant_id"))
        .order_by("ends_at", "pk")
    )
    count = 0
    for grant in due:
        try:
            with transaction.atomic():
                GrantExpiryAnnounced.objects.create(grant=grant, announced_at=now)
                outbox.publish(
                    [grant.company_id],
                    "grant.expired",
                    {"grant_id": grant.pk, "seal_id": grant.seal_id},
                )
        except IntegrityError:
            continue  # another clock announced it first
        count += 1
    return count


def requeue_overdue(now: dt.datetime | None = None, grace=dt.timedelta(minutes=1)) -> int:
    """Enqueue again every pending delivery whose next try is more than ``grace`` overdue (its
    task was lost, or the backend cannot defer). The claim in ``sender.attempt`` keeps a
    delivery that is also still queued from being sent twice."""
    from ..models import WebhookDelivery
    from ..tasks import deliver_webhook

    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lt=now - grace
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        deliver_webhook.enqueue(pk)
    return len(ids)

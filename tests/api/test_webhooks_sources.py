"""Where webhook events come from: contract, seal, grant and evidence changes made through the
services reach the right companies (and nothing from a rolled-back transaction), a real signing
announces ``stamp.applied``, the clock announces each grant expiry once, and no payload carries a
link, a token or a person's details."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from chop.api.models import GrantExpiryAnnounced, WebhookDelivery, WebhookMessage
from tests.contracts.signing_support import (
    add_party,
    official_seal,
    send,
    sign_as,
    signing_world,  # noqa: F401  (fixture)
    upload,
)
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)

from .webhook_support import headers_of, make_endpoint, running_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    yield from running_receiver(settings)


@pytest.fixture
def hooked(signing_world, receiver):  # noqa: F811
    """Companies A and B, each with an endpoint (every event) at the local receiver."""
    w = signing_world
    w["ep_a"] = make_endpoint(w["a"], w["a_owner"], receiver.url("/a"))
    w["ep_b"] = make_endpoint(w["b"], w["b_owner"], receiver.url("/b"))
    return w


def events(company=None) -> list[str]:
    messages = WebhookMessage.objects.order_by("created_at", "pk")
    if company is not None:
        messages = messages.filter(company=company)
    return [m.type for m in messages]


def message(company, event_type) -> dict:
    return WebhookMessage.objects.filter(company=company, type=event_type).latest("pk").payload


URL_OR_TOKEN = re.compile(r"https?://|/s/|token|whsec_|chop_|@|\b1[3-9]\d{9}\b", re.I)


def assert_thin(people=()) -> None:
    """No payload carries a link, a token, an e-mail address or phone number, or a name."""
    for m in WebhookMessage.objects.all():
        text = json.dumps(m.payload, ensure_ascii=False)
        assert not URL_OR_TOKEN.search(text), text
        for person in people:
            assert person.display_name not in text, text
        assert set(m.payload) == {"type", "timestamp", "data"}
        assert all(
            k.endswith("_id") or k in ("state", "kind", "decision", "authorisation_kind")
            for k in m.payload["data"]
        ), text


def test_contract_events_reach_the_initiator_and_after_sending_every_party_company(
    hooked, receiver, django_capture_on_commit_callbacks
):
    w = hooked
    with django_capture_on_commit_callbacks(execute=True):
        contract = upload(w["a"], w["a_owner"])
    assert events() == ["contract.created"]  # a draft is the initiator's own business
    assert message(w["a"], "contract.created")["data"] == {
        "contract_id": contract.pk,
        "state": "draft",
    }

    add_party(contract, company=w["a"], user=w["a_keeper"])
    add_party(contract, company=w["b"])
    add_party(contract, user=w["person"])  # a person party: no company to tell
    with django_capture_on_commit_callbacks(execute=True):
        send(contract, w["a_owner"])
    assert events(w["a"]) == ["contract.created", "contract.sent"]
    assert events(w["b"]) == ["contract.sent"]
    assert message(w["b"], "contract.sent")["data"] == {
        "contract_id": contract.pk,
        "state": "signing",
    }

    from chop.contracts import sending

    with django_capture_on_commit_callbacks(execute=True):
        sending.revoke(contract, by=w["a_owner"], reason="条款有误")
    assert events(w["a"])[-1] == "contract.revoked" and events(w["b"])[-1] == "contract.revoked"
    assert message(w["b"], "contract.revoked")["data"]["state"] == "revoked"

    # every message went out, each to its own company's endpoint, and verifies there
    assert WebhookDelivery.objects.filter(state="delivered").count() == 5
    assert sorted(r.path for r in receiver.received) == ["/a"] * 3 + ["/b"] * 2
    for got in receiver.received:
        secret = (w["ep_a"] if got.path == "/a" else w["ep_b"]).secret
        body = Webhook(secret).verify(got.body, headers_of(got))
        assert body["data"]["contract_id"] == contract.pk
    assert_thin([w["a_owner"], w["a_keeper"], w["b_owner"], w["person"]])


def test_a_rolled_back_change_publishes_nothing(
    hooked, receiver, django_capture_on_commit_callbacks
):
    w = hooked
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        upload(w["a"], w["a_owner"])
        assert events() == ["contract.created"]  # inside: made with the change
        raise RuntimeError("the change fails after its audit event")
    assert events() == [] and not WebhookDelivery.objects.exists()
    assert receiver.received == []
    assert not any("deliver" in repr(c) for c in callbacks)


def test_a_real_signing_announces_the_stamp_and_the_signature(
    hooked, receiver, django_capture_on_commit_callbacks
):
    from chop.contracts.models import StampRecord

    w = hooked
    contract = upload(w["a"], w["a_owner"])
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    pb = add_party(contract, company=w["b"], user=w["b_owner"])
    send(contract, w["a_owner"])
    pa.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        act = sign_as(pa, w["a_keeper"])
    record = StampRecord.objects.get(act=act)
    stamp = message(w["a"], "stamp.applied")["data"]
    assert stamp == {
        "stamp_id": record.pk,
        "contract_id": contract.pk,
        "seal_id": official_seal(w["a"]).pk,
        "participant_id": pa.pk,
        "authorisation_kind": record.authorisation_kind,
    }
    assert "stamp.applied" not in events(w["b"])  # B's records are B's own stamps only
    signed = message(w["b"], "contract.signed")["data"]
    assert signed == {"contract_id": contract.pk, "state": "signing", "participant_id": pa.pk}

    pb.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        sign_as(pb, w["b_owner"])
    assert events(w["b"])[-3:] == ["stamp.applied", "contract.signed", "contract.completed"]
    assert message(w["a"], "contract.completed")["data"] == {
        "contract_id": contract.pk,
        "state": "completed",
    }
    got = [r for r in receiver.received if json.loads(r.body)["type"] == "stamp.applied"]
    assert len(got) == 2
    for r in got:
        Webhook((w["ep_a"] if r.path == "/a" else w["ep_b"]).secret).verify(r.body, headers_of(r))
    assert_thin([w["a_owner"], w["a_keeper"], w["b_owner"], w["person"]])


def test_seal_and_grant_events_go_to_the_seal_company_only(hooked):
    from chop.grants import granting
    from chop.seals import lifecycle

    w = hooked
    seal = official_seal(w["a"])
    made = granting.grant(seal, by=w["a_owner"], members=[w["a_keeper"]])
    assert message(w["a"], "grant.created")["data"] == {"grant_id": made.pk, "seal_id": seal.pk}
    granting.revoke(made, by=w["a_owner"])
    assert message(w["a"], "grant.revoked")["data"] == {"grant_id": made.pk, "seal_id": seal.pk}
    lifecycle.change_state(seal, "disable", by=w["a_owner"], reason="暂停使用")
    assert message(w["a"], "seal.disabled")["data"] == {
        "seal_id": seal.pk,
        "kind": "official",
        "state": "disabled",
    }
    lifecycle.change_state(seal, "revoke", by=w["a_owner"], reason="印章遗失")
    assert message(w["a"], "seal.revoked")["data"]["state"] == "revoked"
    assert events(w["b"]) == []
    assert_thin([w["a_owner"], w["a_keeper"]])


def test_seal_review_and_evidence_ready_are_announced(hooked):
    from chop.audit.events import record
    from chop.seals.models import Seal

    w = hooked
    seal = official_seal(w["a"])
    Seal.objects.filter(pk=seal.pk).update(status="pending")  # as an uploaded impression waits
    seal.refresh_from_db()
    from chop.seals import lifecycle

    lifecycle.change_state(seal, "approve", by=w["a_owner"])
    reviewed = message(w["a"], "seal.reviewed")["data"]
    assert reviewed == {
        "seal_id": seal.pk,
        "kind": "official",
        "state": "active",
        "decision": "approved",
    }

    contract = upload(w["a"], w["a_owner"])
    # what evidence.reports writes when a report is done (the report itself needs LibreOffice)
    record(
        "evidence.report_ready",
        actor=None,
        company=w["a"],
        obj=contract,
        report=41,
        sha256="0" * 64,
    )
    assert message(w["a"], "evidence.ready")["data"] == {
        "report_id": 41,
        "contract_id": contract.pk,
    }
    assert_thin([w["a_owner"]])


def test_a_grant_expiry_is_announced_once(hooked, receiver, django_capture_on_commit_callbacks):
    from chop.grants.models import Grant

    w = hooked
    seal = official_seal(w["a"])
    now = timezone.now()
    ended = Grant.objects.create(
        company=w["a"],
        seal=seal,
        starts_at=now - dt.timedelta(days=3),
        ends_at=now - dt.timedelta(minutes=5),
    )
    Grant.objects.create(  # still running
        company=w["a"],
        seal=seal,
        starts_at=now - dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=1),
    )
    Grant.objects.create(  # revoked before its end: that was grant.revoked, not an expiry
        company=w["a"],
        seal=seal,
        starts_at=now - dt.timedelta(days=3),
        ends_at=now - dt.timedelta(minutes=5),
        revoked_at=now - dt.timedelta(days=1),
    )
    Grant.objects.create(  # ended long before webhooks were watching
        company=w["a"],
        seal=seal,
        starts_at=now - dt.timedelta(days=90),
        ends_at=now - dt.timedelta(days=60),
    )
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("webhook_clock", stdout=out)
    assert "1 grant expiries announced" in out.getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("webhook_clock", stdout=io.StringIO())
    assert events(w["a"]) == ["grant.expired"]
    assert message(w["a"], "grant.expired")["data"] == {"grant_id": ended.pk, "seal_id": seal.pk}
    assert list(GrantExpiryAnnounced.objects.values_list("grant_id", flat=True)) == [ended.pk]
    (got,) = receiver.received
    assert Webhook(w["ep_a"].secret).verify(got.body, headers_of(got))["type"] == "grant.expired"


def test_the_first_look_of_a_party_is_contract_viewed_once(
    hooked, client, django_capture_on_commit_callbacks
):
    """B's owner opening the signing page is recorded once (audit, evidence) and announced as
    ``contract.viewed`` to A and B, naming B's party; a second visit adds nothing."""
    from chop.audit.models import AuditEvent
    from tests.conftest import log_in

    w = hooked
    contract = upload(w["a"], w["a_owner"])
    party_b = add_party(contract, company=w["b"])  # first in order: B's turn now
    add_party(contract, company=w["a"], user=w["a_keeper"])
    send(contract, w["a_owner"])
    log_in(client, w["b_owner"], w["b"])
    for _visit in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(f"/contracts/{contract.pk}/sign/").status_code == 200
    viewed = AuditEvent.objects.filter(action="contract.viewed", object_id=str(contract.pk))
    assert viewed.count() == 1 and viewed.get().data == {"participant": party_b.pk}
    assert events(w["a"]).count("contract.viewed") == 1
    assert message(w["b"], "contract.viewed")["data"] == {
        "contract_id": contract.pk,
        "state": "signing",
        "participant_id": party_b.pk,
    }

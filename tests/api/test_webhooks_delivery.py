"""Webhook delivery against a real local receiver: every request checked with the
``standardwebhooks`` package from PyPI (not Chop's code), secret rotation, retries with backoff,
410, redirects not followed, the timeout, the SSRF guard at send time, and the claim that keeps
two workers from sending one delivery twice."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from chop.api.models import WebhookAttempt, WebhookDelivery, WebhookMessage
from chop.api.webhooks import outbox, secrets, sender, sources

from .webhook_support import (
    Answer,
    Receiver,
    headers_of,
    make_endpoint,
    running_receiver,
    tls_files,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    yield from running_receiver(settings)


DATA = {"contract_id": 7, "state": "signing"}


@pytest.fixture
def world(make_company, make_user):
    owner = make_user("甲方老板")
    return {"company": make_company("甲方科技有限公司", owner=owner), "owner": owner}


def publish(company, django_capture_on_commit_callbacks, event="contract.sent", data=None):
    """Publish and commit: the delivery task runs at once (the tests' immediate backend)."""
    with django_capture_on_commit_callbacks(execute=True):
        messages = outbox.publish([company.pk], event, data or DATA)
    return messages


def only_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("endpoint", "message").get()


def overdue(delivery: WebhookDelivery) -> None:
    """Let the backoff pass: the next try is now more than a minute overdue."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=2)
    )


def test_a_delivery_is_signed_as_standard_webhooks_expects(
    world, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(world["company"], world["owner"], receiver.url())
    (message,) = publish(world["company"], django_capture_on_commit_callbacks)
    (got,) = receiver.received
    assert got.path == "/hook"
    payload = Webhook(endpoint.secret).verify(got.body, headers_of(got))
    assert payload == {
        "type": "contract.sent",
        "timestamp": message.payload["timestamp"],
        "data": DATA,
    }
    assert got.headers["webhook-id"] == message.msg_id
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "Chop-Webhooks/1"
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
    # compact, in the same order on every database
    assert got.body == (
        b'{"type":"contract.sent","timestamp":"%s","data":{"contract_id":7,"state":"signing"}}'
        % message.payload["timestamp"].encode()
    )

    delivery = only_delivery()
    assert delivery.state == "delivered" and delivery.finished_at and delivery.attempts == 1
    assert delivery.next_attempt_at is None
    (try_,) = delivery.tries.all()
    assert try_.status_code == 200 and try_.response_excerpt == "ok" and not try_.error
    assert try_.request_headers["webhook-signature"] == got.headers["webhook-signature"]
    assert try_.request_excerpt == got.body.decode()
    stored = json.dumps([try_.request_headers, try_.request_excerpt, try_.response_excerpt])
    assert endpoint.secret not in stored and endpoint.secret.removeprefix("whsec_") not in stored


def test_an_endpoint_gets_only_the_events_it_asked_for(
    world, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(world["company"], world["owner"], receiver.url(), events=["contract.completed"])
    assert publish(world["company"], django_capture_on_commit_callbacks) == []
    assert receiver.received == [] and not WebhookMessage.objects.exists()


def test_rotation_signs_with_both_secrets_for_the_overlap_then_only_the_new(
    world, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(world["company"], world["owner"], receiver.url())
    old = endpoint.secret
    new = secrets.rotate(endpoint)
    assert new != old
    publish(world["company"], django_capture_on_commit_callbacks)
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, headers_of(got))  # a receiver not yet switched
    Webhook(new).verify(got.body, headers_of(got))  # a receiver already switched

    endpoint.refresh_from_db()
    endpoint.previous_until = timezone.now() - dt.timedelta(seconds=1)  # the day is over
    endpoint.save()
    publish(world["company"], django_capture_on_commit_callbacks)
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(got.body, headers_of(got))
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, headers_of(got))


def test_a_500_is_retried_after_the_backoff_and_then_delivered(
    world, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(world["company"], world["owner"], receiver.url())
    receiver.answer(Answer(500, b"database down"), Answer(200))
    before = timezone.now()
    publish(world["company"], django_capture_on_commit_callbacks)
    delivery = only_delivery()
    # one try; the immediate backend cannot defer, so nothing ran it again by itself
    assert delivery.state == "pending" and delivery.attempts == 1
    assert before < delivery.next_attempt_at <= timezone.now() + dt.timedelta(seconds=5)
    (first,) = delivery.tries.all()
    assert first.status_code == 500 and first.response_excerpt == "database down"

    # not yet due: a stray task does nothing
    sender.attempt(delivery.pk)
    assert len(receiver.received) == 1

    overdue(delivery)
    assert sources.requeue_overdue() == 1  # the clock's part: enqueue the lost retry
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 2
    assert [t.status_code for t in delivery.tries.all()] == [500, 200]
    assert len(receiver.received) == 2
    # both tries carry the same message id, so the receiver can tell it is the same event
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    for got in receiver.received:
        Webhook(endpoint.secret).verify(got.body, headers_of(got))


def test_the_backoff_doubles_with_full_jitter_and_stops_after_a_day(world):
    rng = random.Random(7)
    for tries in range(1, 30):
        ceiling = min(sender.MAX_DELAY, sender.BASE_DELAY * 2 ** (tries - 1))
        for _ in range(20):
            delay = sender.retry_delay(tries, rng).total_seconds()
            assert 1.0 <= delay <= max(1.0, ceiling)
    assert max(sender.retry_delay(40, rng) for _ in range(200)) > dt.timedelta(hours=1)
    assert max(sender.retry_delay(40, rng) for _ in range(200)) <= dt.timedelta(hours=2)

    created = timezone.now()
    delivery = WebhookDelivery(created_at=created, attempts=30)
    later = created + dt.timedelta(hours=23, minutes=59)
    assert sender.next_try(delivery, later, rng) <= created + sender.GIVE_UP_AFTER  # capped
    assert sender.next_try(delivery, created + sender.GIVE_UP_AFTER, rng) is None


def test_a_retry_is_deferred_on_a_backend_that_can_defer_and_not_on_the_immediate_one(
    settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    when = timezone.now() + dt.timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert sender.enqueue_at(123, when) is False  # immediate: the clock will do it
    assert callbacks == []

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert sender.enqueue_at(123, when) is True
    (queued,) = DBTaskResult.objects.all()
    assert queued.run_after == when and queued.args_kwargs["args"] == [123]
    assert queued.task_path == "chop.api.tasks.deliver_webhook"


def test_a_410_disables_the_endpoint_and_fails_its_pending_deliveries(
    world, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(world["company"], world["owner"], receiver.url())
    receiver.answer(Answer(503), Answer(410, b"gone"))
    publish(world["company"], django_capture_on_commit_callbacks)  # 503: waits for a retry
    waiting = only_delivery()
    assert waiting.state == "pending"
    publish(world["company"], django_capture_on_commit_callbacks, event="contract.completed")
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at and endpoint.disabled_reason
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"failed"}
    assert all(d.finished_at for d in WebhookDelivery.objects.all())
    # a disabled endpoint gets nothing more
    assert publish(world["company"], django_capture_on_commit_callbacks) == []
    assert len(receiver.received) == 2


def test_a_redirect_is_not_followed(world, receiver, django_capture_on_commit_callbacks):
    make_endpoint(world["company"], world["owner"], receiver.url("/old"))
    receiver.answer(Answer(302, b"", headers={"Location": receiver.url("/target")}))
    publish(world["company"], django_capture_on_commit_callbacks)
    assert [r.path for r in receiver.received] == ["/old"]  # the target received nothing
    delivery = only_delivery()
    assert delivery.state == "pending"  # a 3xx is a failure: tried again later
    assert delivery.tries.get().status_code == 302


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_try(
    world, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    assert sender.TIMEOUT == 15
    monkeypatch.setattr(sender, "TIMEOUT", 0.3)
    make_endpoint(world["company"], world["owner"], receiver.url())
    receiver.answer(Answer(200, sleep=2))
    publish(world["company"], django_capture_on_commit_callbacks)
    delivery = only_delivery()
    assert delivery.state == "pending"
    try_ = delivery.tries.get()
    assert try_.status_code is None and "0.3" in try_.error
    assert try_.duration_ms < 1900


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://10.0.0.8/hook",
        "ftp://example.com/hook",
    ],
)
def test_private_targets_are_refused_at_send_time(
    world, receiver, settings, url, django_capture_on_commit_callbacks
):
    make_endpoint(world["company"], world["owner"], url.format(port=receiver.port))
    settings.CHOP_WEBHOOK_ALLOW_PRIVATE = False  # saved while allowed; refused when sending
    publish(world["company"], django_capture_on_commit_callbacks)
    assert receiver.received == []
    try_ = WebhookAttempt.objects.get()
    assert try_.status_code is None and try_.error and try_.request_headers


def test_the_request_goes_to_the_address_that_was_checked(
    world, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    """The sender connects to the address ``ssrf.resolve`` approved, not to a second lookup of
    the host name (which a hostile DNS server could answer differently), and says the real host
    in ``Host``."""
    checked = []

    def resolve(url):
        checked.append(url)
        return ["127.0.0.1"]

    monkeypatch.setattr(sender.ssrf, "resolve", resolve)
    url = f"http://hooks.receiver.invalid:{receiver.port}/hook?x=1"
    make_endpoint(world["company"], world["owner"], url)
    publish(world["company"], django_capture_on_commit_callbacks)
    assert checked == [url]
    (got,) = receiver.received
    assert got.path == "/hook?x=1"
    assert got.headers["host"] == f"hooks.receiver.invalid:{receiver.port}"
    assert only_delivery().state == "delivered"


def test_an_unreachable_first_address_falls_back_to_the_next_approved_one(
    world, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(sender.ssrf, "resolve", lambda url: ["::1", "127.0.0.1"])
    make_endpoint(world["company"], world["owner"], receiver.url())
    publish(world["company"], django_capture_on_commit_callbacks)
    assert len(receiver.received) == 1  # nothing listens on ::1 (refused), then 127.0.0.1
    assert only_delivery().state == "delivered"


def test_a_disabled_endpoint_is_not_sent_to_and_the_delivery_fails(world, receiver):
    endpoint = make_endpoint(world["company"], world["owner"], receiver.url())
    outbox.publish([world["company"].pk], "contract.sent", DATA)  # not committed: not sent yet
    endpoint.enabled = False
    endpoint.save()
    delivery = only_delivery()
    sender.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.finished_at
    assert delivery.tries.get().error and receiver.received == []


def test_only_one_worker_claims_a_delivery(world, receiver):
    make_endpoint(world["company"], world["owner"], receiver.url())
    outbox.publish([world["company"].pk], "contract.sent", DATA)
    delivery = only_delivery()
    now = timezone.now()
    assert sender.claim(delivery.pk, now) is True
    assert sender.claim(delivery.pk, now) is False  # the other worker finds it taken
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.next_attempt_at == now + sender.LEASE
    # a worker that died: after the lease the clock's re-enqueue may take it again
    assert sender.claim(delivery.pk, now + sender.LEASE + dt.timedelta(seconds=1)) is True


def test_the_give_up_time_fails_a_delivery_that_keeps_failing(
    world, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(world["company"], world["owner"], receiver.url())
    receiver.answer(Answer(500))
    publish(world["company"], django_capture_on_commit_callbacks)
    delivery = only_delivery()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - sender.GIVE_UP_AFTER - dt.timedelta(minutes=1)
    )
    overdue(delivery)
    sources.requeue_overdue()
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == 2 and delivery.finished_at
    assert sources.requeue_overdue() == 0


@pytest.mark.parametrize("certified", [True, False])
def test_https_is_pinned_to_the_checked_address_and_verifies_the_real_host(
    world, settings, tmp_path, monkeypatch, certified, django_capture_on_commit_callbacks
):
    """Connecting to the checked address does not weaken TLS: the handshake names the real host
    (SNI) and the certificate must be valid for it, chained to a trusted root."""
    settings.CHOP_WEBHOOK_ALLOW_PRIVATE = True
    host = "hooks.receiver.test"
    ca_file, context = tls_files(tmp_path, [host if certified else "someone-else.test"])
    monkeypatch.setattr(sender, "VERIFY", str(ca_file))
    monkeypatch.setattr(sender.ssrf, "resolve", lambda url: ["127.0.0.1"])
    tls = Receiver(tls=context)
    try:
        endpoint = make_endpoint(world["company"], world["owner"], f"https://{host}:{tls.port}/h")
        publish(world["company"], django_capture_on_commit_callbacks)
    finally:
        tls.close()
    delivery = only_delivery()
    if certified:
        (got,) = tls.received
        assert got.headers["host"] == f"{host}:{tls.port}"
        Webhook(endpoint.secret).verify(got.body, headers_of(got))
        assert delivery.state == "delivered"
    else:
        assert tls.received == []
        assert delivery.state == "pending" and delivery.tries.get().status_code is None
        assert "TLS" in delivery.tries.get().error  # the name does not match: refused

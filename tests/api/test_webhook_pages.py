"""The webhook pages: who may open them, a new endpoint (SSRF-checked address, events from
``api/events.py``) with its secret shown once, edit, enable/disable, rotation that keeps the old
secret signing for a day, delete, the delivery log and replay, audit, Chinese and English."""

from __future__ import annotations

import datetime as dt
import re
import socket

import pytest
from django.utils import timezone

from chop.api.events import EVENT_TYPES
from chop.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from chop.api.webhooks import secrets
from chop.audit.models import AuditEvent
from chop.orgs.models import Role

SECRET_RE = re.compile(r"whsec_[A-Za-z0-9+/=]{20,}")
PUBLIC = "https://hooks.example.com/chop"

ADDRESSES = {"hooks.example.com": "93.184.216.34", "intranet.example.com": "10.0.0.5"}


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """Names resolve without the network: one public host, one on a private network."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in ADDRESSES:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ADDRESSES[host], port))]
        if host.endswith(".invalid"):
            raise socket.gaierror("no such host")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("chop.api.webhooks.ssrf.socket.getaddrinfo", fake)


@pytest.fixture
def owner(team, login):
    return login(team["users"][Role.OWNER], team["company"])


def _add(client, url=PUBLIC, events=None, description="ERP 回调"):
    data = {"url": url, "description": description, "events": events or list(EVENT_TYPES)}
    return client.post("/webhooks/new/", data)


def _endpoint(team, **fields) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        company=team["company"],
        url=fields.pop("url", PUBLIC),
        secret=secrets.new_secret(),
        created_by=team["users"][Role.OWNER],
        **fields,
    )


def _delivery(endpoint, state="delivered", type_="contract.completed", attempts=1):
    now = timezone.now()
    message = WebhookMessage.objects.create(
        company=endpoint.company,
        msg_id=f"msg_{WebhookMessage.objects.count()}_test",
        type=type_,
        payload={"type": type_, "timestamp": now.isoformat(), "data": {"contract_id": 7}},
    )
    delivery = WebhookDelivery.objects.create(
        message=message,
        endpoint=endpoint,
        state=state,
        attempts=attempts,
        finished_at=None if state == "pending" else now,
    )
    for n in range(attempts):
        WebhookAttempt.objects.create(
            delivery=delivery,
            request_headers={"webhook-id": message.msg_id, "webhook-signature": "v1,abc="},
            request_excerpt='{"type": "contract.completed"}',
            status_code=200 if state == "delivered" and n == attempts - 1 else 503,
            response_excerpt="ok" if state == "delivered" else "Service Unavailable",
            error="",
            duration_ms=120 + n,
        )
    return delivery


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_managers_open_the_pages(team, login, role):
    client = login(team["users"][role], team["company"])
    endpoint = _endpoint(team)
    delivery = _delivery(endpoint)
    for url in (
        "/webhooks/",
        "/webhooks/new/",
        f"/webhooks/{endpoint.pk}/",
        f"/webhooks/{endpoint.pk}/edit/",
        f"/webhooks/{endpoint.pk}/rotate/",
        f"/webhooks/{endpoint.pk}/delete/",
        f"/webhooks/deliveries/{delivery.pk}/",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role", [Role.SEAL_KEEPER, Role.SEAL_APPROVER, Role.SEAL_USER, Role.MEMBER]
)
def test_other_members_are_turned_away(team, login, role):
    endpoint = _endpoint(team)
    delivery = _delivery(endpoint)
    client = login(team["users"][role], team["company"])
    page = client.get("/webhooks/")
    assert page.status_code == 403 and b'data-testid="forbidden"' in page.content
    assert _add(client).status_code == 403
    for url in (
        f"/webhooks/{endpoint.pk}/",
        f"/webhooks/{endpoint.pk}/edit/",
        f"/webhooks/{endpoint.pk}/rotate/",
        f"/webhooks/{endpoint.pk}/delete/",
        f"/webhooks/deliveries/{delivery.pk}/",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code in (403, 405), url
    assert client.post(f"/webhooks/{endpoint.pk}/enabled/", {"enabled": "0"}).status_code == 403
    assert client.post(f"/webhooks/deliveries/{delivery.pk}/replay/").status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.enabled and WebhookEndpoint.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


def test_personal_space_explains(make_user, login):
    page = login(make_user("个人")).get("/webhooks/")
    assert page.status_code == 200 and b'data-testid="personal"' in page.content


def test_empty_state(owner):
    page = owner.get("/webhooks/").content.decode()
    assert 'data-testid="no-endpoints"' in page and 'href="/api/docs"' in page


def test_new_endpoint_shows_its_secret_once(team, owner):
    form = owner.get("/webhooks/new/").content.decode()
    for event_type in EVENT_TYPES:  # every event offered, ticked by default
        assert re.search(rf'value="{re.escape(event_type)}"[^>]*checked', form), event_type
    response = _add(owner)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    shown = SECRET_RE.search(response.content.decode()).group(0)
    assert shown == endpoint.secret
    assert endpoint.events == []  # every box ticked: all events, also later ones
    assert endpoint.company == team["company"] and endpoint.enabled
    assert shown not in owner.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert shown not in owner.get("/webhooks/").content.decode()
    assert shown not in str(dict(owner.session))
    event = AuditEvent.objects.get(action="webhook.created")
    assert event.data["url"] == PUBLIC and shown not in str(event.data)


def test_event_filter_is_kept(owner):
    _add(owner, events=["contract.completed", "stamp.applied"])
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["contract.completed", "stamp.applied"]
    assert endpoint.wants("stamp.applied") and not endpoint.wants("contract.sent")
    bad = owner.post("/webhooks/new/", {"url": PUBLIC, "description": ""})
    assert bad.status_code == 400 and "请至少选择一个事件。" in bad.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://127.0.0.1:8000/hook",
            "Webhook 只能发送到公网地址；该地址是内网、本机回环或保留地址。",
        ),
        ("https://intranet.example.com/hook", "Webhook 只能发送到公网地址"),
        ("http://169.254.169.254/latest/meta-data/", "Webhook 只能发送到公网地址"),
        ("https://user:pw@hooks.example.com/", "地址中请勿包含用户名和密码。"),
        ("https://nowhere.invalid/", "无法解析该主机名。"),
    ],
)
def test_ssrf_refusal_on_the_form(owner, url, message):
    response = _add(owner, url=url)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_ssrf_refusal_in_english(owner):
    owner.cookies["django_language"] = "en"
    response = _add(owner, url="http://10.1.2.3/hook")
    assert "Webhooks go to public addresses only" in response.content.decode()


def test_private_addresses_allowed_by_the_development_setting(owner, settings):
    settings.CHOP_WEBHOOK_ALLOW_PRIVATE = True
    assert _add(owner, url="http://127.0.0.1:9000/hook").status_code == 200
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:9000/hook"


def test_edit_checks_the_address_again_and_audits(team, owner):
    endpoint = _endpoint(team)
    bad = owner.post(
        f"/webhooks/{endpoint.pk}/edit/",
        {"url": "http://192.168.1.10/", "description": "", "events": ["seal.created"]},
    )
    assert bad.status_code == 400 and "Webhook 只能发送到公网地址" in bad.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC
    done = owner.post(
        f"/webhooks/{endpoint.pk}/edit/",
        {"url": PUBLIC + "/v2", "description": "新版", "events": ["seal.created"]},
    )
    assert done.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC + "/v2" and endpoint.events == ["seal.created"]
    event = AuditEvent.objects.get(action="webhook.changed")
    assert event.data["changed"] == ["description", "events", "url"]


def test_disable_and_enable(team, owner):
    endpoint = _endpoint(
        team, enabled=False, disabled_reason="410 Gone", disabled_at=timezone.now()
    )
    page = owner.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "410 Gone" in page
    owner.post(f"/webhooks/{endpoint.pk}/enabled/", {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_reason == "" and endpoint.disabled_at is None
    owner.post(f"/webhooks/{endpoint.pk}/enabled/", {"enabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at is not None
    assert AuditEvent.objects.filter(action="webhook.changed").count() == 2


def test_rotate_keeps_the_old_secret_until_the_overlap_ends(team, owner):
    endpoint = _endpoint(team)
    old = endpoint.secret
    confirm = owner.get(f"/webhooks/{endpoint.pk}/rotate/").content.decode()
    assert "24 小时" in confirm
    response = owner.post(f"/webhooks/{endpoint.pk}/rotate/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    endpoint.refresh_from_db()
    new = SECRET_RE.search(response.content.decode()).group(0)
    assert new == endpoint.secret != old and old not in response.content.decode()
    assert endpoint.previous_secret == old
    now = timezone.now()
    assert secrets.signing_secrets(endpoint, now) == [new, old]
    assert secrets.signing_secrets(endpoint, now + dt.timedelta(hours=23)) == [new, old]
    assert secrets.signing_secrets(endpoint, now + dt.timedelta(hours=24, minutes=1)) == [new]
    page = owner.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert 'data-testid="overlap"' in page and new not in page
    event = AuditEvent.objects.get(action="webhook.rotated")
    assert new not in str(event.data) and old not in str(event.data)


def test_delete(team, owner):
    endpoint = _endpoint(team)
    _delivery(endpoint)
    assert owner.get(f"/webhooks/{endpoint.pk}/delete/").status_code == 200
    done = owner.post(f"/webhooks/{endpoint.pk}/delete/")
    assert done.status_code == 302 and done["Location"] == "/webhooks/"
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.get(action="webhook.deleted").data["deliveries"] == 1


def test_delivery_log_is_newest_first_and_paged(team, owner):
    endpoint = _endpoint(team)
    made = [_delivery(endpoint, type_="seal.created") for _ in range(27)]
    page = owner.get(f"/webhooks/{endpoint.pk}/").content.decode()
    ids = [int(x) for x in re.findall(r'data-delivery="(\d+)"', page)]
    assert ids == [d.pk for d in reversed(made)][:25]
    assert 'href="?page=2"' in page
    second = owner.get(f"/webhooks/{endpoint.pk}/?page=2").content.decode()
    assert [int(x) for x in re.findall(r'data-delivery="(\d+)"', second)] == [
        made[1].pk,
        made[0].pk,
    ]
    assert "HTTP 200" in page and "印章已创建" in page


def test_list_shows_the_latest_delivery_and_recent_failures(team, owner):
    endpoint = _endpoint(team)
    _delivery(endpoint, state="failed", type_="contract.sent")
    _delivery(endpoint, state="delivered", type_="contract.completed")
    page = owner.get("/webhooks/").content.decode()
    assert "最近投递：" in page and "合同已完成" in page and "24 小时内放弃 1 次" in page


def test_delivery_page_shows_attempts(team, owner):
    endpoint = _endpoint(team)
    delivery = _delivery(endpoint, state="failed", attempts=3)
    page = owner.get(f"/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert page.count('data-testid="attempt"') == 3
    assert "webhook-signature" in page and "Service Unavailable" in page and "HTTP 503" in page
    assert "122 毫秒" in page and delivery.message.msg_id in page


def test_replay_creates_a_new_delivery(team, owner):
    endpoint = _endpoint(team)
    delivery = _delivery(endpoint, state="failed")
    response = owner.post(f"/webhooks/deliveries/{delivery.pk}/replay/")
    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert (
        response.status_code == 302 and response["Location"] == f"/webhooks/deliveries/{again.pk}/"
    )
    assert again.replay_of == delivery and again.message == delivery.message
    assert again.state == "pending" and again.endpoint == endpoint
    event = AuditEvent.objects.get(action="webhook.replayed")
    assert event.data["msg_id"] == delivery.message.msg_id and event.data["replay"] == again.pk
    page = owner.get(f"/webhooks/deliveries/{again.pk}/").content.decode()
    assert 'data-testid="replay"' not in page  # pending: nothing to replay yet
    assert owner.post(f"/webhooks/deliveries/{again.pk}/replay/").status_code == 302
    # a second click while the replay waits sends nothing more
    twice = owner.post(f"/webhooks/deliveries/{delivery.pk}/replay/")
    assert twice["Location"] == f"/webhooks/deliveries/{again.pk}/"
    assert WebhookDelivery.objects.count() == 2
    assert AuditEvent.objects.filter(action="webhook.replayed").count() == 1


def test_replay_refused_while_the_endpoint_is_disabled(team, owner):
    endpoint = _endpoint(team, enabled=False, disabled_at=timezone.now())
    delivery = _delivery(endpoint)
    owner.post(f"/webhooks/deliveries/{delivery.pk}/replay/")
    assert WebhookDelivery.objects.count() == 1


def test_another_companys_objects_are_404(team, owner, make_company, make_user):
    other_owner = make_user("别家老板")
    other = make_company("别家公司", owner=other_owner)
    endpoint = WebhookEndpoint.objects.create(
        company=other, url=PUBLIC, secret=secrets.new_secret(), created_by=other_owner
    )
    delivery = _delivery(endpoint)
    for url in (
        f"/webhooks/{endpoint.pk}/",
        f"/webhooks/{endpoint.pk}/edit/",
        f"/webhooks/{endpoint.pk}/rotate/",
        f"/webhooks/{endpoint.pk}/delete/",
        f"/webhooks/{endpoint.pk}/enabled/",
        f"/webhooks/deliveries/{delivery.pk}/",
        f"/webhooks/deliveries/{delivery.pk}/replay/",
    ):
        assert owner.post(url).status_code == 404, url
    endpoint.refresh_from_db()
    assert endpoint.enabled and WebhookDelivery.objects.count() == 1
    assert PUBLIC not in owner.get("/webhooks/").content.decode()


def test_pages_in_english(team, owner):
    owner.cookies["django_language"] = "en"
    assert "No webhook endpoints yet" in owner.get("/webhooks/").content.decode()
    endpoint = _endpoint(team)
    page = owner.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "Rotate the secret" in page and "Nothing was sent to this endpoint yet" in page
    owner.cookies["django_language"] = "zh-hans"
    page = owner.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "轮换签名密钥" in page and "尚未向该接收地址发送任何内容" in page


def test_an_edit_does_not_undo_a_rotation_made_meanwhile(team, owner, monkeypatch):
    """The edit form saves only its own fields: a rotation (or the sender disabling the
    endpoint) between loading and saving stays."""
    endpoint = _endpoint(team)
    from chop.api import forms

    def rotate_meanwhile(url):
        other = WebhookEndpoint.objects.get(pk=endpoint.pk)
        secrets.rotate(other)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
        return None

    monkeypatch.setattr(forms.ssrf, "refusal", rotate_meanwhile)
    owner.post(
        f"/webhooks/{endpoint.pk}/edit/",
        {"url": PUBLIC + "/v3", "description": "", "events": ["seal.created"]},
    )
    fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert fresh.url == PUBLIC + "/v3"
    assert fresh.previous_secret == endpoint.secret and fresh.secret != endpoint.secret
    assert not fresh.enabled


def test_changes_appear_in_the_account_events(team, owner):
    _add(owner)
    endpoint = WebhookEndpoint.objects.get()
    owner.post(f"/webhooks/{endpoint.pk}/rotate/")
    page = owner.get("/records/").content.decode()
    assert "添加 Webhook 接收地址" in page and "轮换 Webhook 签名密钥" in page
    assert PUBLIC in page and endpoint.secret not in page

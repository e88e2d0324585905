"""The API keys pages: who may open them, a key shown once that then works against /api/v1/,
revoking it at once, the audit trail (never the key), and the pages in Chinese and English."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from chop.api.models import ApiKey
from chop.audit.models import AuditEvent
from chop.orgs.models import Role

PATH = "/api/v1/contracts"
KEY_RE = re.compile(r"chop_[a-z0-9]{8}_[A-Za-z0-9_-]{20,}")


def _make_key(client, **fields) -> tuple:
    data = {"name": "ERP 生产", "scopes": ["read", "contracts"], "expiry": "90", **fields}
    response = client.post("/api-keys/new/", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    raw = KEY_RE.search(response.content.decode()).group(0)
    return response, raw


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_managers_open_the_pages(team, login, role):
    client = login(team["users"][role], team["company"])
    assert client.get("/api-keys/").status_code == 200
    assert client.get("/api-keys/new/").status_code == 200


@pytest.mark.parametrize(
    "role", [Role.SEAL_KEEPER, Role.SEAL_APPROVER, Role.SEAL_USER, Role.MEMBER]
)
def test_other_members_are_turned_away(team, login, make_key, role):
    key, _raw = make_key(team["company"], team["users"][Role.OWNER])
    client = login(team["users"][role], team["company"])
    page = client.get("/api-keys/")
    assert page.status_code == 403 and b'data-testid="forbidden"' in page.content
    assert client.get("/api-keys/new/").status_code == 403
    assert (
        client.post("/api-keys/new/", {"name": "x", "scopes": ["read"], "expiry": "30"}).status_code
        == 403
    )
    assert client.post(f"/api-keys/{key.pk}/revoke/").status_code == 403
    assert ApiKey.objects.count() == 1 and ApiKey.objects.get().revoked_at is None


def test_personal_space_explains_and_anonymous_logs_in(make_user, login, client):
    page = login(make_user("个人")).get("/api-keys/")
    assert page.status_code == 200 and b'data-testid="personal"' in page.content
    assert client.get("/api-keys/").status_code == 302


def test_empty_state_says_what_a_key_is_for(company_key, login, make_company, make_user):
    owner = make_user("新老板")
    company = make_company("空公司", owner=owner)
    page = login(owner, company).get("/api-keys/").content.decode()
    assert 'data-testid="no-keys"' in page
    assert 'href="/api/docs"' in page and "docs/api.md" in page


def test_key_is_shown_once_and_works(team, login, api_client):
    owner = team["users"][Role.OWNER]
    client = login(owner, team["company"])
    response, raw = _make_key(client)
    assert "no-store" in response["Cache-Control"]
    assert raw not in response.get("Location", "")
    key = ApiKey.objects.get()
    assert raw.startswith(f"chop_{key.prefix}_")
    assert key.scopes == ["contracts", "read"] and key.created_by == owner
    expected = timezone.now() + dt.timedelta(days=90)
    assert abs((key.expires_at - expected).total_seconds()) < 60
    # nowhere else: not in the session, not on the list, not in the audit trail
    assert raw not in str(dict(client.session))
    listing = client.get("/api-keys/").content.decode()
    assert f"chop_{key.prefix}_" in listing and raw not in listing
    event = AuditEvent.objects.get(action="api_key.created")
    assert event.data["prefix"] == key.prefix and event.data["scopes"] == ["contracts", "read"]
    assert raw not in str(event.data) and raw not in event.object_label
    # the gate accepts it
    assert api_client(raw).get(PATH).status_code != 401
    key.refresh_from_db()
    assert key.use_count == 1
    listing = client.get("/api-keys/").content.decode()
    assert "127.0.0.1" in listing


def test_never_expiring_key_and_form_errors(team, login):
    client = login(team["users"][Role.ADMIN], team["company"])
    bad = client.post("/api-keys/new/", {"name": "  ", "expiry": "90"})
    assert bad.status_code == 400
    assert "请至少选择一项权限范围。" in bad.content.decode()
    assert ApiKey.objects.count() == 0
    _make_key(client, expiry="never", scopes=["records"])
    assert ApiKey.objects.get().expires_at is None


def test_revoke_confirms_then_stops_the_key(team, login, api_client):
    client = login(team["users"][Role.OWNER], team["company"])
    _response, raw = _make_key(client)
    key = ApiKey.objects.get()
    confirm = client.get(f"/api-keys/{key.pk}/revoke/")
    assert confirm.status_code == 200 and b'data-testid="key-revoke-form"' in confirm.content
    assert ApiKey.objects.get().revoked_at is None
    done = client.post(f"/api-keys/{key.pk}/revoke/")
    assert done.status_code == 302 and done["Location"] == "/api-keys/"
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == team["users"][Role.OWNER]
    assert api_client(raw).get(PATH).status_code == 401
    event = AuditEvent.objects.get(action="api_key.revoked")
    assert event.data["prefix"] == key.prefix and raw not in str(event.data)
    row = client.get("/api-keys/").content.decode()
    assert f'data-key="{key.pk}" data-state="revoked"' in row
    # twice is harmless, and audited once
    client.post(f"/api-keys/{key.pk}/revoke/")
    assert AuditEvent.objects.filter(action="api_key.revoked").count() == 1


def test_expired_key_shows_as_expired(team, login, make_key):
    key, _raw = make_key(
        team["company"],
        team["users"][Role.OWNER],
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    page = login(team["users"][Role.OWNER], team["company"]).get("/api-keys/").content.decode()
    assert f'data-key="{key.pk}" data-state="expired"' in page


def test_another_companys_key_is_404(team, login, make_company, make_user, make_key):
    other_owner = make_user("别家老板")
    other = make_company("别家公司", owner=other_owner)
    key, _raw = make_key(other, other_owner)
    client = login(team["users"][Role.OWNER], team["company"])
    assert client.get(f"/api-keys/{key.pk}/revoke/").status_code == 404
    assert client.post(f"/api-keys/{key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert f"chop_{key.prefix}" not in client.get("/api-keys/").content.decode()


def test_pages_in_chinese_and_english(team, login):
    client = login(team["users"][Role.OWNER], team["company"])
    zh = client.get("/api-keys/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "API 密钥" in zh and "还没有 API 密钥" in zh
    form = client.get("/api-keys/new/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "新建 API 密钥" in form and "90 天" in form and "权限范围" in form
    client.cookies["django_language"] = "en"
    en = client.get("/api-keys/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No API keys yet" in en
    _response, _raw = _make_key(client)
    shown = _response.content.decode()
    assert "Copy the key now" in shown


def test_members_page_and_workbench_link_managers_to_the_api(team, login):
    owner = login(team["users"][Role.OWNER], team["company"])
    members = owner.get(f"/companies/{team['company'].pk}/members/").content.decode()
    assert 'data-testid="tab-api-keys"' in members and 'data-testid="tab-webhooks"' in members
    assert 'data-testid="quick-api"' in owner.get("/").content.decode()
    detail = owner.get(f"/companies/{team['company'].pk}/").content.decode()
    assert 'data-testid="company-integrations"' in detail
    member = login(team["users"][Role.MEMBER], team["company"])
    members = member.get(f"/companies/{team['company'].pk}/members/").content.decode()
    assert "tab-api-keys" not in members
    assert 'data-testid="quick-api"' not in member.get("/").content.decode()


def test_key_events_appear_in_the_account_events(team, login):
    client = login(team["users"][Role.OWNER], team["company"])
    _response, raw = _make_key(client)
    key = ApiKey.objects.get()
    client.post(f"/api-keys/{key.pk}/revoke/")
    page = client.get("/records/").content.decode()
    assert "生成 API 密钥" in page and "撤销 API 密钥" in page
    assert f"chop_{key.prefix}_…" in page and raw not in page

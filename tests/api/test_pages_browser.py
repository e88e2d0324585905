"""The API keys and webhook pages in Debian's chromium, in Chinese: an owner makes a key (shown
once, copied with the button, then working at /api/v1/), adds a webhook endpoint with a long
address, and reads its delivery log and one delivery. Screenshots at 1280 px and 390 px; the
phone pages must not scroll sideways (long keys, secrets and addresses wrap)."""

from __future__ import annotations

import socket

import pytest
from django.test import Client
from django.utils import timezone

from chop.api.models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from tests.seals.test_pages_browser import both_sizes, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_URL = (
    "https://hooks.example.com/integrations/chop/webhooks/receiver/"
    "production-tenant-0042/events?source=chop&token=3f9c2a7d5e1b4c8f9a0d6e2b7c4f1a9e"
)


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("chop.api.webhooks.ssrf.socket.getaddrinfo", fake)


def _deliveries(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A few deliveries as the sender leaves them: delivered, given up after retries, pending."""
    now = timezone.now()
    failed = None
    for n, (type_, state, codes) in enumerate(
        [
            ("contract.created", "delivered", [200]),
            ("contract.sent", "failed", [503, 503, None]),
            ("contract.signed", "delivered", [500, 204]),
            ("contract.completed", "pending", []),
        ]
    ):
        message = WebhookMessage.objects.create(
            company=endpoint.company,
            msg_id=f"msg_2Qh7cTq9Vb3xLm0pR8sW{n}",
            type=type_,
            payload={"type": type_, "timestamp": now.isoformat(), "data": {"contract_id": 41}},
        )
        delivery = WebhookDelivery.objects.create(
            message=message,
            endpoint=endpoint,
            state=state,
            attempts=len(codes),
            finished_at=None if state == "pending" else now,
            next_attempt_at=now if state == "pending" else None,
        )
        for code in codes:
            WebhookAttempt.objects.create(
                delivery=delivery,
                request_headers={
                    "content-type": "application/json",
                    "webhook-id": message.msg_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= "
                    "v1,Q3lmS9mQ0b0a8uFhRk3dT0w1e5cZl2YyqZ9yG0yX7xw=",
                },
                request_excerpt=f'{{"type": "{type_}", "data": {{"contract_id": 41}}}}',
                status_code=code,
                response_excerpt=""
                if code is None
                else ("ok" if code < 300 else "<html><body>Service Unavailable</body></html>"),
                error="" if code else "连接超时（15 秒）",
                duration_ms=15000 if code is None else 230,
            )
        if state == "failed":
            failed = delivery
    return failed


def test_owner_makes_a_key_and_an_endpoint(
    browser, live_server, make_user, make_company, screenshot
):
    owner = make_user("王老板")
    company = make_company("上海示例贸易有限公司", owner=owner)
    page = open_as(browser, live_server, owner, company)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    violations = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    try:
        # from the members page's tabs to the empty key list
        page.goto(f"{page.base_url}/companies/{company.pk}/members/")
        page.get_by_test_id("tab-api-keys").click()
        page.wait_for_url("**/api-keys/")
        assert page.get_by_test_id("no-keys").is_visible()
        both_sizes(page, screenshot, "api-keys-empty")

        page.get_by_test_id("key-new").click()
        page.get_by_label("名称").fill("ERP 生产环境（采购与合同同步）")
        page.locator('input[name="scopes"][value="contracts"]').check()
        page.locator('input[name="scopes"][value="stamping"]').check()
        assert page.locator('input[name="expiry"][value="90"]').is_checked()
        both_sizes(page, screenshot, "api-key-form")
        page.get_by_role("button", name="生成密钥").click()
        page.wait_for_selector('[data-testid="key-shown"]')
        raw = page.get_by_test_id("raw-key").inner_text().strip()
        key = ApiKey.objects.get()
        assert raw.startswith(f"chop_{key.prefix}_")
        assert raw not in page.url
        copy = page.get_by_role("button", name="复制")
        copy.click()
        page.wait_for_function("() => document.querySelector('.copy-btn').textContent === '已复制'")
        assert page.evaluate("navigator.clipboard.readText()") == raw
        both_sizes(page, screenshot, "api-key-shown-once")

        # the key works at the gate
        response = Client().get("/api/v1/contracts", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code != 401

        page.get_by_test_id("key-done").click()
        page.wait_for_url("**/api-keys/")
        row = page.locator(f'[data-key="{key.pk}"]')
        assert row.get_attribute("data-state") == "active"
        assert raw not in page.content()
        assert "127.0.0.1" in row.inner_text()
        # a second, older key revoked, so the list shows both states
        page.get_by_test_id("key-new").click()
        page.get_by_label("名称").fill("测试环境")
        page.get_by_role("button", name="生成密钥").click()
        page.wait_for_selector('[data-testid="key-shown"]')
        page.get_by_test_id("key-done").click()
        second = ApiKey.objects.exclude(pk=key.pk).get()
        page.locator(f'[data-key="{second.pk}"]').get_by_test_id("key-revoke").click()
        page.get_by_role("button", name="撤销密钥").click()
        page.wait_for_url("**/api-keys/")
        assert page.locator(f'[data-key="{second.pk}"]').get_attribute("data-state") == "revoked"
        both_sizes(page, screenshot, "api-keys-list")

        # webhooks: the empty list, the form with a refused address, then a long public one
        page.get_by_test_id("tab-webhooks").click()
        page.wait_for_url("**/webhooks/")
        page.get_by_test_id("webhook-new").click()
        page.get_by_label("接收地址（URL）").fill("http://127.0.0.1:8080/hook")
        page.get_by_role("button", name="添加接收地址").click()
        page.wait_for_selector(".form-alert")
        assert "Webhook 只能发送到公网地址" in page.content()
        both_sizes(page, screenshot, "webhook-form-refused")
        page.get_by_label("接收地址（URL）").fill(LONG_URL)
        page.get_by_label("说明").fill("ERP 合同状态回调")
        page.get_by_role("button", name="添加接收地址").click()
        page.wait_for_selector('[data-testid="secret-shown"]')
        endpoint = WebhookEndpoint.objects.get()
        assert page.get_by_test_id("raw-secret").inner_text().strip() == endpoint.secret
        both_sizes(page, screenshot, "webhook-secret-shown-once")

        failed = _deliveries(endpoint)
        page.get_by_test_id("secret-done").click()
        page.wait_for_url(f"**/webhooks/{endpoint.pk}/")
        assert page.locator('[data-testid="delivery"]').count() == 4
        both_sizes(page, screenshot, "webhook-endpoint-deliveries")

        page.locator(f'[data-delivery="{failed.pk}"] a').click()
        page.wait_for_url(f"**/webhooks/deliveries/{failed.pk}/")
        assert page.locator('[data-testid="attempt"]').count() == 3
        both_sizes(page, screenshot, "webhook-delivery")
        page.get_by_test_id("replay").click()
        page.wait_for_selector('[data-testid="delivery-state"]')
        again = WebhookDelivery.objects.get(replay_of=failed)
        assert page.url.endswith(f"/webhooks/deliveries/{again.pk}/")

        page.goto(f"{page.base_url}/webhooks/")
        both_sizes(page, screenshot, "webhooks-list")
        assert not violations, violations
    finally:
        page.context.close()

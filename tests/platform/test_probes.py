"""``/healthz``, ``/readyz``, ``/metrics`` and the request log line (chop.platform.probes,
chop.observe, chop.logs)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.db.utils import ConnectionHandler

from chop import logs
from chop.platform import probes


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(autouse=True)
def _platform_ca(settings, pki_dir):
    """One CA for these tests (creating a CA costs key generation), not the checkout's var/pki."""
    settings.CHOP_PKI_DIR = pki_dir


def test_healthz_answers_without_database_session_or_site_name(client):
    # no django_db mark: any query would raise. A load balancer probes by the machine's
    # address, which is not in ALLOWED_HOSTS.
    response = client.get("/healthz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200 and response.content == b"ok"
    assert "Set-Cookie" not in response and response["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)
    assert client.get("/accounts/login/").status_code == 301  # the site itself is


@pytest.mark.django_db
def test_readyz_ok_names_every_check(client):
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "ca": "ok"},
    }


@pytest.mark.django_db
def test_readyz_503_when_the_database_does_not_answer(client, monkeypatch, tmp_path, caplog):
    broken = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "no-such-dir" / "db.sqlite3"),
            }
        }
    )["default"]
    monkeypatch.setattr(probes, "connection", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["failed"] == ["database"]
    assert body["checks"] == {"database": "fail", "storage": "ok", "ca": "ok"}
    # why goes to the log, under the request's id, not to the anonymous caller
    assert "no-such-dir" not in response.content.decode()
    record = next(r for r in caplog.records if r.name == "chop.platform.probes")
    assert record.request_id == response["X-Request-ID"] and record.exc_info


@pytest.mark.django_db
def test_readyz_503_when_the_ca_state_is_broken(client):
    from chop.pkistate.models import CAConfig

    assert client.get("/readyz").status_code == 200
    CAConfig.objects.all().delete()  # the CA's state is gone (the test's transaction brings it back)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["ca"]


@pytest.mark.django_db
def test_readyz_503_when_the_storage_is_unusable(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["storage"]


# --- the request log ---------------------------------------------------------------------------


@pytest.fixture
def json_lines():
    """What the ``chop.request`` and ``django.request`` loggers write, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    handler.addFilter(logs.MaskRequestPathFilter())
    loggers = [logging.getLogger("chop.request"), logging.getLogger("django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_log_line_shape_and_no_personal_data(client, json_lines, make_user, make_company):
    owner = make_user("王小明", login="13912345678", email="xiaoming@example.com")
    company = make_company("示例科技有限公司", owner=owner)
    from tests.conftest import log_in

    log_in(client, owner, company)
    token = "Zx9-secret-invitation-token-abcdefghijklmnopqrs"
    page = client.get(
        "/members/?q=13912345678&email=xiaoming@example.com",
        REMOTE_ADDR="198.51.100.23",
        HTTP_X_REQUEST_ID="lb-req-0001:abc",
    )
    client.get(f"/invite/{token}/", REMOTE_ADDR="198.51.100.23", HTTP_X_REQUEST_ID="bad id!")
    client.get("/no/such/page/", REMOTE_ADDR="198.51.100.23")
    lines = json_lines()
    access = [line for line in lines if line["logger"] == "chop.request"]
    assert len(access) == 3
    for line in access:
        assert set(line) == {
            "time",
            "level",
            "logger",
            "message",
            "request_id",
            "method",
            "route",
            "path",
            "status",
            "duration_ms",
        }
        assert line["method"] == "GET" and isinstance(line["duration_ms"], float)
    members, invite, missing = access
    assert members["request_id"] == "lb-req-0001:abc"  # a sane incoming id is kept
    assert members["route"] == "members" and members["path"] == "/members/"
    assert members["status"] == page.status_code
    assert re.fullmatch(r"[0-9a-f]{32}", invite["request_id"])  # an insane one is replaced
    assert invite["route"] == "invitation_token" and invite["path"] == "/invite/<token>/"
    assert missing["route"] == "unmatched" and missing["status"] == 404
    # Django's own "Not Found: …" line names the path masked too
    django_lines = [line["message"] for line in lines if line["logger"] == "django.request"]
    assert "Not Found: /invite/<token>/" in django_lines
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for personal in ("13912345678", "xiaoming", "王小明", "198.51.100.23", token, "?q="):
        assert personal not in text


def test_text_format_carries_the_request_id():
    formatter = logs.TextFormatter()
    record = logging.makeLogRecord({"name": "x", "msg": "hello", "levelname": "INFO"})
    token = logs.request_id.set("req-12345678")
    try:
        logs.RequestIdFilter().filter(record)
    finally:
        logs.request_id.reset(token)
    assert formatter.format(record).endswith("INFO x [req-12345678]: hello")


def test_log_format_setting_picks_the_formatter():
    assert logs.config("json")["handlers"]["console"]["formatter"] == "json"
    assert logs.config("text")["handlers"]["console"]["formatter"] == "text"


# --- metrics -----------------------------------------------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


@pytest.mark.django_db
def test_metrics_only_for_allowed_addresses_not_through_a_proxy(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 404 and b"chop_" not in refused.content
    # behind nginx every request comes from loopback: a forwarded one is refused
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 404
    settings.CHOP_METRICS_ALLOW = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_metrics_count_requests_by_route_and_read_queue_and_webhooks(client, make_user):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult, get_date_max

    from chop.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
    from tests.conftest import log_in

    def scrape() -> str:
        response = client.get("/metrics")
        assert response.status_code == 200
        return response.content.decode()

    before = _sample(
        scrape(), "chop_http_requests_total", route="accounts:login", method="GET", status="200"
    )
    client.get("/accounts/login/?next=/x")
    client.get("/accounts/login/")
    text = scrape()
    after = _sample(
        text, "chop_http_requests_total", route="accounts:login", method="GET", status="200"
    )
    assert after == (before or 0) + 2
    assert _sample(text, "chop_task_queue_depth") is None  # no queue, no series
    assert _sample(text, "chop_webhook_deliveries_failed") == 0
    assert _sample(text, "chop_metrics_database_up") == 1

    for minutes in (30, 5):
        row = DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="chop.api.tasks.deliver",
            backend_name="default",
            queue_name="default",
            run_after=get_date_max(),
        )
        DBTaskResult.objects.filter(pk=row.pk).update(
            enqueued_at=timezone.now() - timedelta(minutes=minutes)
        )
    owner = make_user("老板")
    from chop.orgs.models import Company

    company = Company.objects.create(name="示例", created_by=owner)
    endpoint = WebhookEndpoint.objects.create(
        company=company, url="https://hooks.example/x", secret="whsec_x", created_by=owner
    )
    message = WebhookMessage.objects.create(company=company, msg_id="msg_1", type="t", payload={})
    gave_up = WebhookDelivery.objects.create(
        message=message, endpoint=endpoint, state="failed", attempts=8, finished_at=timezone.now()
    )
    WebhookAttempt.objects.create(delivery=gave_up, status_code=500)
    WebhookAttempt.objects.create(delivery=gave_up, error="timeout")
    retrying = WebhookDelivery.objects.create(message=message, endpoint=endpoint, attempts=1)
    WebhookAttempt.objects.create(delivery=retrying, status_code=200)
    log_in(client, owner)
    text = scrape()
    assert _sample(text, "chop_task_queue_depth", queue="default") == 2
    age = _sample(text, "chop_task_queue_oldest_age_seconds", queue="default")
    assert 30 * 60 <= age < 31 * 60
    assert _sample(text, "chop_webhook_deliveries_failed") == 1
    assert _sample(text, "chop_webhook_deliveries_retrying") == 1
    assert _sample(text, "chop_webhook_attempts_failed_last_hour") == 2
    # routes, never raw paths or user data, label the series
    assert "/accounts/login/" not in text and "next=" not in text and "老板" not in text

"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers, supervisors and Prometheus.

``ProbeMiddleware`` answers the three paths itself, early in the middleware stack (after the
request log and the security headers, before Django's SecurityMiddleware), so they are cheap
and need nothing of the site: no session, no user, no locale, no CSRF, no https redirect and no
``ALLOWED_HOSTS`` check (a load balancer probes by the machine's address, not the site's name).
GET and HEAD only. The same views are in ``chop.urls`` for ``reverse()``.

- ``/healthz``: the process answers. Touches nothing else.
- ``/readyz``: the database answers a query, the file storage is usable, and the platform CA
  loads and its state can be read. 200 ``{"status": "ok", ...}`` or 503 with the checks that
  failed named (``{"status": "fail", "failed": ["database"], ...}``); the reasons go to the log
  under the request's id, never into the body (they may name hosts, paths or users).
- ``/metrics``: Prometheus' text format, only for a client whose own address is in
  ``CHOP_METRICS_ALLOW`` (addresses or networks; loopback by default) and that did not come
  through a proxy (a request carrying ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``
  arrives from the proxy's address, which is often loopback, so it is refused). Anyone else gets
  a plain 404, as if there were nothing here.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.utils import timezone

log = logging.getLogger(__name__)

PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# --- readiness --------------------------------------------------------------------------------


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 answered something else")


def _storage() -> None:
    from django.core.files.storage import default_storage

    try:
        root = Path(default_storage.path(""))
    except NotImplementedError:  # remote storage (S3): one cheap request that must not fail
        default_storage.exists("readyz-probe")
        return
    # made on the first upload otherwise; a fresh machine is ready when it can be made
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
        raise RuntimeError(f"{root} is not a writable directory")


def _ca() -> None:
    from chop.seals.issuance import platform_ca

    ca = platform_ca()  # loaded once per process (created on first use, as the app does)
    ca.store.read_config()  # and its state answers now, not only when it was loaded


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "storage": _storage, "ca": _ca}


def readyz(request: HttpRequest) -> HttpResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            log.warning("readiness check %s failed", name, exc_info=True)
            results[name] = "fail"
        else:
            results[name] = "ok"
    failed = [name for name, result in results.items() if result != "ok"]
    body = {"status": "fail" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    return HttpResponse(
        json.dumps(body), status=503 if failed else 200, content_type="application/json"
    )


# --- metrics ----------------------------------------------------------------------------------


@cache
def _allowed_networks(
    spec: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``CHOP_METRICS_ALLOW`` parsed (a bad entry raises ValueError; ``chop check`` reports it)."""
    return _allowed_networks(tuple(settings.CHOP_METRICS_ALLOW))


def metrics_allowed(request: HttpRequest) -> bool:
    if any(request.META.get(h) for h in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "").split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allowed_networks())


class DatabaseCollector:
    """What every process and worker shares, read from the database at scrape time: the task
    queue's depth and oldest waiting age per queue, and webhook deliveries that failed."""

    def collect(self) -> Iterator:
        from prometheus_client.core import GaugeMetricFamily

        try:
            families = list(self._families())
        except Exception:
            log.warning("metrics from the database failed", exc_info=True)
            families = []
        yield from families
        yield GaugeMetricFamily(
            "chop_metrics_database_up",
            "1 when the database answered this scrape's queries, else 0.",
            value=1 if families else 0,
        )

    def _families(self) -> Iterator:
        from django.db.models import Count, Min, Q
        from django_tasks_db.models import DBTaskResult
        from prometheus_client.core import GaugeMetricFamily

        from chop.api.models import WebhookAttempt, WebhookDelivery

        now = timezone.now()
        depth = GaugeMetricFamily(
            "chop_task_queue_depth",
            "Tasks ready to run and not started, by queue.",
            labels=["queue"],
        )
        age = GaugeMetricFamily(
            "chop_task_queue_oldest_age_seconds",
            "Age of the oldest task ready to run and not started, by queue (0 when empty).",
            labels=["queue"],
        )
        running = GaugeMetricFamily(
            "chop_task_running", "Tasks being run by a worker, by queue.", labels=["queue"]
        )
        for row in (
            DBTaskResult.objects.ready()
            .values("queue_name")
            .annotate(n=Count("id"), oldest=Min("enqueued_at"))
        ):
            depth.add_metric([row["queue_name"]], row["n"])
            age.add_metric([row["queue_name"]], max(0.0, (now - row["oldest"]).total_seconds()))
        for row in DBTaskResult.objects.running().values("queue_name").annotate(n=Count("id")):
            running.add_metric([row["queue_name"]], row["n"])
        yield depth
        yield age
        yield running

        deliveries = WebhookDelivery.objects.aggregate(
            failed=Count("id", filter=Q(state=WebhookDelivery.State.FAILED)),
            retrying=Count("id", filter=Q(state=WebhookDelivery.State.PENDING, attempts__gt=0)),
        )
        yield GaugeMetricFamily(
            "chop_webhook_deliveries_failed",
            "Webhook deliveries given up after every retry (they can be replayed).",
            value=deliveries["failed"],
        )
        yield GaugeMetricFamily(
            "chop_webhook_deliveries_retrying",
            "Webhook deliveries that failed at least once and wait for their next try.",
            value=deliveries["retrying"],
        )
        hour_ago = now - timedelta(hours=1)
        yield GaugeMetricFamily(
            "chop_webhook_attempts_failed_last_hour",
            "Webhook HTTP tries in the last hour that got no 2xx answer (error or status).",
            value=WebhookAttempt.objects.filter(at__gte=hour_ago)
            .exclude(status_code__gte=200, status_code__lt=300)
            .count(),
        )


def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponseNotFound("Not Found", content_type="text/plain")
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        REGISTRY,
        CollectorRegistry,
        generate_latest,
    )
    from prometheus_client.multiprocess import MultiProcessCollector

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # every gunicorn worker's values, added up from their files
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    shared = CollectorRegistry(auto_describe=False)
    shared.register(DatabaseCollector())  # type: ignore[arg-type]
    body = generate_latest(processes) + generate_latest(shared)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# --- the middleware ---------------------------------------------------------------------------

PROBES: dict[str, tuple[str, Callable[[HttpRequest], HttpResponse]]] = {
    "/healthz": ("healthz", healthz),
    "/readyz": ("readyz", readyz),
    "/metrics": ("metrics", metrics),
}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        name, view = probe
        request.chop_probe = name  # type: ignore[attr-defined]  (the route in logs and metrics)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = view(request)
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

"""Sign and send one delivery (Standard Webhooks), log the try, decide what happens next.

``attempt(delivery_id)`` is what the ``api.tasks.deliver_webhook`` task runs:

1. **Claim.** One conditional UPDATE moves a pending, due delivery's ``next_attempt_at`` a lease
   (``LEASE``) into the future and counts the try. Only one worker's UPDATE matches, so two
   workers (a scheduled retry and the clock's re-enqueue, say) never send the same delivery at
   once; a worker that dies mid-send leaves it pending, and the clock re-enqueues it once the
   lease is over.
2. **Sign.** The body is the stored payload as compact UTF-8 JSON. ``webhook-signature`` holds
   ``v1,<base64 HMAC-SHA256(key, "{msg_id}.{timestamp}.{body}")>`` for every secret in
   ``secrets.signing_secrets`` (during a rotation the old one too), the key being the base64
   after ``whsec_``. Secrets are never logged or stored with the try.
3. **Send.** ``ssrf.resolve`` checks the host again now and returns the addresses it approved;
   the request goes to one of *those addresses* and nowhere else: the URL is rewritten to the
   address, ``Host`` carries the original host, and for https the TLS handshake uses the
   original host name for SNI and certificate checking (urllib3's ``server_hostname``, passed
   through a transport adapter), so verification stays on and a DNS answer that changed after the
   check cannot steer the connection. Environment proxies are ignored (``trust_env`` off: a
   proxy would pick its own address). No redirects are followed (a 3xx is a failure), and each
   connect and read waits at most ``TIMEOUT`` seconds. When an approved address cannot be reached
   at all, the next approved one is tried (a host with an IPv6 address on an IPv4-only network).
4. **Decide.** 2xx: delivered. 410: the receiver asked to stop, so the endpoint is disabled and
   this and every other pending delivery to it fail. Anything else: the next try after an
   exponential backoff with full jitter (``retry_delay``), until ``GIVE_UP_AFTER`` from when the
   delivery was made (the message's creation for a first delivery; a replay gets its own day),
   then failed. The next try is enqueued with ``run_after`` when the task backend can defer
   work, and ``next_attempt_at`` is kept either way so ``webhook_clock`` can re-enqueue a lost
   one (with the immediate backend used by tests nothing is re-enqueued by the sender itself,
   so a failing receiver cannot make it loop).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import time
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from . import secrets, ssrf

log = logging.getLogger(__name__)

TIMEOUT = 15.0  # seconds, for connecting and for each read (tests make it small)
# how long a claimed delivery is left to its worker: a worker that dies mid-send holds it that
# long (CHOP_WEBHOOK_LEASE_SECONDS, 5 minutes; longer than a send can take, TIMEOUT per try)
LEASE = dt.timedelta(seconds=settings.CHOP_WEBHOOK_LEASE_SECONDS)
BASE_DELAY = 5.0  # seconds before the first retry, at most (full jitter)
MAX_DELAY = 2 * 60 * 60.0  # the backoff stops doubling at two hours
GIVE_UP_AFTER = dt.timedelta(hours=24)
EXCERPT = 2000  # characters of request and response kept with each try
USER_AGENT = "Chop-Webhooks/1"
# what certificates are checked against: True is the system's trusted roots (requests' bundle);
# tests point it at their own CA file. Never False.
VERIFY: bool | str = True

Pending = WebhookDelivery.State.PENDING


# --- signing ---------------------------------------------------------------------------------


def body_of(payload: dict) -> str:
    """Compact UTF-8 JSON in one order on every database (PostgreSQL's jsonb hands keys back
    in its own order): ``type``, ``timestamp``, ``data``, and within ``data`` by name."""
    ordered = {k: payload[k] for k in ("type", "timestamp") if k in payload}
    data = payload.get("data")
    ordered["data"] = dict(sorted(data.items())) if isinstance(data, dict) else data
    ordered.update((k, v) for k, v in payload.items() if k not in ordered)
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))


def sign(msg_id: str, timestamp: int, body: str, secret: str) -> str:
    """``v1,<signature>`` of one secret (``whsec_`` + base64 of the key)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(endpoint: WebhookEndpoint, msg_id: str, body: str, now: dt.datetime) -> dict:
    timestamp = int(now.timestamp())
    signatures = " ".join(
        sign(msg_id, timestamp, body, s) for s in secrets.signing_secrets(endpoint, now)
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


# --- the schedule ----------------------------------------------------------------------------


def retry_delay(tries: int, rng: random.Random | None = None) -> dt.timedelta:
    """Full jitter: anything between one second and ``BASE_DELAY * 2**(tries-1)`` (capped at
    ``MAX_DELAY``), so receivers that failed together are not all hit again together."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, tries - 1))
    return dt.timedelta(seconds=max(1.0, (rng or random).uniform(0, ceiling)))


def next_try(delivery: WebhookDelivery, now: dt.datetime, rng=None) -> dt.datetime | None:
    """When to try ``delivery`` again after a failed try, or ``None`` to give up: never later
    than ``GIVE_UP_AFTER`` from its creation, and nothing once that has passed."""
    deadline = delivery.created_at + GIVE_UP_AFTER
    if now >= deadline:
        return None
    return min(now + retry_delay(delivery.attempts, rng), deadline)


def enqueue_at(delivery_id: int, when: dt.datetime) -> bool:
    """Enqueue the delivery task to run at ``when``, after the current transaction commits.
    Backends that cannot defer (the immediate one) get nothing: ``webhook_clock`` picks the
    delivery up from ``next_attempt_at``. Returns whether it was enqueued."""
    from ..tasks import deliver_webhook

    if not deliver_webhook.get_backend().supports_defer:
        return False

    def enqueue() -> None:
        deliver_webhook.using(run_after=when).enqueue(delivery_id)

    transaction.on_commit(enqueue)
    return True


# --- one try ---------------------------------------------------------------------------------


def claim(delivery_id: int, now: dt.datetime) -> bool:
    """Take the delivery for this worker: pending, due, and not held by another worker."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return bool(
        WebhookDelivery.objects.filter(due, pk=delivery_id, state=Pending).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    )


def attempt(delivery_id: int) -> None:
    now = timezone.now()
    if not claim(delivery_id, now):
        return  # delivered, given up, not yet due, or another worker has it
    delivery = WebhookDelivery.objects.select_related("message", "endpoint").get(pk=delivery_id)
    endpoint, message = delivery.endpoint, delivery.message
    if not endpoint.enabled:
        _log(delivery, now, error=_("Not sent: the endpoint is disabled."))
        _finish(delivery, WebhookDelivery.State.FAILED, now)
        return
    body = body_of(message.payload)
    headers = headers_for(endpoint, message.msg_id, body, now)
    outcome = _send(endpoint.url, body, headers)
    _log(
        delivery,
        now,
        headers=headers,
        excerpt=body[:EXCERPT],
        status=outcome.status,
        response=outcome.response,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    finished = timezone.now()
    if outcome.status is not None and 200 <= outcome.status < 300:
        _finish(delivery, WebhookDelivery.State.DELIVERED, finished)
    elif outcome.status == 410:
        _disable(endpoint, finished)
    else:
        _retry_or_give_up(delivery, finished)


class Outcome:
    def __init__(self, status=None, response="", error="", duration_ms=0) -> None:
        self.status: int | None = status
        self.response: str = response
        self.error: str = error
        self.duration_ms: int = duration_ms


class _PinnedAdapter(HTTPAdapter):
    """Connects wherever the (rewritten) URL says, but does TLS for ``server_hostname``."""

    def __init__(self, server_hostname: str) -> None:
        self._server_hostname = server_hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["server_hostname"] = self._server_hostname
        super().init_poolmanager(*args, **kwargs)


def _send(url: str, body: str, headers: dict) -> Outcome:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        addresses = ssrf.resolve(url)
    except ssrf.Refused as refused:
        return Outcome(error=str(refused.message)[:300], duration_ms=took())
    parts = urlsplit(url)
    host = parts.hostname or ""
    error = ""
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        port = f":{parts.port}" if parts.port else ""
        pinned = urlunsplit((parts.scheme, literal + port, parts.path or "/", parts.query, ""))
        session = requests.Session()
        session.trust_env = False  # no proxies from the environment
        session.mount("https://", _PinnedAdapter(host))
        session.mount("http://", HTTPAdapter(max_retries=0))
        try:
            with session.post(
                pinned,
                data=body.encode(),
                headers={**headers, "Host": parts.netloc},
                allow_redirects=False,
                timeout=TIMEOUT,
                verify=VERIFY,
                stream=True,
            ) as response:
                raw = response.raw.read(EXCERPT * 4, decode_content=True) or b""
                text = raw.decode(response.encoding or "utf-8", errors="replace")[:EXCERPT]
                return Outcome(status=response.status_code, response=text, duration_ms=took())
        except requests.RequestException as exc:
            error = _describe(exc)
            if not _never_connected(exc):
                break
        finally:
            session.close()
    return Outcome(error=error[:300], duration_ms=took())


def _never_connected(exc: Exception) -> bool:
    """Whether the request failed before anything was sent (so another address may be tried)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(
        reason, (NewConnectionError, ConnectTimeoutError)
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return _("No answer within %(seconds)s seconds.") % {"seconds": f"{TIMEOUT:g}"}
    if isinstance(exc, requests.exceptions.SSLError):
        return _("The TLS certificate could not be verified.")
    if isinstance(exc, requests.ConnectionError):
        return _("Could not connect.")
    return _("The request failed (%(kind)s).") % {"kind": type(exc).__name__}


# --- bookkeeping -----------------------------------------------------------------------------


def _log(
    delivery: WebhookDelivery,
    at: dt.datetime,
    *,
    headers: dict | None = None,
    excerpt: str = "",
    status: int | None = None,
    response: str = "",
    error: str = "",
    duration_ms: int = 0,
) -> WebhookAttempt:
    return WebhookAttempt.objects.create(
        delivery=delivery,
        at=at,
        request_headers=headers or {},
        request_excerpt=excerpt,
        status_code=status,
        response_excerpt=response,
        error=error,
        duration_ms=duration_ms,
    )


def _finish(delivery: WebhookDelivery, state: str, now: dt.datetime) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state, finished_at=now, next_attempt_at=None
    )


def _disable(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    """The receiver answered 410 Gone: stop sending to it at all."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=False,
            disabled_reason=_("The receiver answered 410 Gone."),
            disabled_at=now,
        )
        WebhookDelivery.objects.filter(endpoint=endpoint, state=Pending).update(
            state=WebhookDelivery.State.FAILED, finished_at=now, next_attempt_at=None
        )


def _retry_or_give_up(delivery: WebhookDelivery, now: dt.datetime) -> None:
    delivery.refresh_from_db(fields=["attempts", "created_at"])
    when = next_try(delivery, now)
    if when is None:
        _finish(delivery, WebhookDelivery.State.FAILED, now)
        return
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, state=Pending).update(next_attempt_at=when)
        enqueue_at(delivery.pk, when)

"""What the open API keeps (PRODUCT.md §6).

* :class:`ApiKey`: a company's key, shown once and kept as a prefix (to find the row) plus a
  SHA-256 hash of the whole key (to check it). It acts for the company through the member who
  made it, only while that member may still manage keys (``permissions.can_manage_api_keys``),
  and only within its scopes.
* :class:`IdempotencyRecord`: (company, ``Idempotency-Key``) → the fingerprint of the first
  request and, once it finished, its status and body, for 24 hours. The unique constraint is what
  makes twenty identical requests at once run once, on SQLite and PostgreSQL alike.
* :class:`WebhookEndpoint`, :class:`WebhookMessage`, :class:`WebhookDelivery`,
  :class:`WebhookAttempt`: Standard Webhooks. One message per event and company, one delivery per
  message and endpoint (retried with backoff for a day), one attempt row per HTTP try: the
  delivery log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Scope(models.TextChoices):
    READ = "read", pgettext_lazy("api scope", "Read contracts, seals and grants")
    CONTRACTS = "contracts", pgettext_lazy("api scope", "Create, send and revoke contracts")
    STAMPING = "stamping", pgettext_lazy("api scope", "Auto-sign and manage grants")
    RECORDS = "records", pgettext_lazy("api scope", "Stamping records, evidence and verification")


class ApiKey(models.Model):
    Scope = Scope

    company = models.ForeignKey("orgs.Company", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    # ``chop_<prefix>_<secret>``: the prefix is public (it is shown in lists and logs), the
    # secret only ever exists in the response that created the key.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    use_count = models.PositiveBigIntegerField(default=0)
    # The per-key rate window (``CHOP_API_RATE``), counted on the key's own row so that a
    # request's count and its use are one UPDATE (``keys.count_request``).
    rate_window_start = models.DateTimeField(null=True, blank=True, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} (chop_{self.prefix}_…)"

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyRecord(models.Model):
    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"

    company = models.ForeignKey("orgs.Company", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and parsed body
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    headers = models.JSONField(default=dict, blank=True)  # Location and the like
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="api_idempotency_once"),
        ]


class WebhookEndpoint(models.Model):
    company = models.ForeignKey(
        "orgs.Company", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # the event types it wants (``chop.api.events.EVENT_TYPES``); empty means every event
    events = models.JSONField(_("events"), default=list, blank=True)
    # ``whsec_`` + base64 of 32 random bytes; kept readable because signing needs it
    secret = models.CharField(max_length=80)
    # after a rotation the old secret signs too, until ``previous_until``
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_until = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookMessage(models.Model):
    """One event for one company: the thin payload ``{type, timestamp, data}`` as sent."""

    company = models.ForeignKey("orgs.Company", on_delete=models.CASCADE, related_name="+")
    msg_id = models.CharField(max_length=40, unique=True)  # the ``webhook-id`` header: msg_…
    type = models.CharField(max_length=40, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery", "Gave up")

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="pending") | Q(finished_at__isnull=False),
                name="api_delivery_finished_has_time",
            ),
        ]


class WebhookAttempt(models.Model):
    """One HTTP try: what was sent (headers, body excerpt) and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    request_headers = models.JSONField(default=dict)
    request_excerpt = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)  # at most 2 000 characters
    error = models.CharField(max_length=300, blank=True)  # timeout, refused address, ...
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]


class GrantExpiryAnnounced(models.Model):
    """A grant whose expiry ``webhook_clock`` has published as ``grant.expired`` (grants expire
    by the clock with no change to their row, so this is how it sends each expiry once)."""

    grant = models.OneToOneField("grants.Grant", on_delete=models.CASCADE, related_name="+")
    announced_at = models.DateTimeField(default=timezone.now)

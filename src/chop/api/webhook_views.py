"""The webhooks pages of the active company: endpoints, one endpoint with its delivery log, a
delivery with its attempts, and the changes (new, edit, enable/disable, rotate, delete, replay).

Owners and administrators only (``permissions.can_manage_webhooks``). The list page explains
itself in the personal space and answers 403 to other members; endpoints and deliveries named by
id are looked up in the active company only (404 for anything else), then the permission is
asked (403).

A signing secret is shown in one response only (the page answering the POST that made or rotated
it, ``Cache-Control: no-store``); the endpoint page never shows it again.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chop.audit.events import record
from chop.orgs import permissions

from .events import EVENT_TYPES
from .forms import EndpointForm
from .models import WebhookDelivery, WebhookEndpoint
from .webhooks import outbox, secrets

PAGE_SIZE = 25
DELIVERY_BADGE = {"pending": "warn", "delivered": "ok", "failed": "red"}


def _context(request: HttpRequest, **extra) -> dict:
    m = request.membership
    return {
        "nav": "members",
        "title": _("Webhooks"),
        "company": request.company,
        "can_manage_api_keys": permissions.can_manage_api_keys(m),
        "can_manage_webhooks": permissions.can_manage_webhooks(m),
        **extra,
    }


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """The list page for the personal space or a member who may not manage webhooks, or None."""
    if request.company is None:
        return render(request, "api/webhooks.html", {**_context(request), "personal": True})
    if not permissions.can_manage_webhooks(request.membership):
        return render(
            request, "api/webhooks.html", {**_context(request), "forbidden": True}, status=403
        )
    return None


def _endpoint(request: HttpRequest, pk: int, methods=("GET", "HEAD", "POST")) -> WebhookEndpoint:
    """An endpoint of the active company that the requester may manage: 404, then 403, then
    405 for another method (so a wrong company's id answers 404 whatever the method)."""
    if request.company is None:
        raise Http404
    endpoint = get_object_or_404(
        WebhookEndpoint.objects.filter(company=request.company).select_related("created_by"),
        pk=pk,
    )
    if not permissions.can_manage_webhooks(request.membership):
        raise PermissionDenied
    _allow(request, methods)
    return endpoint


class _NotAllowed(Exception):
    def __init__(self, methods) -> None:
        self.methods = list(methods)


def _allow(request: HttpRequest, methods) -> None:
    if request.method not in methods:
        raise _NotAllowed(methods)


def _delivery(request: HttpRequest, pk: int, methods=("GET", "HEAD")) -> WebhookDelivery:
    if request.company is None:
        raise Http404
    delivery = get_object_or_404(
        WebhookDelivery.objects.filter(endpoint__company=request.company).select_related(
            "message", "endpoint", "replay_of"
        ),
        pk=pk,
    )
    if not permissions.can_manage_webhooks(request.membership):
        raise PermissionDenied
    _allow(request, methods)
    return delivery


def by_id(view):
    """For views of one endpoint or delivery: the method is checked after the look-up."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _NotAllowed as refused:
            return HttpResponseNotAllowed(refused.methods)

    return wrapped


def event_labels(events: list[str]) -> list[str]:
    return [str(EVENT_TYPES.get(e, e)) for e in events]


def decorate_endpoint(endpoint: WebhookEndpoint, now=None) -> WebhookEndpoint:
    now = now or timezone.now()
    endpoint.event_labels = event_labels(endpoint.events)
    endpoint.overlap = bool(
        endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > now
    )
    return endpoint


def decorate_delivery(delivery: WebhookDelivery) -> WebhookDelivery:
    delivery.badge = DELIVERY_BADGE.get(delivery.state, "")
    delivery.event_label = str(EVENT_TYPES.get(delivery.message.type, delivery.message.type))
    return delivery


def _last_status(deliveries) -> None:
    """Each delivery's last attempt (its HTTP status or error), one query for the page."""
    from .models import WebhookAttempt

    ids = [d.pk for d in deliveries]
    last: dict[int, WebhookAttempt] = {}
    for attempt in WebhookAttempt.objects.filter(delivery_id__in=ids).order_by("at", "id"):
        last[attempt.delivery_id] = attempt
    for d in deliveries:
        d.last_attempt = last.get(d.pk)


def _shown_once(request: HttpRequest, endpoint: WebhookEndpoint, secret: str, rotated: bool):
    response = render(
        request,
        "api/webhook_secret.html",
        _context(request, endpoint=decorate_endpoint(endpoint), secret=secret, rotated=rotated),
    )
    add_never_cache_headers(response)  # no-store: the secret lives in this page only
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def webhooks(request: HttpRequest) -> HttpResponse:
    if (refused := _refusal(request)) is not None:
        return refused
    endpoints = [
        decorate_endpoint(e)
        for e in WebhookEndpoint.objects.filter(company=request.company).select_related(
            "created_by"
        )
    ]
    # each endpoint's latest delivery and how many gave up in the last day: one query each
    since = timezone.now() - dt.timedelta(hours=24)
    for e in endpoints:
        e.latest = e.deliveries.select_related("message").order_by("-created_at", "-id").first()
        if e.latest is not None:
            decorate_delivery(e.latest)
        e.failed_recently = e.deliveries.filter(
            state=WebhookDelivery.State.FAILED, created_at__gte=since
        ).count()
    return render(request, "api/webhooks.html", _context(request, endpoints=endpoints))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_new(request: HttpRequest) -> HttpResponse:
    if (refused := _refusal(request)) is not None:
        return refused
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if form.is_valid():
            endpoint = form.save(commit=False)
            endpoint.company = request.company
            endpoint.created_by = request.user
            endpoint.secret = secrets.new_secret()
            endpoint.save()
            record(
                "webhook.created",
                request=request,
                obj=endpoint,
                url=endpoint.url,
                events=endpoint.events,
            )
            return _shown_once(request, endpoint, endpoint.secret, rotated=False)
        status = 400
    else:
        form = EndpointForm()
        status = 200
    return render(request, "api/webhook_form.html", _context(request, form=form), status=status)


@by_id
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = decorate_endpoint(_endpoint(request, pk, ("GET", "HEAD")))
    page = Paginator(
        WebhookDelivery.objects.filter(endpoint=endpoint).select_related("message"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    deliveries = [decorate_delivery(d) for d in page.object_list]
    _last_status(deliveries)
    return render(
        request,
        "api/webhook_detail.html",
        _context(request, endpoint=endpoint, page=page, deliveries=deliveries),
    )


@by_id
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    before = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    if request.method == "POST":
        form = EndpointForm(request.POST, instance=endpoint)
        if form.is_valid():
            endpoint = form.save()
            after = {
                "url": endpoint.url,
                "description": endpoint.description,
                "events": endpoint.events,
            }
            changed = sorted(k for k in after if after[k] != before[k])
            if changed:
                record(
                    "webhook.changed",
                    request=request,
                    obj=endpoint,
                    url=endpoint.url,
                    changed=changed,
                    events=endpoint.events,
                )
            messages.success(request, _("The endpoint is saved."))
            return redirect("webhook_detail", pk=endpoint.pk)
        status = 400
    else:
        form = EndpointForm(instance=endpoint)
        status = 200
    return render(
        request,
        "api/webhook_form.html",
        _context(request, form=form, endpoint=endpoint),
        status=status,
    )


@by_id
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Enable or disable (``enabled`` = "1"/"0"); enabling clears a reason the sender left."""
    endpoint = _endpoint(request, pk, ("POST",))
    enable = request.POST.get("enabled") == "1"
    if enable != endpoint.enabled:
        endpoint.enabled = enable
        endpoint.disabled_at = None if enable else timezone.now()
        endpoint.disabled_reason = ""
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
        record(
            "webhook.changed",
            request=request,
            obj=endpoint,
            url=endpoint.url,
            changed=["enabled"],
            enabled=enable,
        )
    if enable:
        messages.success(request, _("The endpoint is enabled: new events are sent to it."))
    else:
        messages.success(
            request, _("The endpoint is disabled: no events are sent to it until you enable it.")
        )
    return redirect("webhook_detail", pk=endpoint.pk)


@by_id
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what rotating does; POST: a new secret, shown once."""
    endpoint = _endpoint(request, pk)
    if request.method == "POST":
        with transaction.atomic():
            locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
            secret = secrets.rotate(locked)
            record(
                "webhook.rotated",
                request=request,
                obj=locked,
                url=locked.url,
                previous_until=locked.previous_until.isoformat(),
            )
        return _shown_once(request, locked, secret, rotated=True)
    return render(
        request,
        "api/webhook_rotate.html",
        _context(request, endpoint=decorate_endpoint(endpoint)),
    )


@by_id
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if request.method == "POST":
        record(
            "webhook.deleted",
            request=request,
            obj=endpoint,
            url=endpoint.url,
            deliveries=endpoint.deliveries.count(),
        )
        endpoint.delete()
        messages.success(request, _("The endpoint is deleted, with its delivery log."))
        return redirect("webhooks")
    return render(
        request,
        "api/webhook_delete.html",
        _context(
            request,
            endpoint=decorate_endpoint(endpoint),
            delivery_count=endpoint.deliveries.count(),
        ),
    )


@by_id
def webhook_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = decorate_delivery(_delivery(request, pk))
    attempts = list(delivery.tries.all())
    for attempt in attempts:
        attempt.header_rows = sorted((attempt.request_headers or {}).items())
    return render(
        request,
        "api/webhook_delivery.html",
        _context(
            request,
            delivery=delivery,
            endpoint=decorate_endpoint(delivery.endpoint),
            attempts=attempts,
            payload_json=json.dumps(delivery.message.payload, ensure_ascii=False, indent=2),
            can_replay=delivery.state != WebhookDelivery.State.PENDING,
            replays=list(delivery.replays.order_by("-created_at", "-id")),
        ),
    )


@by_id
def webhook_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _delivery(request, pk, ("POST",))
    if delivery.state == WebhookDelivery.State.PENDING:
        messages.info(request, _("This delivery is still being tried; replay it once it ends."))
        return redirect("webhook_delivery", pk=delivery.pk)
    if not delivery.endpoint.enabled:
        messages.error(request, _("The endpoint is disabled: enable it first, then replay."))
        return redirect("webhook_delivery", pk=delivery.pk)
    with transaction.atomic():
        # one replay at a time: a double click, or two managers at once, sends it once
        WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).first()
        waiting = delivery.replays.filter(state=WebhookDelivery.State.PENDING).first()
        if waiting is not None:
            messages.info(request, _("This event is already being sent again."))
            return redirect("webhook_delivery", pk=waiting.pk)
        again = outbox.replay(delivery)
    record(
        "webhook.replayed",
        request=request,
        obj=delivery.endpoint,
        url=delivery.endpoint.url,
        msg_id=delivery.message.msg_id,
        type=delivery.message.type,
        delivery=delivery.pk,
        replay=again.pk,
    )
    messages.success(request, _("The event is sent again as a new delivery."))
    return redirect("webhook_delivery", pk=again.pk)

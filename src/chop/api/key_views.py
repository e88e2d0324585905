"""The API keys page of the active company: the list, a new key (shown once), revoking one.

Owners and administrators only (``permissions.can_manage_api_keys``). The list page explains
itself in the personal space and answers 403 to other members, like the records pages; a key
named by id is looked up in the active company only (404 for anything else).

The full key exists in one response: the page that answers the creating POST, sent with
``Cache-Control: no-store``. It is never put in a URL, the session or the audit trail.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from chop.audit.events import record
from chop.orgs import permissions

from . import keys
from .forms import KeyForm
from .models import ApiKey, Scope

STATE_BADGE = {"active": "ok", "expired": "", "revoked": "red"}


def _refusal(request: HttpRequest, template: str, context: dict) -> HttpResponse | None:
    """The page for the personal space or a member who may not manage keys, or None."""
    if request.company is None:
        return render(request, template, {**context, "personal": True})
    if not permissions.can_manage_api_keys(request.membership):
        return render(request, template, {**context, "forbidden": True}, status=403)
    return None


def scope_label(value: str) -> str:
    try:
        return str(Scope(value).label)
    except ValueError:
        return value


def decorate(key: ApiKey, now) -> ApiKey:
    if key.revoked_at is not None:
        key.state = "revoked"
        key.state_label = pgettext("api key", "Revoked")
    elif key.expires_at is not None and key.expires_at <= now:
        key.state = "expired"
        key.state_label = pgettext("api key", "Expired")
    else:
        key.state = "active"
        key.state_label = pgettext("api key", "Active")
    key.badge = STATE_BADGE[key.state]
    key.scope_labels = [scope_label(s) for s in key.scopes]
    return key


def _context(request: HttpRequest, **extra) -> dict:
    m = request.membership
    return {
        "nav": "members",
        "title": _("API keys"),
        "company": request.company,
        "can_manage_webhooks": permissions.can_manage_webhooks(m),
        "can_manage_api_keys": permissions.can_manage_api_keys(m),
        **extra,
    }


@login_required
@require_http_methods(["GET", "HEAD"])
def api_keys(request: HttpRequest) -> HttpResponse:
    if (refused := _refusal(request, "api/keys.html", _context(request))) is not None:
        return refused
    now = timezone.now()
    rows = [
        decorate(k, now)
        for k in ApiKey.objects.filter(company=request.company).select_related(
            "created_by", "revoked_by"
        )
    ]
    return render(
        request,
        "api/keys.html",
        _context(request, keys=rows, active_count=sum(1 for k in rows if k.state == "active")),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_key_new(request: HttpRequest) -> HttpResponse:
    if (refused := _refusal(request, "api/keys.html", _context(request))) is not None:
        return refused
    if request.method == "POST":
        form = KeyForm(request.POST)
        if form.is_valid():
            key, raw = keys.make(
                company=request.company,
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
            record(
                "api_key.created",
                request=request,
                obj=key,
                name=key.name,
                prefix=key.prefix,
                scopes=key.scopes,
                expires_at=key.expires_at.isoformat() if key.expires_at else None,
            )
            response = render(
                request,
                "api/key_shown.html",
                _context(request, key=decorate(key, timezone.now()), raw=raw),
            )
            add_never_cache_headers(response)  # no-store: the key lives in this page only
            return response
        status = 400
    else:
        form = KeyForm()
        status = 200
    return render(request, "api/key_form.html", _context(request, form=form), status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation step (works without JavaScript); POST: revoke at once."""
    if request.company is None:
        raise Http404
    key = get_object_or_404(
        ApiKey.objects.filter(company=request.company).select_related("created_by"), pk=pk
    )
    if not permissions.can_manage_api_keys(request.membership):
        raise PermissionDenied
    decorate(key, timezone.now())
    if key.revoked_at is not None:
        messages.info(request, _("This key was already revoked."))
        return redirect("api_keys")
    if request.method == "POST":
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=request.user
        )
        if updated:
            record(
                "api_key.revoked",
                request=request,
                obj=key,
                name=key.name,
                prefix=key.prefix,
                scopes=key.scopes,
            )
            messages.success(
                request,
                _("The key %(name)s is revoked: requests with it are refused from now on.")
                % {"name": key.name},
            )
        return redirect("api_keys")
    return render(request, "api/key_revoke.html", _context(request, key=key))

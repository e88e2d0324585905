"""The account-events page (操作日志): the active company's audit events, for owners and
administrators. The stamping records (用印记录) are the evidence app's page; the two are kept
apart, and neither lists "space switched" (``record_labels.NOISE``).

It lives in orgs, not audit: who may see a company's records is a company-permission decision, and
audit stays the bottom layer that every app writes to and that imports none of them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from chop.audit.models import AuditEvent

from . import permissions
from .record_labels import NOISE, action_label, event_details

PAGE_SIZE = 25


@login_required
def records(request: HttpRequest) -> HttpResponse:
    company = request.company
    context: dict = {"nav": "records", "title": _("Account events")}
    if company is None:
        return render(request, "audit/records.html", {**context, "personal": True})
    if not permissions.can_view_records(request.membership):
        return render(request, "audit/records.html", {**context, "forbidden": True}, status=403)
    events = (
        AuditEvent.objects.filter(company=company).exclude(action__in=NOISE).select_related("actor")
    )
    actions = sorted(set(events.values_list("action", flat=True).distinct()))
    selected = request.GET.get("action", "")
    if selected:
        events = events.filter(action=selected)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.label = action_label(event.action)
        event.details = event_details(event.action, event.data or {})
    return render(
        request,
        "audit/records.html",
        {
            **context,
            "company": company,
            "page": page,
            "actions": [(a, action_label(a)) for a in actions],
            "selected": selected,
            "query": urlencode({"action": selected}) if selected else "",
            "can_monitor_stamps": permissions.can_monitor_stamps(request.membership),
        },
    )

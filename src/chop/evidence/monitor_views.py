"""用印记录 / 用印监控: the active company's stamping records for the people answerable for its
seals (``permissions.can_monitor_stamps``), with filters, charts, hints and exports.

Every query starts from ``monitoring.company_records(request.company)``, the active space whose
membership the middleware re-checks: nobody sees another company's records.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.contracts.models import AuthorisationKind, IntentMethod, PositionForm
from chop.orgs import permissions

from . import charts, exports, monitoring

PAGE_SIZE = 25


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """The page for someone who may not watch this space's stamps, or None."""
    context: dict = {"nav": "records", "title": _("Stamping records")}
    if request.company is None:
        return render(request, "evidence/stamp_records.html", {**context, "personal": True})
    if not permissions.can_monitor_stamps(request.membership):
        return render(
            request, "evidence/stamp_records.html", {**context, "forbidden": True}, status=403
        )
    return None


@login_required
def stamp_records(request: HttpRequest) -> HttpResponse:
    if (refused := _refusal(request)) is not None:
        return refused
    company = request.company
    f = monitoring.StampFilter.from_query(request.GET)
    everything = monitoring.company_records(company)
    qs = f.apply(everything)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    forms = dict(PositionForm.choices)
    kinds = dict(AuthorisationKind.choices)
    intents = dict(IntentMethod.choices)
    for r in page.object_list:
        r.form_labels = [forms.get(x, x) for x in r.forms]
        r.authorisation_label = kinds.get(r.authorisation_kind, r.authorisation_kind)
        r.intent_label = intents.get(r.intent_method, r.intent_method)
    daily = monitoring.per_day_per_seal(qs, f)
    people = monitoring.per_person(qs)
    off = monitoring.off_hours(qs)
    query = f.query()
    off_list = list(off[: monitoring.HINT_ROWS])
    for r in off_list:  # the record's own day, so it is on the first page of the link
        day = timezone.localtime(r.stamped_at).date().isoformat()
        r.hint_url = f"?{urlencode({**query, 'date_from': day, 'date_to': day})}#stamp-{r.pk}"
    context = {
        "nav": "records",
        "title": _("Stamping records"),
        "company": company,
        "filters": f,
        "choices": monitoring.choices(company),
        "page": page,
        "total": page.paginator.count,
        "has_any": everything.exists(),
        "query": urlencode(query),
        "daily_svg": charts.daily_stacked_bars(daily) if daily.days else None,
        "daily": daily,
        "legend": [(charts.swatch(i), label) for i, (label, _c) in enumerate(daily.series)],
        "person_svg": charts.person_bars(people) if people else None,
        "off_hours": off_list,
        "off_hours_count": off.count(),
        "bursts": monitoring.autosign_bursts(qs),
        "office": (monitoring.OFFICE_OPENS, monitoring.OFFICE_CLOSES),
        "burst_rule": (monitoring.BURST_COUNT, monitoring.BURST_MINUTES),
        "can_view_events": permissions.can_view_records(request.membership),
    }
    return render(request, "evidence/stamp_records.html", context)


def _filename(company, ext: str) -> str:
    return f"stamp-records-{company.pk}-{timezone.localtime():%Y%m%d-%H%M}.{ext}"


def _exported(request: HttpRequest, fmt: str, f: monitoring.StampFilter, count: int) -> None:
    record(
        "stamp_records.exported",
        request=request,
        company=request.company,
        format=fmt,
        count=count,
        filters=f.query(),
    )


@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """The filtered set as CSV, streamed; ``X-Total-Count`` lets the page show progress."""
    if (refused := _refusal(request)) is not None:
        return refused
    f = monitoring.StampFilter.from_query(request.GET)
    qs = f.apply(monitoring.company_records(request.company))
    count = qs.count()
    _exported(request, "csv", f, count)
    resp = StreamingHttpResponse(exports.csv_chunks(qs), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{_filename(request.company, "csv")}"'
    resp["X-Total-Count"] = str(count)
    resp["Cache-Control"] = "no-store"
    return resp


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered set as XLSX, streamed as it is written (its length is not known ahead);
    ``X-Total-Count`` says how many records it holds."""
    if (refused := _refusal(request)) is not None:
        return refused
    f = monitoring.StampFilter.from_query(request.GET)
    qs = f.apply(monitoring.company_records(request.company))
    count = qs.count()
    _exported(request, "xlsx", f, count)
    resp = StreamingHttpResponse(
        exports.xlsx_chunks(qs, count),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="{_filename(request.company, "xlsx")}"'
    resp["X-Total-Count"] = str(count)
    resp["Cache-Control"] = "no-store"
    return resp

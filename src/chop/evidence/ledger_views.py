"""The stamping log's pages: a record's inclusion proof, the published tree heads, publishing a
head on demand, and the bundle export that ``python -m chop.ledger verify`` checks offline.

A record's proof and a bundle are scoped to the active company (404 for anyone else's record);
the tree heads are the whole platform's log (they reveal only sizes and hashes, like a
Certificate Transparency log's), shown to the same people. Who may look: the owner,
administrators and seal keepers, the people answerable for the company's seals.
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chop import ledger
from chop.audit.events import record as audit
from chop.contracts.models import StampRecord
from chop.orgs import permissions

from . import log
from .models import LogLeaf, LogState, TreeHead

HEADS_PER_PAGE = 20


def may_see_log(m) -> bool:
    """Whoever monitors the company's stamping (``permissions.can_monitor_stamps``)."""
    return permissions.can_monitor_stamps(m)


def may_publish(m) -> bool:
    """Publishing a head is cheap and harmless, but it signs: owners and administrators."""
    return permissions.is_manager(m)


def _guard(request: HttpRequest) -> None:
    if request.company is None or not may_see_log(getattr(request, "membership", None)):
        raise Http404


def _record(request: HttpRequest, pk: int) -> StampRecord:
    _guard(request)
    return get_object_or_404(StampRecord.objects.filter(company=request.company), pk=pk)


def _proof_data(record: StampRecord) -> dict:
    """What the proof page and its JSON say: the leaf, the head covering it and the audit path,
    checked here with the same verifier a client runs."""
    leaf = LogLeaf.objects.filter(record=record).first()
    data: dict = {"record": record.leaf(), "leaf": None, "head": None, "proof": None}
    if leaf is None:
        return data
    data["leaf"] = {"index": leaf.index, "leaf_hash": leaf.leaf_hash}
    head = log.covering_head(leaf.index)
    if head is None:
        return data
    proof = log.inclusion(leaf, head)
    data["head"] = log.head_of(head).to_json() | {"tsa_time": head.tsa_time.isoformat()}
    data["proof"] = [p.hex() for p in proof]
    computed = ledger.leaf_hash_of(record.leaf())
    data["verified"] = {
        "record_matches_leaf": computed.hex() == leaf.leaf_hash,
        "included": ledger.verify_inclusion(
            leaf.index, head.tree_size, computed, proof, bytes.fromhex(head.root_hash)
        ),
    }
    return data


@login_required
def stamp_proof(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    data = _proof_data(record)
    if request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    head = None
    if data["head"]:
        head = TreeHead.objects.get(tree_size=data["head"]["tree_size"])
    return render(
        request,
        "evidence/ledger_proof.html",
        {
            "nav": "records",
            "title": _("Proof of a stamping record"),
            "record": record,
            "data": data,
            "head": head,
            "path": list(enumerate(data["proof"] or [], start=1)),
            "can_publish": may_publish(getattr(request, "membership", None)),
        },
    )


@login_required
def heads(request: HttpRequest) -> HttpResponse:
    _guard(request)
    state = LogState.objects.filter(pk=1).first()
    page = Paginator(TreeHead.objects.order_by("-tree_size"), HEADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    contracts = (
        StampRecord.objects.filter(company=request.company)
        .order_by("contract_id")
        .values_list("contract_id", "contract_title", "contract_number")
        .distinct()
    )
    return render(
        request,
        "evidence/ledger_heads.html",
        {
            "nav": "records",
            "title": _("Stamping log"),
            "company": request.company,
            "page": page,
            "size": state.size if state else 0,
            "company_records": StampRecord.objects.filter(company=request.company).count(),
            "contracts": list(contracts)[:200],
            "can_publish": may_publish(getattr(request, "membership", None)),
            "can_view_events": permissions.can_view_records(getattr(request, "membership", None)),
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    _guard(request)
    if not may_publish(getattr(request, "membership", None)):
        raise Http404
    head = log.publish_head()
    if head is None:
        messages.info(request, _("The log is empty: there is nothing to sign yet."))
    else:
        audit("ledger.head_published", request=request, obj=head, size=head.tree_size)
        messages.success(
            request,
            _("Tree head of %(size)s records published, signed and timestamped.")
            % {"size": head.tree_size},
        )
    back = request.POST.get("next", "")
    if back.startswith("/records/") and "//" not in back:
        return redirect(back)
    return redirect("ledger_heads")


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def bundle(request: HttpRequest) -> HttpResponse:
    """The bundle of the company's records: all, one contract's (``contract``), one record's
    (``record``), or those stamped between ``from`` and ``to`` (dates, Beijing time)."""
    _guard(request)
    records = StampRecord.objects.filter(company=request.company)
    name = "stamping-log"
    if request.GET.get("record"):
        records = records.filter(pk=_int(request.GET["record"]))
        name += f"-record-{request.GET['record']}"
    if request.GET.get("contract"):
        records = records.filter(contract_id=_int(request.GET["contract"]))
        name += f"-contract-{request.GET['contract']}"
    start, end = _date(request.GET.get("from", "")), _date(request.GET.get("to", ""))
    if (request.GET.get("from") and start is None) or (request.GET.get("to") and end is None):
        return HttpResponse(
            _("Dates are written YYYY-MM-DD."), status=400, content_type="text/plain"
        )
    tz = timezone.get_current_timezone()
    if start:
        records = records.filter(stamped_at__gte=dt.datetime.combine(start, dt.time(), tz))
        name += f"-from-{start}"
    if end:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
        records = records.filter(stamped_at__lt=after)
        name += f"-to-{end}"
    audit("ledger.bundle_exported", request=request, filters=name)
    response = StreamingHttpResponse(
        log.stream_bundle(records),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    response["Cache-Control"] = "no-store"
    return response


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def json_pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)

"""The positions editor (指定位置): the draft's pages with each party's seal boxes, and a panel to
place them by drag, by numbers, or by keyword (PRODUCT.md §4).

One URL takes every change: a form post (the page works without script: numbers in the panel,
an edit link and a remove button per position) or the same fields as JSON from the editor's
module, answered with JSON (the stored positions and what they cover, or the error and the field
it concerns). The server checks every value again (``positions.clean``); nothing the browser
computed is trusted. The keyword search answers JSON for the module, or shows the hits' count in
the page without script.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from chop.orgs import permissions

from . import positions, previews
from .models import Participant, Position
from .views import _open

# Colours a party's boxes are drawn in (classes pos-c0 … in the stylesheet), by signing order.
PARTY_COLOURS = 6
FIELDS = (
    "form",
    "page",
    "pages",
    "x_mm",
    "y_mm",
    "size_mm",
    "edge",
    "along_mm",
    "keyword",
    "occurrence",
    "dx_mm",
    "dy_mm",
    "with_date",
)


def _parties(contract) -> list[Participant]:
    parties = list(contract.participants.select_related("user", "company").order_by("position"))
    for i, p in enumerate(parties):
        p.colour = i % PARTY_COLOURS  # type: ignore[attr-defined]
        p.default_size = positions.default_size(p)  # type: ignore[attr-defined]
    return parties


def positions_data(contract, version, parties: list[Participant]) -> list[dict]:
    """Every position of the draft as the editor draws it: its fields, its party and colour,
    the boxes it covers on the current version and a line describing it."""
    colour = {p.pk: p.colour for p in parties}  # type: ignore[attr-defined]
    hits: dict = {}
    out = []
    for position in Position.objects.filter(participant__contract=contract).select_related(
        "participant"
    ):
        data = positions.describe(position)
        data.update(
            participant=position.participant_id,
            party=position.participant.name,
            colour=colour.get(position.participant_id, 0),
            size_mm=position.size_mm or positions.default_size(position.participant),
            boxes=positions.boxes(position, version, hits) if version else [],
            label=positions.label(position),
        )
        if position.form == Position.Form.KEYWORD and position.keyword in hits:
            data["hits"] = len(hits[position.keyword])
            data["label"] += _(" · hits in the document: %(n)s") % {"n": data["hits"]}
        out.append(data)
    return out


def _wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _payload(request) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {k: request.POST.get(k) for k in request.POST}


def _open_as_initiator(request, pk: int):
    """The contract for the initiator's side only: the editor shows the current version's pages
    and searches its text, which another party may not see while others are signing (their
    view of the document is decided by ``access.Viewer``). Anyone else gets a 404."""
    contract = _open(request, pk)
    viewer = getattr(contract, "viewer", None)
    if viewer is None or not viewer.initiator:
        raise Http404
    return contract


def _editable(request, contract) -> None:
    m = getattr(request, "membership", None)
    if not permissions.can_place_positions(m, contract, request.user):
        raise PermissionDenied


def _id(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


@login_required
def contract_positions(request, pk: int):
    contract = _open_as_initiator(request, pk)
    if request.method == "POST":
        return _change(request, contract)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _editor(request, contract)


def _editor(request, contract, *, form_data: dict | None = None, error=None, status=200):
    m = getattr(request, "membership", None)
    can_place = permissions.can_place_positions(m, contract, request.user)
    version = contract.current_version()
    parties = _parties(contract)
    placed = positions_data(contract, version, parties)
    editing = None
    if form_data is None:
        form_data = {"form": Position.Form.SINGLE, "page": 1, "occurrence": "first"}
        editing = _id(request.GET.get("edit"))
        chosen = next((p for p in placed if p["id"] == editing), None)
        if chosen is not None and can_place:
            form_data = {**chosen, "position": chosen["id"]}
        if parties and "participant" not in form_data:
            form_data["participant"] = _id(request.GET.get("party")) or parties[0].pk
    pages = []
    if version is not None:
        for page in range(1, version.page_count + 1):
            w, h = previews.image_size(version, page, previews.PAGE)
            w_mm, h_mm = positions.page_size_mm(version, page)
            pages.append(
                {
                    "number": page,
                    "width": w,
                    "height": h,
                    "w_mm": f"{w_mm:.2f}",
                    "h_mm": f"{h_mm:.2f}",
                }
            )
    by_party = {p.pk: [d for d in placed if d["participant"] == p.pk] for p in parties}
    for p in parties:
        p.placed = by_party[p.pk]  # type: ignore[attr-defined]
    return render(
        request,
        "contracts/positions.html",
        {
            "nav": "contracts",
            "contract": contract,
            "version": version,
            "ready": version is not None and version.preview_state == "ready",
            "pages": pages,
            "parties": parties,
            "placed": placed,
            "can_place": can_place,
            "f": form_data,
            "error": error,
            "forms": Position.Form.choices,
            "edges": Position.Edge.choices,
            "occurrences": Position.Occurrence.choices,
            "min_size": positions.MIN_SIZE_MM,
            "max_size": positions.MAX_SIZE_MM,
            "editor": {
                "save": reverse("contract_positions", args=[contract.pk]),
                "find": reverse("contract_positions_find", args=[contract.pk]),
                "positions": placed,
                "canPlace": can_place,
            },
        },
        status=status,
    )


def _change(request, contract):
    _editable(request, contract)
    data = _payload(request)
    action = str(data.get("action") or "save")
    as_json = _wants_json(request)
    position = None
    position_id = _id(data.get("position"))
    if position_id is not None:
        position = (
            Position.objects.filter(pk=position_id, participant__contract=contract)
            .select_related("participant__contract")
            .first()
        )
        if position is None:
            raise Http404
    try:
        if action == "delete":
            if position is None:
                raise Http404
            positions.remove(position, by=request.user, request=request)
            done = _("The position is removed.")
        elif action == "save":
            values = {k: data.get(k) for k in FIELDS}
            if position is not None:
                position = positions.update(position, values, by=request.user, request=request)
                done = _("The position is saved.")
            else:
                party = contract.participants.filter(pk=_id(data.get("participant"))).first()
                if party is None:
                    raise positions.PositionError(
                        _("Choose a party of this contract."),
                        code="position.party",
                        field="participant",
                    )
                position = positions.add(contract, party, values, by=request.user, request=request)
                done = _("The position is placed.")
        else:
            return JsonResponse({"error": _("This action is not possible.")}, status=400)
    except positions.PositionError as exc:
        if as_json:
            return JsonResponse(
                {"error": str(exc.message), "field": exc.field, "code": exc.code}, status=400
            )
        return _editor(request, contract, form_data=data, error=exc, status=400)
    if as_json:
        version = contract.current_version()
        placed = positions_data(contract, version, _parties(contract))
        return JsonResponse(
            {
                "ok": True,
                "message": done,
                "position": position.pk if position is not None and action == "save" else None,
                "positions": placed,
            }
        )
    messages.success(request, done)
    return redirect("contract_positions", pk=contract.pk)


def _find(request, version) -> dict:
    params = request.GET
    keyword = (params.get("keyword") or "").strip()[: positions.MAX_KEYWORD]
    hits = positions.keyword_hits(version, keyword) if keyword else []
    try:
        dx = float(params.get("dx_mm") or 0)
        dy = float(params.get("dy_mm") or 0)
        size = float(params.get("size_mm") or 0) or positions.COMPANY_SIZE_MM
    except ValueError:
        dx = dy = 0.0
        size = positions.COMPANY_SIZE_MM
    size = min(max(size, positions.MIN_SIZE_MM), positions.MAX_SIZE_MM)
    occurrence = params.get("occurrence") or "first"
    if occurrence not in Position.Occurrence.values:
        occurrence = "first"
    seals = positions.keyword_seals(hits, version, occurrence=occurrence, dx=dx, dy=dy, size=size)
    if not keyword:
        message = _("Enter the text to place the seal on.")
    elif not hits:
        message = _("The text “%(keyword)s” is not in the document.") % {"keyword": keyword}
    else:
        message = _("Found %(n)s times.") % {"n": len(hits)}
    return {
        "keyword": keyword,
        "count": len(hits),
        "hits": hits,
        "seals": seals,
        "message": message,
    }


@login_required
def contract_positions_find(request, pk: int):
    """Where a keyword is on the current version's pages, and where the seal would go."""
    contract = _open_as_initiator(request, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    version = contract.current_version()
    if version is None:
        raise Http404
    return JsonResponse(_find(request, version))

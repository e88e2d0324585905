"""The Seals page: the active company's seals, each with its certificate."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from .issuance import verify_certificate
from .models import Seal


def _visible_seals(request):
    """Seals of the active company; in the personal space, the user's own personal seals."""
    if request.company is not None:
        return Seal.objects.filter(company=request.company)
    return Seal.objects.filter(Q(owner=request.user) & Q(company__isnull=True))


@login_required
def seal_list(request):
    seals = _visible_seals(request).select_related("certificate", "owner")
    return render(request, "seals/list.html", {"nav": "seals", "seals": seals})


@login_required
def seal_detail(request, pk: int):
    seal = get_object_or_404(_visible_seals(request).select_related("certificate"), pk=pk)
    chain_ok, chain_text = (False, "")
    if seal.certificate is not None:
        chain_ok, chain_text = verify_certificate(seal.certificate)
    return render(
        request,
        "seals/detail.html",
        {
            "nav": "seals",
            "seal": seal,
            "chain_ok": chain_ok,
            "chain_text": chain_text,
        },
    )


@login_required
def seal_image(request, pk: int):
    seal = get_object_or_404(_visible_seals(request), pk=pk)
    if not seal.image:
        raise Http404
    response = FileResponse(seal.image.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def certificate_pem(request, pk: int):
    seal = get_object_or_404(_visible_seals(request).select_related("certificate"), pk=pk)
    if seal.certificate is None:
        raise Http404
    from django.http import HttpResponse

    response = HttpResponse(seal.certificate.pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="seal-{seal.code}.pem"'
    return response

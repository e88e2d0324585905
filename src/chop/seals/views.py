"""The Seals page: the active company's seals, each with its certificate."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from PIL import Image

from chop.orgs import permissions
from chop.orgs.access import enter_space, reachable
from chop.uploads import file_response, harden_file_headers

from .certificates import check_chain, describe
from .issuance import platform_ca
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
    # Any of the user's spaces (404 otherwise), then show it in its own space: a link to a seal
    # of the user's company works while another space is active, e.g. right after login.
    seal = get_object_or_404(
        Seal.objects.filter(reachable(request.user)).select_related("certificate", "company"),
        pk=pk,
    )
    enter_space(request, seal.company)
    facts = chain = None
    if seal.certificate is not None:
        facts, chain = describe(seal.certificate), check_chain(seal.certificate)
    return render(
        request,
        "seals/detail.html",
        {
            "nav": "seals",
            "seal": seal,
            "facts": facts,
            "chain": chain,
            "full_image": permissions.can_download_seal_image(
                getattr(request, "membership", None), seal, request.user
            ),
        },
    )


PREVIEW_PX = 240  # recognisable on the Seals page, far too coarse to print a convincing copy


@login_required
def seal_image(request, pk: int):
    """The seal's picture: full resolution for those ``can_download_seal_image`` allows, a small
    preview for every other member who may see the seal. ``?download=1`` asks for the full
    image as a file (403 for the others)."""
    seal = get_object_or_404(_visible_seals(request), pk=pk)
    if not seal.image:
        raise Http404
    full = permissions.can_download_seal_image(
        getattr(request, "membership", None), seal, request.user
    )
    download = request.GET.get("download") == "1"
    if download and not full:
        raise PermissionDenied
    if full:
        response = file_response(
            seal.image, download_name=f"seal-{seal.code}", inline_images=not download
        )
    else:
        response = harden_file_headers(
            HttpResponse(_preview_png(seal.image), content_type="image/png")
        )
    response["Cache-Control"] = "private, max-age=300"
    response["Vary"] = "Cookie"
    return response


def _preview_png(image_file) -> bytes:
    """The seal shrunk to fit ``PREVIEW_PX``, transparency kept."""
    with image_file.open("rb") as fh, Image.open(fh) as img:
        img.load()
        small = img.convert("RGBA")
    small.thumbnail((PREVIEW_PX, PREVIEW_PX), Image.LANCZOS)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)
    return out.getvalue()


@login_required
def certificate_pem(request, pk: int):
    seal = get_object_or_404(_visible_seals(request).select_related("certificate"), pk=pk)
    if seal.certificate is None:
        raise Http404
    response = HttpResponse(seal.certificate.pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="seal-{seal.code}.pem"'
    return response


MAX_PKI_REQUEST = 64 * 1024  # OCSP and timestamp requests are a few hundred bytes


def _pki_rate_limit(request):
    from django.conf import settings

    from chop.accounts import ratelimit
    from chop.audit.events import client_ip

    return ratelimit.hit(
        f"pki:ip:{client_ip(request)}",
        limit=settings.CHOP_PKI_PER_IP_PER_MINUTE,
        window=60,
    )


@csrf_exempt
def pki_endpoint(request, rest: str):
    """The platform CA's public endpoints at ``/pki/…``: CA certificates, CRLs, OCSP and the TSA.

    Every certificate the platform issues points its CRL distribution point and OCSP responder
    here (``SITE_URL``), so relying parties such as pdfsig can check revocation. Public, no login,
    CSRF-exempt (machines post DER here, not browsers).
    """
    from chop.pki.http import handle

    if rest == "tsa" or rest.startswith("ocsp"):
        # Each OCSP answer and timestamp is a signature: bound what one address can ask for.
        window = _pki_rate_limit(request)
        if not window.allowed:
            response = HttpResponse("too many requests", status=429, content_type="text/plain")
            response["Retry-After"] = str(window.retry_after)
            return response
    if request.method == "POST" and len(request.body) > MAX_PKI_REQUEST:
        return HttpResponse("request too large", status=413, content_type="text/plain")
    reply = handle(platform_ca(), request.method, request.path, request.body)
    response = HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
    if reply.max_age:
        response["Cache-Control"] = f"public, max-age={reply.max_age}"
    return response

"""The Seals page and a seal's detail page: the active space's seals, each with its certificate,
its state and its history; downloads of the artwork for those allowed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt

from chop.orgs import permissions
from chop.orgs.access import enter_space, reachable
from chop.orgs.record_labels import action_label, seal_details
from chop.uploads import file_response, harden_file_headers

from . import exports, lifecycle
from .certificates import check_chain, describe
from .issuance import live_official_seal, platform_ca
from .models import Seal

S = Seal.Status

# active first, then those waiting for review, then disabled, then revoked (kept for the record)
STATE_RANK = Case(
    When(status=S.ACTIVE, then=Value(0)),
    When(status=S.PENDING, then=Value(1)),
    When(status=S.DISABLED, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
STATE_BADGE = {S.ACTIVE: "ok", S.PENDING: "warn", S.DISABLED: "warn", S.REVOKED: "red"}
LIFECYCLE_ACTIONS = ("disable", "enable", "revoke")


def _visible_seals(request):
    """Seals of the active company; in the personal space, the user's own personal seals."""
    if request.company is not None:
        return Seal.objects.filter(company=request.company)
    return Seal.objects.filter(Q(owner=request.user) & Q(company__isnull=True))


def _holder(seal: Seal) -> str:
    """Who the seal's certificate names (company or person), for the list's one-line summary."""
    if seal.certificate is None:
        return ""
    try:
        return describe(seal.certificate).name
    except ValueError:  # an unreadable PEM must not take the whole page down
        return seal.certificate.subject


def _decorate(seal: Seal) -> Seal:
    seal.badge = STATE_BADGE.get(seal.status, "")
    seal.state_label = lifecycle.state_label(seal.status)
    seal.holder = _holder(seal)
    seal.reason_text = lifecycle.reason_display(seal.status_reason)
    return seal


def _can_regenerate_official(request) -> bool:
    """Offer "generate a new official seal": allowed, and the old one was revoked."""
    company = request.company
    m = getattr(request, "membership", None)
    return (
        company is not None
        and permissions.can_regenerate_official_seal(m)
        and live_official_seal(company) is None
    )


@login_required
def seal_list(request):
    company = request.company
    m = getattr(request, "membership", None)
    seals = [
        _decorate(s)
        for s in _visible_seals(request)
        .select_related("certificate", "owner", "created_by")
        .annotate(state_rank=STATE_RANK)
        .order_by("state_rank", "kind", "-created_at")
    ]
    verified = company is not None and company.status == "verified"
    context = {
        "nav": "seals",
        "seals": seals,
        "personal": company is None,
        "verified": verified,
        # A verified company makes seals (they sign with its certificate); a person always
        # adds their own signature in the personal space.
        "can_make": verified and permissions.can_make_seal(m),
        "can_verify": permissions.can_start_verification(m),
        "only_official": verified
        and all(s.kind in (Seal.Kind.OFFICIAL, Seal.Kind.LEGAL_REP) for s in seals),
        "offer_official": verified and _can_regenerate_official(request),
    }
    return render(request, "seals/list.html", context)


def history_rows(seal: Seal) -> list[dict]:
    """The seal's audit events as the page shows them: when, who, what, why."""
    rows = []
    for event in lifecycle.history(seal).select_related("actor"):
        data = event.data or {}
        try:
            who = event.actor.display_name if event.actor_id else ""
        except Exception:  # the actor was deleted: the event keeps their label
            who = ""
        rows.append(
            {
                "when": event.created_at,
                "who": who or event.actor_label,
                "what": action_label(event.action),
                "action": event.action,
                "why": lifecycle.reason_display(data.get("reason", "")),
                # the page is the seal's own: its code would repeat on every row
                "details": seal_details(
                    {k: v for k, v in data.items() if k not in ("reason", "code")}
                ),
            }
        )
    return rows


def detail_context(request, seal: Seal, *, form=None) -> dict:
    """Everything the detail page shows; the lifecycle POST views re-render it with their form."""
    from .lifecycle_views import SealStateForm

    m = getattr(request, "membership", None)
    facts = chain = None
    if seal.certificate is not None:
        facts, chain = describe(seal.certificate), check_chain(seal.certificate)
    can_change = permissions.can_change_seal_state(m, seal, request.user)
    actions = [a for a in LIFECYCLE_ACTIONS if can_change and lifecycle.allowed(seal, a)]
    return {
        "nav": "seals",
        "seal": _decorate(seal),
        "facts": facts,
        "chain": chain,
        "full_image": permissions.can_download_seal_image(m, seal, request.user),
        "actions": actions,
        "form": form if form is not None else SealStateForm(),
        "history": history_rows(seal),
        "offer_official": seal.kind == Seal.Kind.OFFICIAL
        and seal.status == S.REVOKED
        and _can_regenerate_official(request),
    }


@login_required
def seal_detail(request, pk: int):
    # Any of the user's spaces (404 otherwise), then show it in its own space: a link to a seal
    # of the user's company works while another space is active, e.g. right after login.
    seal = get_object_or_404(
        Seal.objects.filter(reachable(request.user)).select_related(
            "certificate", "company", "created_by"
        ),
        pk=pk,
    )
    enter_space(request, seal.company)
    return render(request, "seals/detail.html", detail_context(request, seal))


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
    if download:
        response = _attachment(
            exports.artwork(seal).png, "image/png", f"seal-{seal.code}-300dpi.png"
        )
    elif full:
        response = file_response(seal.image, download_name=f"seal-{seal.code}")
    else:
        response = harden_file_headers(
            HttpResponse(exports.preview_png(seal), content_type="image/png")
        )
    response["Cache-Control"] = "private, max-age=300"
    response["Vary"] = "Cookie"
    return response


@login_required
def seal_svg(request, pk: int):
    """The seal as an SVG file, for those who may download its artwork (403 for the others)."""
    seal = get_object_or_404(_visible_seals(request), pk=pk)
    if not permissions.can_download_seal_image(
        getattr(request, "membership", None), seal, request.user
    ):
        raise PermissionDenied
    if not seal.image and exports.vector_svg(seal) is None:
        raise Http404
    return _attachment(exports.svg(seal).encode(), "image/svg+xml", f"seal-{seal.code}.svg")


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    """A generated file as a download: never shown on our origin, never sniffed, sandboxed."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return harden_file_headers(response)


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

"""The seal studio's pages: choose a kind, design it with a live preview, make it (PRODUCT.md §2).

``seal_new`` is the whole journey without JavaScript (the preview button re-renders the page with
the server's preview and errors); ``seal_preview`` answers the ES module's debounced requests with
the SVG the server drew (cached, ETag) or, with 422, a JSON ``{field: message}``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chop.orgs import permissions
from chop.orgs.models import Company
from chop.uploads import harden_file_headers

from . import studio
from .studio_forms import StudioForm, kind_or_none

PREVIEW_MAX_AGE = 600  # seconds: a design's picture never changes, only the session may end
QUERY_FIELDS = ("csrfmiddlewaretoken", "token", "action")


def _studio_company(request):
    """The active company if the requester may make its seals: 404 outside a company space (the
    personal space has no company seals), 403 for members who may not make seals."""
    company = getattr(request, "company", None)
    if company is None:
        raise Http404
    if not permissions.can_make_seal(getattr(request, "membership", None)):
        raise PermissionDenied
    return company


def _form_for(kind, company, data=None) -> StudioForm:
    legal_rep = studio.active_legal_rep_seal(company) if kind.legal_rep else None
    return StudioForm(
        data,
        kind=kind,
        company=company,
        legal_rep_name=legal_rep.name if legal_rep else "",
    )


def _preview_query(kind, values: dict) -> str:
    pairs = [("kind", kind.slug)]
    for name, value in values.items():
        if name in QUERY_FIELDS or value in (None, "", False):
            continue
        pairs.append((name, "on" if value is True else str(value)))
    return urlencode(pairs)


@login_required
@require_http_methods(["GET", "POST"])
def seal_new(request):
    company = _studio_company(request)
    verified = company.status == Company.Status.VERIFIED
    kind = kind_or_none(request.POST.get("kind") if request.method == "POST" else None)
    kind = kind or kind_or_none(request.GET.get("kind"))
    if not verified or kind is None:
        return render(
            request,
            "seals/studio_kinds.html",
            {
                "nav": "seals",
                "verified": verified,
                "kinds": list(studio.KINDS.values()),
                "has_legal_rep": studio.active_legal_rep_seal(company) is not None,
            },
        )
    legal_rep = studio.active_legal_rep_seal(company) if kind.legal_rep else None
    context = {"nav": "seals", "kind": kind, "legal_rep": legal_rep}
    if kind.legal_rep and legal_rep is None:
        context["no_legal_rep"] = studio.NO_LEGAL_REP
        return render(request, "seals/studio_form.html", context, status=409)
    if request.method == "GET":
        form = _form_for(kind, company)
        form.initial["token"] = studio.new_form_token(company, request.user)
        values = {name: form[name].value() for name in form.fields}
        context.update(form=form, preview_query=_preview_query(kind, values))
        return render(request, "seals/studio_form.html", context)
    form = _form_for(kind, company, request.POST)
    valid = form.is_valid()
    if valid and request.POST.get("action") != "preview":
        code = studio.code_from_token(request.POST.get("token", ""), company, request.user)
        if code is None:
            form.add_error(None, _("This form has expired. Check the design and submit again."))
        else:
            try:
                seal, _created = studio.create_seal(
                    company=company,
                    user=request.user,
                    kind=kind,
                    spec=form.spec,
                    code=code,
                    request=request,
                )
            except studio.StudioError as err:
                form.add_error(None, err.message)
            else:
                return redirect("seal_detail", seal.pk)
    token = request.POST.get("token", "")
    if studio.code_from_token(token, company, request.user) is None:
        token = studio.new_form_token(company, request.user)
    form.data = form.data.copy()
    form.data["token"] = token
    shown = form.cleaned_data if valid else {}
    context.update(
        form=form,
        preview_query=_preview_query(kind, shown) if valid else "",
        submitted=True,
    )
    return render(request, "seals/studio_form.html", context, status=200 if valid else 422)


@login_required
@require_GET
def seal_preview(request):
    """The design in the query string drawn by the server: ``image/svg+xml`` (cached by the
    browser, ETag per drawing), or 422 with ``{field: message}`` in the user's language."""
    company = _studio_company(request)
    if company.status != Company.Status.VERIFIED:
        raise PermissionDenied  # seals are made only for a verified company
    kind = kind_or_none(request.GET.get("kind"))
    if kind is None:
        return JsonResponse({"kind": _("Choose a kind of seal.")}, status=422)
    if kind.legal_rep and studio.active_legal_rep_seal(company) is None:
        return JsonResponse({"__all__": str(studio.NO_LEGAL_REP)}, status=422)
    form = _form_for(kind, company, request.GET)
    if not form.is_valid():
        response = JsonResponse(
            form.error_map(), status=422, json_dumps_params={"ensure_ascii": False}
        )
        response["Cache-Control"] = "private, no-store"
        return response
    design = form.design
    assert design is not None
    if request.headers.get("If-None-Match") == design.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(design.svg, content_type="image/svg+xml; charset=utf-8")
    harden_file_headers(response)
    response["Cache-Control"] = f"private, max-age={PREVIEW_MAX_AGE}"
    response["ETag"] = design.etag
    response["Vary"] = "Cookie, Accept-Language"
    return response

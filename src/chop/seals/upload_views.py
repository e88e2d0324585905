"""Pages of the local upload (本地上传): the form, the upload's own page with before and after,
and the photo behind it.

Who: ``permissions.can_make_seal`` in the active company (403 otherwise); an upload of another
company is a 404. The upload's page polls itself with htmx while the extraction runs, and shows
the photo beside the transparent result once it is done, or the explained refusal.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from chop.orgs import permissions
from chop.uploads import file_response

from . import upload
from .models import Seal
from .upload_forms import UploadForm


def _membership_may_make(request):
    """The active membership, if it may upload seals; 403 for other members."""
    membership = getattr(request, "membership", None)
    if request.company is not None and not permissions.can_make_seal(membership):
        raise PermissionDenied
    return membership


@login_required
def seal_upload(request):
    _membership_may_make(request)
    company = request.company
    ready = company is not None and company.status == "verified"
    form = None
    error = None
    if ready:
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                d = form.cleaned_data
                try:
                    seal = upload.start_upload(
                        company=company,
                        by=request.user,
                        kind=d["kind"],
                        name=d["name"],
                        color=d["color"],
                        straighten=d["straighten"],
                        purpose=d["purpose"],
                        photo=d["photo"],
                        request=request,
                    )
                except upload.UploadRefused as exc:
                    error = exc.message
                else:
                    return redirect("seal_upload_status", pk=seal.pk)
        else:
            form = UploadForm(initial={"name": company.name})
    return render(
        request,
        "seals/upload.html",
        {"nav": "seals", "form": form, "ready": ready, "error": error},
        status=400 if form is not None and form.is_bound else 200,
    )


def _own_upload(request, pk: int) -> Seal:
    _membership_may_make(request)
    if request.company is None:
        raise PermissionDenied
    return get_object_or_404(
        Seal.objects.filter(company=request.company, origin=Seal.Origin.UPLOADED), pk=pk
    )


@login_required
def seal_upload_status(request, pk: int):
    """The upload's page; with ``HX-Request`` only its result part (polled while extracting)."""
    seal = _own_upload(request, pk)
    context = {
        "nav": "seals",
        "seal": seal,
        "extracting": upload.is_extracting(seal),
        "failure": upload.failure_code(seal),
    }
    if context["failure"]:
        context["failure_text"] = upload.explain_failure(context["failure"])
    if request.headers.get("HX-Request"):
        return render(request, "seals/upload_result.html", context)
    return render(request, "seals/upload_status.html", context)


@login_required
def seal_upload_photo(request, pk: int):
    """The uploaded photo (re-encoded, random name), for the people who may make seals."""
    seal = _own_upload(request, pk)
    if not seal.source_image:
        raise Http404
    response = file_response(seal.source_image, download_name=f"seal-{seal.code}-photo")
    response["Cache-Control"] = "private, max-age=300"
    response["Vary"] = "Cookie"
    return response

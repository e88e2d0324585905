"""The contract pages: the list, a new contract (upload), a draft's page with its previews and
versions, one page at reading size, and the files (previews, every version) behind permission.

Every look-up starts from ``_reachable``: contracts of the companies the user belongs to, and
their own personal ones. Anything else is a 404, whatever the method, before any other check, so
another company's contract is never confirmed to exist. A contract opened from a link while
another space is active switches to the contract's space (as seal pages do).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.orgs import permissions
from chop.orgs.access import enter_space
from chop.orgs.models import Membership
from chop.uploads import file_response

from . import convert, documents, previews
from .forms import TYPE_SUGGESTIONS, DraftForm, NewContractForm
from .models import Contract, DocumentVersion

STATE_BADGE = {
    Contract.State.DRAFT: "",
    Contract.State.SIGNING: "warn",
    Contract.State.COMPLETED: "ok",
    Contract.State.DECLINED: "red",
    Contract.State.REVOKED: "red",
    Contract.State.EXPIRED: "red",
}


def _reachable(user):
    return Contract.objects.filter(
        Q(company__in=Membership.objects.filter(user=user).values("company"))
        | Q(company__isnull=True, created_by=user)
    )


def _open(request, pk: int) -> Contract:
    """The contract ``pk`` if the user may see it (404 otherwise), in its own space."""
    contract = get_object_or_404(
        _reachable(request.user).select_related("company", "created_by"), pk=pk
    )
    enter_space(request, contract.company)
    if not permissions.can_view_contract(
        getattr(request, "membership", None), contract, request.user
    ):
        raise Http404
    return contract


def _version(contract: Contract, number: int) -> DocumentVersion:
    return get_object_or_404(contract.versions, number=number)


@login_required
def contract_list(request):
    company = request.company
    m = getattr(request, "membership", None)
    if company is not None:
        contracts = Contract.objects.filter(company=company)
    else:
        contracts = Contract.objects.filter(company__isnull=True, created_by=request.user)
    contracts = list(contracts.select_related("created_by")[:200])
    for c in contracts:
        c.badge = STATE_BADGE.get(c.state, "")
    return render(
        request,
        "contracts/list.html",
        {
            "nav": "contracts",
            "contracts": contracts,
            "can_create": company is not None and permissions.can_create_contract(m),
            "personal": company is None,
        },
    )


@login_required
def contract_new(request):
    company = request.company
    m = getattr(request, "membership", None)
    if company is None or not permissions.can_create_contract(m):
        raise PermissionDenied
    form = NewContractForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract = documents.create_draft(
                company=company,
                user=request.user,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                request=request,
            )
        except documents.UploadRefused as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("The contract draft is ready. Check its details."))
            return redirect("contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/new.html",
        {
            "nav": "contracts",
            "form": form,
            "converter": convert.available(),
            "max_mb": documents.max_bytes() // documents.MB,
            "max_pages": documents.max_pages(),
        },
        status=400 if form.errors else 200,
    )


def _detail_context(request, contract: Contract, form=None) -> dict:
    m = getattr(request, "membership", None)
    can_edit = permissions.can_edit_contract_draft(m, contract, request.user)
    versions = list(contract.versions.select_related("created_by").order_by("-number"))
    current = versions[0] if versions else None
    if can_edit and form is None:
        form = DraftForm(instance=contract)
    return {
        "nav": "contracts",
        "contract": contract,
        "badge": STATE_BADGE.get(contract.state, ""),
        "can_edit": can_edit,
        "form": form if can_edit else None,
        "versions": versions,
        "current": current,
        "type_suggestions": TYPE_SUGGESTIONS,
        "parties": list(contract.participants.select_related("user").order_by("position")),
        **_pages_context(contract, current),
    }


def _pages_context(contract: Contract, version: DocumentVersion | None) -> dict:
    if version is None:
        return {"pages": []}
    pages = []
    if version.preview_state == DocumentVersion.Previews.READY:
        for page in range(1, version.page_count + 1):
            w, h = previews.image_size(version, page, previews.THUMB)
            pages.append({"number": page, "width": w, "height": h})
    return {"pages": pages, "version": version}


@login_required
def contract_detail(request, pk: int):
    contract = _open(request, pk)
    return render(request, "contracts/detail.html", _detail_context(request, contract))


@login_required
def contract_edit(request, pk: int):
    contract = _open(request, pk)
    if request.method != "POST":
        return redirect("contract_detail", pk=contract.pk)
    m = getattr(request, "membership", None)
    if not permissions.can_edit_contract_draft(m, contract, request.user):
        raise PermissionDenied
    form = DraftForm(request.POST, instance=contract)
    if not form.is_valid():
        return render(
            request,
            "contracts/detail.html",
            _detail_context(request, contract, form=form),
            status=400,
        )
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.state != Contract.State.DRAFT:
            messages.error(request, _("This contract is no longer a draft; it cannot be changed."))
            return redirect("contract_detail", pk=contract.pk)
        changed = list(form.changed_data)
        for field in form.Meta.fields:
            setattr(locked, field, form.cleaned_data[field])
        locked.save()
        if changed:
            record(
                "contract.updated",
                request=request,
                company=locked.company,
                obj=locked,
                fields=changed,
            )
    messages.success(request, _("The draft is saved."))
    return redirect("contract_detail", pk=contract.pk)


@login_required
def contract_previews(request, pk: int):
    """The thumbnails, or the progress while they render (htmx polls this fragment)."""
    contract = _open(request, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    version = contract.current_version()
    return render(
        request,
        "contracts/_previews.html",
        {"contract": contract, **_pages_context(contract, version)},
    )


@login_required
def contract_page(request, pk: int, page: int):
    """One page at reading size, with the way to the pages before and after it."""
    contract = _open(request, pk)
    version = contract.current_version()
    if version is None or not 1 <= page <= version.page_count:
        raise Http404
    w, h = previews.image_size(version, page, previews.PAGE)
    return render(
        request,
        "contracts/page.html",
        {
            "nav": "contracts",
            "contract": contract,
            "version": version,
            "page": page,
            "width": w,
            "height": h,
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < version.page_count else None,
            "ready": version.preview_state == DocumentVersion.Previews.READY
            or version.preview_done >= page,
        },
    )


@login_required
def contract_page_image(request, pk: int, number: int, page: int, size: str):
    contract = _open(request, pk)
    version = _version(contract, number)
    width = previews.WIDTHS.get(size)
    if width is None or not 1 <= page <= version.page_count:
        raise Http404
    name = previews.preview_name(version.pk, width, page)
    if not default_storage.exists(name):
        raise Http404
    return file_response(default_storage.open(name, "rb"), download_name=f"page-{page}")


@login_required
def contract_version_download(request, pk: int, number: int):
    contract = _open(request, pk)
    version = _version(contract, number)
    stem = f"{contract.number or 'contract-' + str(contract.pk)}-v{version.number}"
    return file_response(version.file, download_name=_safe_stem(stem))


def _safe_stem(stem: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem)[:80] or "contract"

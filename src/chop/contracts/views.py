"""The contract pages: the list, a new contract (upload), a draft's page with its previews and
versions, one page at reading size, and the files (previews, every version) behind permission.

Every look-up starts from ``_reachable``: contracts of the companies the user belongs to, their
own personal ones, and contracts sent to a party they belong to. Anything else is a 404,
whatever the method, before any other check, so another company's contract is never confirmed
to exist. A contract opened from a link while another space is active switches to the contract's
space (as seal pages do); a party's member switches to the party's space instead. What a party
sees of the document is ``access.Viewer`` (PRODUCT.md §4: their turn, after they acted, or after
completion; never a half-signed version).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from chop.orgs import permissions
from chop.orgs.access import enter_space
from chop.orgs.models import Membership
from chop.uploads import file_response

from . import access, convert, documents, drafts, previews, workbench
from . import party_forms as party_forms_module
from .forms import TYPE_SUGGESTIONS, DraftForm, NewContractForm
from .models import Contract, DocumentVersion, Participant

STATE_BADGE = {
    Contract.State.DRAFT: "",
    Contract.State.SIGNING: "warn",
    Contract.State.COMPLETED: "ok",
    Contract.State.DECLINED: "red",
    Contract.State.REVOKED: "red",
    Contract.State.EXPIRED: "red",
}


def _reachable(user):
    companies = Membership.objects.filter(user=user).values("company")
    party_of = Participant.objects.filter(
        Q(kind=Participant.Kind.PERSON, user=user)
        | Q(kind=Participant.Kind.COMPANY, company__in=companies)
    ).values("contract")
    return Contract.objects.filter(
        Q(company__in=companies)
        | Q(company__isnull=True, created_by=user)
        | (Q(pk__in=party_of) & ~Q(state=Contract.State.DRAFT) & Q(sent_at__isnull=False))
    )


def _is_initiator(user, contract: Contract) -> bool:
    if contract.company_id is None:
        return contract.created_by_id == user.pk
    return Membership.objects.filter(user=user, company_id=contract.company_id).exists()


def _open(request, pk: int) -> Contract:
    """The contract ``pk`` if the user may see it (404 otherwise), in its own space (a party's
    member: in the party's space). ``contract.viewer`` says what of it they may see."""
    contract = get_object_or_404(
        _reachable(request.user).select_related("company", "created_by"), pk=pk
    )
    if _is_initiator(request.user, contract):
        enter_space(request, contract.company)
        if not permissions.can_view_contract(
            getattr(request, "membership", None), contract, request.user
        ):
            raise Http404
        contract.viewer = access.Viewer(initiator=True)  # type: ignore[attr-defined]
        return contract
    found = access.party_memberships(request.user, contract)
    if not found:
        raise Http404
    active = getattr(request, "company", None)
    active_id = active.pk if active is not None else None
    # the party's space: the active one when it is one of theirs, else their first party's
    _party, m = next(
        ((p, m) for p, m in found if (p.company_id if p.kind == "company" else None) == active_id),
        found[0],
    )
    enter_space(request, m.company if m is not None else None, m)
    contract.viewer = access.Viewer(  # type: ignore[attr-defined]
        initiator=False, parties=[p for p, _m in found]
    )
    return contract


def _version(contract: Contract, number: int) -> DocumentVersion:
    """Version ``number`` if this viewer may see it; 404 otherwise (a party is not told that a
    half-signed version exists)."""
    version = get_object_or_404(contract.versions, number=number)
    latest = contract.versions.order_by("-number").values_list("number", flat=True).first()
    if not contract.viewer.sees_version(version, latest or 0):  # type: ignore[attr-defined]
        raise Http404
    return version


def _shown_version(contract: Contract) -> DocumentVersion | None:
    """The version whose pages this viewer reads: the current one for the initiator; for a
    party the newest it may see (version 1, or the final one after completion), or None when
    it may not see the document yet."""
    viewer = contract.viewer  # type: ignore[attr-defined]
    if not viewer.sees_document:
        return None
    visible = viewer.versions(contract)
    return visible[0] if visible else None


@login_required
def contract_list(request):
    """The workbench: tabs with counts, a search, pages of 25, and this month's statistics."""
    company = request.company
    m = getattr(request, "membership", None)
    space = workbench.Space(user=request.user, company=company, membership=m)
    scope = workbench.contracts(space)
    q = (request.GET.get("q") or "").strip()[:100]
    tab = request.GET.get("tab") or "all"
    if tab not in workbench.TABS:
        tab = "all"
    found = workbench.search(scope, q)
    to_sign = workbench.to_sign_ids(space, found)
    counts = workbench.counts(found, to_sign)
    listed = found.filter(workbench.tab_filter(tab, to_sign)).select_related(
        "created_by", "company"
    )
    page = Paginator(listed.order_by("-updated_at", "-pk"), workbench.PER_PAGE).get_page(
        request.GET.get("page")
    )
    contracts = list(page.object_list)
    names: dict[int, list[str]] = {}
    for contract_id, name in (
        Participant.objects.filter(contract__in=[c.pk for c in contracts])
        .order_by("position")
        .values_list("contract_id", "name")
    ):
        names.setdefault(contract_id, []).append(name)
    for c in contracts:
        c.badge = STATE_BADGE.get(c.state, "")
        c.party_names = names.get(c.pk, [])
        c.is_to_sign = c.pk in to_sign
        c.sign_url = _sign_url(c.pk) if c.is_to_sign else ""
    stats = workbench.month_stats(scope, started=space.started())
    labels = {
        "all": _("All"),
        "to_sign": _("To sign"),
        "waiting": _("Waiting for others"),
        "completed": _("Completed"),
        "drafts": _("Drafts"),
        "ended": _("Ended"),
    }
    return render(
        request,
        "contracts/list.html",
        {
            "nav": "contracts",
            "contracts": contracts,
            "page_obj": page,
            "tab": tab,
            "tabs": [{"key": k, "label": labels[k], "count": counts[k]} for k in workbench.TABS],
            "q": q,
            "total": counts["all"],
            "stats": stats,
            "median": workbench.readable_duration(stats.median),
            "can_create": company is not None and permissions.can_create_contract(m),
            "personal": company is None,
        },
    )


def _sign_url(pk: int) -> str:
    """The signing page when it is installed, else the contract page (which links to it)."""
    return party_forms_module.sign_url(pk) or reverse("contract_detail", args=[pk])


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


def _detail_context(request, contract: Contract, form=None, party_forms=None) -> dict:
    m = getattr(request, "membership", None)
    viewer = contract.viewer  # type: ignore[attr-defined]
    can_edit = viewer.initiator and permissions.can_edit_contract_draft(m, contract, request.user)
    versions = viewer.versions(contract) if viewer.sees_document else []
    current = versions[0] if versions else None  # what _shown_version gives, without a re-query
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
        "sees_document": viewer.sees_document,
        "signed_download": contract.state == Contract.State.COMPLETED
        and bool(versions)
        and versions[0].number > 1,
        "type_suggestions": TYPE_SUGGESTIONS,
        **party_forms_module.parties_context(request, contract, party_forms),
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
    if drafts.save_details(contract, form, request=request) is None:
        messages.error(request, _("This contract is no longer a draft; it cannot be changed."))
        return redirect("contract_detail", pk=contract.pk)
    messages.success(request, _("The draft is saved."))
    return redirect("contract_detail", pk=contract.pk)


@login_required
def contract_previews(request, pk: int):
    """The thumbnails, or the progress while they render (htmx polls this fragment)."""
    contract = _open(request, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    version = _shown_version(contract)
    return render(
        request,
        "contracts/_previews.html",
        {"contract": contract, **_pages_context(contract, version)},
    )


@login_required
def contract_page(request, pk: int, page: int):
    """One page at reading size, with the way to the pages before and after it."""
    contract = _open(request, pk)
    version = _shown_version(contract)
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

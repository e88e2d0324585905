"""The parties card's actions and what follows sending: add the initiator (with who stamps),
another company or a person; remove and move parties; send; revoke, remind and decline; and the
signed PDF's download.

Every view opens the contract through ``views._open`` first, so a contract the user may not see
is a 404 whatever the method. Changes are POST forms that work without script and come back to
the contract page; the services (``participants``, ``sending``) lock the contract and check the
transition table, and their refusals are shown as they say them.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chop.audit.events import record
from chop.orgs import permissions
from chop.uploads import harden_file_headers

from . import access, notify, participants, sending
from .models import Contract, Participant, ParticipantState
from .participants import ParticipantError
from .party_forms import CompanyPartyForm, InitiatorForm, PersonPartyForm, ReasonForm
from .states import TransitionError
from .views import STATE_BADGE, _detail_context, _open, _version

# Which form field a service refusal belongs to (the rest go above the form).
ERROR_FIELDS = {
    "participant.no_name": "name",
    "participant.bad_uscc": "uscc",
    "participant.bad_contact": "contact",
    "participant.no_contact": "contact",
    "participant.unreachable": "contact",
}


def _managed(request, pk: int) -> Contract:
    """The contract, if the user may manage its parties (a draft of theirs); 403 otherwise."""
    contract = _open(request, pk)
    m = getattr(request, "membership", None)
    if not (
        contract.viewer.initiator  # type: ignore[attr-defined]
        and permissions.can_manage_contract_parties(m, contract, request.user)
    ):
        raise PermissionDenied
    return contract


def _back(contract: Contract):
    return redirect(reverse("contract_detail", args=[contract.pk]) + "#parties-h")


def _with_errors(request, contract: Contract, key: str, form):
    """The contract page again, with ``form`` showing its errors (400)."""
    return render(
        request,
        "contracts/detail.html",
        _detail_context(request, contract, party_forms={key: form}),
        status=400,
    )


def _service_error(form, exc: ParticipantError | TransitionError) -> None:
    form.add_error(ERROR_FIELDS.get(exc.code), str(exc.message))


@login_required
def party_initiator(request, pk: int):
    """Make the initiating company party 0 with the member who stamps (or change who stamps)."""
    contract = _managed(request, pk)
    if request.method != "POST":
        return _back(contract)
    if contract.company is None:
        form = None
        stamper = None
    else:
        form = InitiatorForm(request.POST, company=contract.company)
        if not form.is_valid():
            return _with_errors(request, contract, "initiator", form)
        stamper = form.cleaned_data["stamper"]
    try:
        party = participants.add_initiator(contract, by=request.user, stamper=stamper)
    except (ParticipantError, TransitionError) as exc:
        messages.error(request, str(exc.message))
        return _back(contract)
    messages.success(request, _("%(name)s is a party and signs first.") % {"name": party.name})
    return _back(contract)


def _add_party(request, pk: int, form_class, kind: str, add, invited_note) -> HttpResponse:
    """The company and person forms alike: validate, ``add(contract, by=, **cleaned_data)``
    (the form's fields are the service's arguments), then say whether the party was found on
    Chop or will be invited when the contract is sent."""
    contract = _managed(request, pk)
    if request.method != "POST":
        return _back(contract)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            party = add(contract, by=request.user, **form.cleaned_data)
        except (ParticipantError, TransitionError) as exc:
            _service_error(form, exc)
        else:
            note = (
                _("%(name)s is registered on Chop and was added.")
                if party.is_registered
                else invited_note
            )
            messages.success(request, note % {"name": party.name})
            return _back(contract)
    return _with_errors(request, contract, kind, form)


@login_required
def party_company(request, pk: int):
    return _add_party(
        request,
        pk,
        CompanyPartyForm,
        "company",
        participants.add_company,
        _("%(name)s is not registered yet: it is invited when you send."),
    )


@login_required
def party_person(request, pk: int):
    return _add_party(
        request,
        pk,
        PersonPartyForm,
        "person",
        participants.add_person,
        _("%(name)s is not registered yet: they are invited when you send."),
    )


def _party(contract: Contract, party: int) -> Participant:
    return get_object_or_404(contract.participants, pk=party)


@login_required
def party_remove(request, pk: int, party: int):
    contract = _managed(request, pk)
    p = _party(contract, party)
    if request.method != "POST":
        return _back(contract)
    try:
        participants.remove(p, by=request.user)
    except TransitionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(name)s is no longer a party.") % {"name": p.name})
    return _back(contract)


@login_required
def party_move(request, pk: int, party: int):
    """Move a party one place up or down in the signing order (``direction`` up|down)."""
    contract = _managed(request, pk)
    p = _party(contract, party)
    if request.method != "POST":
        return _back(contract)
    order = list(contract.participants.order_by("position").values_list("pk", flat=True))
    i = order.index(p.pk)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        try:
            participants.reorder(contract, order, by=request.user)
        except (ParticipantError, TransitionError) as exc:
            messages.error(request, str(exc.message))
    return _back(contract)


@login_required
def contract_send(request, pk: int):
    contract = _managed(request, pk)
    if request.method != "POST":
        return _back(contract)
    try:
        sending.send(contract, by=request.user)
    except sending.SendError as exc:
        for problem in exc.problems:
            messages.error(request, str(problem.message))
        return _back(contract)
    except TransitionError as exc:
        messages.error(request, str(exc.message))
        return _back(contract)
    messages.success(
        request, _("The contract is sent. The parties are told when it is their turn.")
    )
    return redirect("contract_detail", pk=contract.pk)


@login_required
def contract_revoke(request, pk: int):
    """The confirm step (GET) and the revocation (POST) with a required reason."""
    contract = _open(request, pk)
    m = getattr(request, "membership", None)
    if not (
        contract.viewer.initiator  # type: ignore[attr-defined]
        and permissions.can_revoke_contract(m, contract, request.user)
    ):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sending.revoke(contract, by=request.user, reason=form.cleaned_data["reason"])
        except TransitionError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The contract is revoked. Every party is told."))
            return redirect("contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/revoke.html",
        {
            "nav": "contracts",
            "contract": contract,
            "badge": STATE_BADGE.get(contract.state, ""),
            "form": form,
            "sent": contract.state == Contract.State.SIGNING,
        },
        status=400 if form.errors else 200,
    )


@login_required
def contract_remind(request, pk: int):
    contract = _open(request, pk)
    m = getattr(request, "membership", None)
    if not (
        contract.viewer.initiator  # type: ignore[attr-defined]
        and permissions.can_remind_contract(m, contract, request.user)
    ):
        raise PermissionDenied
    if request.method != "POST":
        return _back(contract)
    try:
        n = sending.remind(contract, by=request.user)
    except TransitionError as exc:
        messages.warning(request, str(exc.message))
    else:
        if n:
            note = ngettext(
                "A reminder went to %(n)d party whose turn it is.",
                "A reminder went to the %(n)d parties whose turn it is.",
                n,
            ) % {"n": n}
        else:
            note = _("Nobody is waiting to sign right now.")
        messages.success(request, note)
    return _back(contract)


@login_required
def contract_decline(request, pk: int):
    """The party whose turn it is declines with a reason: GET shows the form, POST declines."""
    contract = _open(request, pk)
    mine = access.parties_for(request.user, contract, state=ParticipantState.TO_SIGN, decline=True)
    if contract.state != Contract.State.SIGNING or not mine:
        messages.error(
            request, _("It is not your turn to sign this contract, so you cannot decline it.")
        )
        return redirect("contract_detail", pk=contract.pk)
    form = ReasonForm(request.POST or None)
    party = mine[0]
    if request.method == "POST":
        chosen = request.POST.get("party")
        if chosen and len(mine) > 1:
            party = next((p for p in mine if str(p.pk) == chosen), party)
        if form.is_valid():
            try:
                sending.decline(party, by=request.user, reason=form.cleaned_data["reason"])
            except TransitionError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("You declined the contract. Every party is told."))
                return redirect("contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/decline.html",
        {
            "nav": "contracts",
            "contract": contract,
            "badge": STATE_BADGE.get(contract.state, ""),
            "form": form,
            "parties": mine,
            "party": party,
            "initiator": contract.company.name
            if contract.company
            else contract.created_by.display_name,
        },
        status=400 if form.errors else 200,
    )


@login_required
def contract_signed_download(request, pk: int):
    """The final signed PDF of a completed contract, as ``<title>-signed.pdf``."""
    contract = _open(request, pk)
    if contract.state != Contract.State.COMPLETED:
        raise Http404
    latest = contract.versions.order_by("-number").first()
    if latest is None or latest.number < 2:
        raise Http404
    return _signed_pdf(contract, _version(contract, latest.number))


def contract_copy(request, token: str):
    """A copy recipient's (抄送) download of the final signed PDF, by the signed link they were
    sent on completion: no account, nothing but that one file, for 30 days."""
    payload, problem = notify.read_copy_token(token)
    contract = None
    if payload is not None:
        contract = Contract.objects.filter(
            pk=payload.get("c"), state=Contract.State.COMPLETED
        ).first()
        if contract is None or payload.get("to") not in (contract.copy_recipients or []):
            contract, problem = None, "invalid"
    if contract is None:
        return render(request, "contracts/copy_unavailable.html", {"problem": problem}, status=404)
    latest = contract.versions.order_by("-number").first()
    record(
        "contract.copy_downloaded",
        request=request,
        company=contract.company,
        obj=contract,
        version=latest.number,
    )
    return _signed_pdf(contract, latest)


def _signed_pdf(contract: Contract, version) -> HttpResponse:
    """The final signed PDF as ``<title>-signed.pdf`` (ASCII fallback: the contract number)."""
    return signed_pdf_response(
        version.file.open("rb"),
        f"{contract.title}-signed.pdf",
        fallback=f"{_ascii_stem(contract.number) or f'contract-{contract.pk}'}-signed.pdf",
    )


def _ascii_stem(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in "-_"))[:80]


def signed_pdf_response(fh, filename: str, *, fallback: str):
    """A PDF as an attachment named ``filename`` in RFC 5987 ``filename*`` (Chinese titles
    survive), with the ASCII ``fallback`` for old clients, and the hardened headers of every
    served file (nosniff, sandbox CSP)."""
    from django.http import FileResponse

    response = FileResponse(fh, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return harden_file_headers(response)

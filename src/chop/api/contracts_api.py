"""Contracts over the API: create from an upload, list, read, change a draft, its parties and
positions, send, revoke, remind, and download its files.

What a key sees mirrors the contract pages (``contracts.views``), for a company instead of a
person: the company's own contracts (it is their initiator and sees everything), and contracts
where the company is a party and that were sent; of those it sees what ``access.Viewer`` lets a
party see (the document in its turn, after it acted or after completion; never an intermediate,
half-signed version). Anything else is a 404 before any other check, so another company's
contract is never confirmed to exist. Changes are made only on the company's own contracts, with
the permission functions the pages use, asked with the membership of the key's maker; the
services (``documents``, ``participants``, ``positions``, ``sending``) do the work and their
refusals come back as problems with their codes.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from chop.contracts import documents, drafts, participants, positions, sending
from chop.contracts.access import Viewer
from chop.contracts.forms import DraftForm, NewContractForm
from chop.contracts.models import (
    Contract,
    ContractState,
    DocumentVersion,
    Participant,
    ParticipantKind,
    Position,
    default_deadline,
)
from chop.contracts.participants import ParticipantError
from chop.contracts.party_forms import (
    CompanyPartyForm,
    PersonPartyForm,
    ReasonForm,
    masked_contact,
    stampers,
)
from chop.contracts.states import TransitionError
from chop.contracts.workbench import search
from chop.orgs import permissions
from chop.uploads import file_response

from .auth import need
from .pagination import page
from .problems import ApiProblem, not_found
from .schemas import (
    ContractOut,
    ContractPage,
    ParticipantOut,
    PositionOut,
    problems,
)

router = Router()

MAX_ID = 2**63 - 1

# How an upload refusal (``documents.UploadRefused.code``) is answered: too big 413, not a type
# Chop takes 415, anything else about the file (encrypted, malformed, too many pages) 422.
UPLOAD_STATUS = {"too_big": 413, "type": 415, "no_converter": 415}


# --- what a company sees -----------------------------------------------------------------------


def reachable(company):
    """The company's own contracts and those sent to a party of the company."""
    party_of = Participant.objects.filter(kind=ParticipantKind.COMPANY, company=company).values(
        "contract"
    )
    return Contract.objects.filter(
        Q(company=company)
        | (Q(pk__in=party_of) & ~Q(state=ContractState.DRAFT) & Q(sent_at__isnull=False))
    )


def _viewer(request, contract: Contract, parties: list[Participant]) -> Viewer | None:
    """What the key's company may see of ``contract`` (``parties``: all of its parties), or
    None when nothing."""
    m = request.membership
    if contract.company_id == request.company.pk:
        if not permissions.can_view_contract(m, contract, request.user):
            return None
        return Viewer(initiator=True)
    ours = []
    for p in parties:
        if p.kind == ParticipantKind.COMPANY and p.company_id == request.company.pk:
            p.contract = contract
            if permissions.can_view_contract_as_party(m, p, request.user):
                ours.append(p)
    return Viewer(initiator=False, parties=ours) if ours else None


def _parties(*, positions: bool, related: tuple[str, ...] = ()) -> Prefetch:
    """The contract's parties in order, to read along with it; with ``positions``, each
    party's positions too; ``related``: what each party's row reads along (``select_related``)."""
    parties = Participant.objects.order_by("position").select_related(*related)
    if positions:
        parties = parties.prefetch_related(
            Prefetch("positions", queryset=Position.objects.order_by("pk"))
        )
    return Prefetch("participants", queryset=parties)


def _versions() -> Prefetch:
    return Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"))


def _with_related(qs, *, full: bool = True):
    """``qs`` with the company and the parties read along; with ``full``, also the parties'
    positions and the versions, which :func:`contract_out` shows."""
    if not full:
        return qs.select_related("company").prefetch_related(_parties(positions=False))
    return qs.select_related("company").prefetch_related(_parties(positions=True), _versions())


def _id(value: int) -> int:
    if not 0 < value <= MAX_ID:
        raise not_found()
    return value


def open_contract(
    request, contract_id: int, scope: str = "read", *, full: bool = True, reached: bool = False
) -> Contract:
    """The contract if the key's company may see it (404 otherwise), with ``contract.viewer``.
    ``full=False`` reads only its parties along (enough to decide and act, not to answer with
    :func:`contract_out`). ``reached``: this request already found the contract among those the
    company reaches (a contract stays reachable once sent), so only the viewer is decided anew."""
    need(request, scope)
    among = Contract.objects.all() if reached else reachable(request.company)
    return _opened(request, _with_related(among, full=full).filter(pk=_id(contract_id)))


def lock_open_contract(request, contract_id: int, scope: str) -> Contract:
    """:func:`open_contract` for an act (call inside ``atomic``): the contract's row locked
    until the transaction ends, as ``contracts.states.lock_contract`` locks it, and read under
    that lock with its parties (their company, user and positions), which the act moves in place.
    The versions are not read: the act adds one; read them after it to answer."""
    need(request, scope)
    query = (
        reachable(request.company)
        .select_for_update(of=("self",))
        .select_related("company")
        .prefetch_related(_parties(positions=True, related=("company", "user")))
        .filter(pk=_id(contract_id))
    )
    return _opened(request, query)


def with_versions(contract: Contract) -> Contract:
    """``contract`` with its versions read now (newest first), as :func:`contract_out` shows
    them."""
    prefetch_related_objects([contract], _versions())
    return contract


def _opened(request, query) -> Contract:
    contract = query.first()
    if contract is None:
        raise not_found()
    viewer = _viewer(request, contract, list(contract.participants.all()))
    if viewer is None:
        raise not_found()
    contract.viewer = viewer
    return contract


def own_contract(request, contract_id: int) -> Contract:
    """A contract the company initiated, for a change (scope ``contracts``): 404 if unseen,
    403 if the company is only a party to it."""
    contract = open_contract(request, contract_id, "contracts")
    if not contract.viewer.initiator:
        raise ApiProblem(
            403, "not_initiator", _("Only the company that started this contract can change it.")
        )
    return contract


def refresh(request, contract: Contract) -> Contract:
    return open_contract(request, contract.pk)


def _visible_versions(contract: Contract) -> list[DocumentVersion]:
    viewer: Viewer = contract.viewer
    if not viewer.sees_document:
        return []
    versions = list(contract.versions.all())  # prefetched, newest first
    latest = versions[0].number if versions else 0
    return [v for v in versions if viewer.sees_version(v, latest)]


# --- shapes ------------------------------------------------------------------------------------


def position_out(p: Position) -> dict:
    return {
        "id": p.pk,
        "form": p.form,
        "page": p.page,
        "pages": p.pages,
        "x_mm": p.x_mm,
        "y_mm": p.y_mm,
        "size_mm": p.size_mm,
        "edge": p.edge,
        "along_mm": p.along_mm,
        "keyword": p.keyword,
        "occurrence": p.occurrence,
        "dx_mm": p.dx_mm,
        "dy_mm": p.dy_mm,
        "with_date": p.with_date,
    }


def participant_out(p: Participant, *, with_positions: bool = True) -> dict:
    return {
        "id": p.pk,
        "position": p.position,
        "kind": p.kind,
        "name": p.name,
        "company_id": p.company_id,
        "uscc": p.uscc,
        "contact": masked_contact(p.contact),
        "state": p.state,
        "acted_at": p.acted_at,
        "positions": [position_out(x) for x in p.positions.all()] if with_positions else [],
    }


def contract_out(contract: Contract) -> dict:
    """The contract as the key's company sees it: every party (contacts masked), positions of
    its own parties (all of them for the initiator), the versions it may download."""
    viewer: Viewer = contract.viewer
    ours = {p.pk for p in viewer.parties}
    initiator = (
        {"company_id": contract.company_id, "name": contract.company.name}
        if contract.company is not None
        else {"company_id": None, "name": contract.created_by.display_name}
    )
    return {
        "id": contract.pk,
        "title": contract.title,
        "number": contract.number,
        "contract_type": contract.contract_type,
        "state": contract.state,
        "order": contract.order,
        "deadline": contract.deadline,
        "created_at": contract.created_at,
        "sent_at": contract.sent_at,
        "finished_at": contract.finished_at,
        "initiator": initiator,
        "participants": [
            participant_out(p, with_positions=viewer.initiator or p.pk in ours)
            for p in contract.participants.all()
        ],
        "versions": [
            {
                "number": v.number,
                "reason": v.reason,
                "sha256": v.sha256,
                "size": v.size,
                "page_count": v.page_count,
                "created_at": v.created_at,
            }
            for v in _visible_versions(contract)
        ],
    }


def _form_errors(form) -> ApiProblem:
    errors = [
        {"field": None if field == "__all__" else field, "message": str(message)}
        for field, messages in form.errors.items()
        for message in messages
    ]
    return ApiProblem(422, "invalid", _("Some fields are missing or not valid."), errors=errors)


def _service_problem(exc: ParticipantError | TransitionError | positions.PositionError, status):
    errors = None
    field = getattr(exc, "field", "")
    if field:
        errors = [{"field": field, "message": str(exc.message)}]
    return ApiProblem(status, exc.code, str(exc.message), errors=errors)


def _transition(exc: TransitionError) -> ApiProblem:
    """A refused move: the contract is in the wrong state (409), or a value is missing (422)."""
    status = 422 if exc.code.endswith("no_reason") else 409
    return _service_problem(exc, status)


# --- create, list, read, change ----------------------------------------------------------------


@router.post(
    "",
    response={201: ContractOut, **problems(400, 403, 409, 413, 415, 422)},
    summary="Create a contract from an uploaded document",
    description=(
        "Multipart form: `file` (a PDF, or Word/ODT/RTF when the server can convert), `title`, "
        "and optionally `number`, `contract_type`, `deadline` (YYYY-MM-DD, today to 90 days "
        "ahead), `order` (`sequential` or `parallel`). The same checks as the upload page: size "
        "and page limits, no encryption, nothing that could run. A file that is too big is 413, "
        "a type Chop does not take 415, a PDF it cannot sign (encrypted, malformed, scripted) "
        "422. Answers the draft. Scope `contracts`."
    ),
)
def create_contract(
    request,
    file: UploadedFile = File(...),  # noqa: B008
    title: str = Form(...),
    number: str = Form(""),
    contract_type: str = Form(""),
    deadline: dt.date | None = Form(None),  # noqa: B008
    order: str = Form(Contract.Order.SEQUENTIAL),
):
    need(request, "contracts")
    m = request.membership
    if not permissions.can_create_contract(m):
        raise ApiProblem(403, "forbidden", _("You may not start contracts for this company."))
    first = NewContractForm({"title": title}, {"file": file})
    fields = {
        "title": title,
        "number": number,
        "contract_type": contract_type,
        "deadline": (deadline or default_deadline()).isoformat(),
        "order": order,
        "copy_recipients": "",
    }
    draft = DraftForm(fields, instance=Contract())
    if not first.is_valid():
        raise _form_errors(first)
    if not draft.is_valid():
        raise _form_errors(draft)
    meta = {k: draft.cleaned_data[k] for k in ("number", "contract_type", "deadline", "order")}
    try:
        # not inside a transaction of ours: create_draft checks (and may convert) the file
        # before it opens its own, so no database lock waits on a conversion
        contract = documents.create_draft(
            company=request.company,
            user=request.user,
            title=first.cleaned_data["title"],
            upload=file,
            request=request,
            details=meta,
        )
    except documents.UploadRefused as exc:
        raise ApiProblem(
            UPLOAD_STATUS.get(exc.code, 422), f"upload.{exc.code}", exc.message
        ) from None
    return Status(201, contract_out(refresh(request, contract)))


class ContractFilters(Schema):
    state: str | None = None
    contract_type: str | None = None
    q: str | None = None
    created_after: dt.date | None = None
    created_before: dt.date | None = None
    cursor: str | None = None
    limit: int | None = None


@router.get(
    "",
    response={200: ContractPage, **problems(400, 403, 422)},
    summary="List contracts",
    description=(
        "The company's contracts and those sent to it as a party, newest first. Filters: "
        "`state`, `contract_type` (exact), `q` (title, number or a party's name), "
        "`created_after` / `created_before` (dates, inclusive). Cursor pages: pass "
        "`next_cursor` as `cursor`; `limit` 1-200 (default 50). Scope `read`."
    ),
)
def list_contracts(request, filters: Query[ContractFilters]):
    need(request, "read")
    qs = reachable(request.company)
    if filters.state:
        if filters.state not in ContractState.values:
            raise ApiProblem(
                422,
                "invalid",
                _("Some fields are missing or not valid."),
                errors=[{"field": "state", "message": _("Unknown state.")}],
            )
        qs = qs.filter(state=filters.state)
    if filters.contract_type:
        qs = qs.filter(contract_type=filters.contract_type)
    if filters.q:
        qs = search(qs, filters.q)
    if "\x00" in (filters.q or "") + (filters.contract_type or ""):
        qs = qs.none()  # stored text has no NUL, and PostgreSQL refuses one in a query
    if filters.created_after:
        qs = qs.filter(created_at__date__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__date__lte=filters.created_before)
    rows, next_cursor = page(_with_related(qs), filters.cursor, filters.limit)
    items = []
    for contract in rows:
        viewer = _viewer(request, contract, list(contract.participants.all()))
        if viewer is None:
            continue
        contract.viewer = viewer
        items.append(contract_out(contract))
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/{contract_id}",
    response={200: ContractOut, **problems(403, 404)},
    summary="Get a contract",
    description="One contract with its parties and the versions the company may download. "
    "Scope `read`.",
)
def get_contract(request, contract_id: int):
    return contract_out(open_contract(request, contract_id))


class DraftIn(Schema):
    title: str | None = None
    number: str | None = None
    contract_type: str | None = None
    deadline: dt.date | None = None
    order: str | None = None


@router.patch(
    "/{contract_id}",
    response={200: ContractOut, **problems(403, 404, 409, 422)},
    summary="Change a draft's details",
    description=(
        "Any of `title`, `number`, `contract_type`, `deadline`, `order`; the others keep their "
        "values. Only while the contract is a draft (409 otherwise). Scope `contracts`."
    ),
)
def patch_contract(request, contract_id: int, body: DraftIn):
    contract = own_contract(request, contract_id)
    if not contract.is_draft:
        raise ApiProblem(
            409, "not_draft", _("This contract is no longer a draft; it cannot be changed.")
        )
    if not permissions.can_edit_contract_draft(request.membership, contract, request.user):
        raise ApiProblem(403, "forbidden", _("You may not change this draft."))
    given = body.model_dump(exclude_unset=True)
    data = {
        "title": contract.title,
        "number": contract.number,
        "contract_type": contract.contract_type,
        "deadline": contract.deadline.isoformat(),
        "order": contract.order,
        "copy_recipients": "\n".join(contract.copy_recipients or []),
    }
    for name, value in given.items():
        if value is None:
            continue
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    form = DraftForm(data, instance=Contract.objects.get(pk=contract.pk))
    if not form.is_valid():
        raise _form_errors(form)
    if drafts.save_details(contract, form, request=request) is None:
        raise ApiProblem(
            409, "not_draft", _("This contract is no longer a draft; it cannot be changed.")
        )
    return contract_out(refresh(request, contract))


# --- parties -----------------------------------------------------------------------------------


class ParticipantIn(Schema):
    kind: str
    name: str = ""
    uscc: str = ""
    contact: str = ""
    stamper_id: int | None = None


def _managed(request, contract_id: int) -> Contract:
    contract = own_contract(request, contract_id)
    if not contract.is_draft:
        raise ApiProblem(
            409,
            "participant.not_draft",
            _("Parties can be changed only while the contract is a draft."),
        )
    if not permissions.can_manage_contract_parties(request.membership, contract, request.user):
        raise ApiProblem(403, "forbidden", _("You may not change this contract's parties."))
    return contract


def _party_problem(exc: ParticipantError | TransitionError) -> ApiProblem:
    if isinstance(exc, TransitionError):
        return _transition(exc)
    return _service_problem(exc, 409 if exc.code == "participant.duplicate" else 422)


@router.post(
    "/{contract_id}/participants",
    response={201: ParticipantOut, **problems(403, 404, 409, 422)},
    summary="Add a party",
    description=(
        "`kind`: `initiator` (your company, signing first; `stamper_id` optionally names the "
        "member who stamps), `company` (`name` and `uscc`, or `name` and its operator's "
        "`contact`; an unregistered company needs a `contact` to be invited) or `person` "
        "(`name` and `contact`: a mobile number or e-mail). A draft only. Scope `contracts`."
    ),
)
def add_participant(request, contract_id: int, body: ParticipantIn):
    contract = _managed(request, contract_id)
    try:
        if body.kind == "initiator":
            stamper = None
            if body.stamper_id is not None:
                stamper = next(
                    (u for u in stampers(contract.company) if u.pk == body.stamper_id), None
                )
                if stamper is None:
                    raise ApiProblem(
                        422,
                        "invalid",
                        _("Some fields are missing or not valid."),
                        errors=[
                            {"field": "stamper_id", "message": _("Not a member of your company.")}
                        ],
                    )
            party = participants.add_initiator(contract, by=request.user, stamper=stamper)
        elif body.kind == "company":
            form = CompanyPartyForm({"name": body.name, "uscc": body.uscc, "contact": body.contact})
            if not form.is_valid():
                raise _form_errors(form)
            party = participants.add_company(contract, by=request.user, **form.cleaned_data)
        elif body.kind == "person":
            form = PersonPartyForm({"name": body.name, "contact": body.contact})
            if not form.is_valid():
                raise _form_errors(form)
            party = participants.add_person(contract, by=request.user, **form.cleaned_data)
        else:
            raise ApiProblem(
                422,
                "invalid",
                _("Some fields are missing or not valid."),
                errors=[{"field": "kind", "message": _("Use initiator, company or person.")}],
            )
    except (ParticipantError, TransitionError) as exc:
        raise _party_problem(exc) from None
    party = Participant.objects.prefetch_related("positions").get(pk=party.pk)
    return Status(201, participant_out(party))


def _party(contract: Contract, participant_id: int) -> Participant:
    party = next((p for p in contract.participants.all() if p.pk == participant_id), None)
    if party is None:
        raise not_found()
    return party


@router.delete(
    "/{contract_id}/participants/{participant_id}",
    response={204: None, **problems(403, 404, 409)},
    summary="Remove a party",
    description="Removes a party (and its positions) from a draft. Scope `contracts`.",
)
def remove_participant(request, contract_id: int, participant_id: int):
    contract = _managed(request, contract_id)
    party = _party(contract, participant_id)
    try:
        participants.remove(party, by=request.user)
    except TransitionError as exc:
        raise _transition(exc) from None
    return Status(204, None)


# --- positions ---------------------------------------------------------------------------------


class PositionIn(Schema):
    form: str = "single"
    page: int | None = None
    pages: str = ""
    x_mm: float | None = None
    y_mm: float | None = None
    size_mm: float | None = None
    edge: str = ""
    along_mm: float | None = None
    keyword: str = ""
    occurrence: str = "first"
    dx_mm: float | None = None
    dy_mm: float | None = None
    with_date: bool = False


class BoxOut(Schema):
    page: int
    x_mm: float
    y_mm: float
    w_mm: float
    h_mm: float


class HitOut(Schema):
    page: int
    x_mm: float
    y_mm: float
    size_mm: float
    text: str
    text_x_mm: float
    text_y_mm: float
    text_w_mm: float
    text_h_mm: float


class PlacedOut(Schema):
    position: PositionOut
    hits: list[HitOut]
    boxes: list[BoxOut]


def keyword_stamps(position: Position, version) -> list[dict]:
    """Where a keyword position will stamp: each chosen hit's seal box (top-left, size) with
    the text it was found at."""
    found = positions.keyword_hits(version, position.keyword)
    size = position.size_mm or positions.default_size(position.participant)
    chosen = {"first": found[:1], "last": found[-1:]}.get(position.occurrence, found)
    seals = positions.keyword_seals(
        chosen,
        version,
        occurrence="all",
        dx=position.dx_mm,
        dy=position.dy_mm,
        size=size,
    )
    return [
        {
            **seal,
            "text": hit["text"],
            "text_x_mm": hit["x_mm"],
            "text_y_mm": hit["y_mm"],
            "text_w_mm": hit["w_mm"],
            "text_h_mm": hit["h_mm"],
        }
        for hit, seal in zip(chosen, seals, strict=True)
    ]


@router.post(
    "/{contract_id}/participants/{participant_id}/positions",
    response={201: PlacedOut, **problems(403, 404, 409, 422)},
    summary="Place a party's seal position",
    description=(
        "The editor's fields. `form`: `single` (`page`, `x_mm`, `y_mm`), `multi` (`pages` such "
        "as `1-3,5` or `all`, `x_mm`, `y_mm`), `riding` (`edge`, `pages`, optional `along_mm`) "
        "or `keyword` (`keyword`, `occurrence` first|last|all, offsets `dx_mm`, `dy_mm`); "
        "`size_mm` (10-80, default by party kind), `with_date`. Millimetres from the displayed "
        "page's top-left corner. Answers the position, `hits` (for a keyword: where each seal "
        "will land and the text it was found at) and `boxes` (what it covers on each page). A "
        "keyword not in the document is a 422 saying so. Scope `contracts`."
    ),
)
def add_position(request, contract_id: int, participant_id: int, body: PositionIn):
    contract = own_contract(request, contract_id)
    if not contract.is_draft:
        raise ApiProblem(
            409,
            "position.not_draft",
            _("Positions can be changed only while the contract is a draft."),
        )
    if not permissions.can_place_positions(request.membership, contract, request.user):
        raise ApiProblem(403, "forbidden", _("You may not place positions on this contract."))
    party = _party(contract, participant_id)
    values = {k: v for k, v in body.model_dump().items() if v is not None}
    try:
        position = positions.add(contract, party, values, by=request.user, request=request)
    except positions.PositionError as exc:
        status = 409 if exc.code == "position.not_draft" else 422
        raise _service_problem(exc, status) from None
    position = Position.objects.select_related("participant").get(pk=position.pk)
    version = contract.current_version()
    hits = (
        keyword_stamps(position, version)
        if position.form == Position.Form.KEYWORD and version is not None
        else []
    )
    boxes = positions.boxes(position, version) if version is not None else []
    return Status(201, {"position": position_out(position), "hits": hits, "boxes": boxes})


@router.delete(
    "/{contract_id}/participants/{participant_id}/positions/{position_id}",
    response={204: None, **problems(403, 404, 409)},
    summary="Remove a position",
    description="Takes a designated position off a draft. Scope `contracts`.",
)
def remove_position(request, contract_id: int, participant_id: int, position_id: int):
    contract = own_contract(request, contract_id)
    party = _party(contract, participant_id)
    position = next((p for p in party.positions.all() if p.pk == position_id), None)
    if position is None:
        raise not_found()
    if not contract.is_draft:
        raise ApiProblem(
            409,
            "position.not_draft",
            _("Positions can be changed only while the contract is a draft."),
        )
    if not permissions.can_place_positions(request.membership, contract, request.user):
        raise ApiProblem(403, "forbidden", _("You may not place positions on this contract."))
    position.participant = party
    party.contract = contract
    try:
        positions.remove(position, by=request.user, request=request)
    except positions.PositionError as exc:
        raise _service_problem(exc, 409) from None
    return Status(204, None)


# --- send, revoke, remind ----------------------------------------------------------------------


@router.post(
    "/{contract_id}/send",
    response={200: ContractOut, **problems(403, 404, 409, 422)},
    summary="Send a draft for signing",
    description=(
        "Checks everything the send button checks (at least two parties, a document, a deadline "
        "not past, every party reachable, every position still stampable); a refusal is a 422 "
        "listing each reason in `problems`. Scope `contracts`."
    ),
)
def send_contract(request, contract_id: int):
    contract = _managed_for_send(request, contract_id)
    try:
        sending.send(contract, by=request.user)
    except sending.SendError as exc:
        raise ApiProblem(
            422,
            exc.code,
            " ".join(str(p.message) for p in exc.problems),
            problems=[{"code": p.code, "message": str(p.message)} for p in exc.problems],
        ) from None
    except TransitionError as exc:
        raise _transition(exc) from None
    return contract_out(refresh(request, contract))


def _managed_for_send(request, contract_id: int) -> Contract:
    contract = own_contract(request, contract_id)
    if not contract.is_draft:
        raise ApiProblem(409, "send.not_draft", _("Only a draft can be sent."))
    if not permissions.can_manage_contract_parties(request.membership, contract, request.user):
        raise ApiProblem(403, "forbidden", _("You may not send this contract."))
    return contract


class ReasonIn(Schema):
    reason: str = ""


@router.post(
    "/{contract_id}/revoke",
    response={200: ContractOut, **problems(403, 404, 409, 422)},
    summary="Revoke a contract",
    description=(
        "Withdraws a draft or a contract being signed; `reason` is required and every party is "
        "told it. Scope `contracts`."
    ),
)
def revoke_contract(request, contract_id: int, body: ReasonIn):
    contract = own_contract(request, contract_id)
    if contract.state not in (ContractState.DRAFT, ContractState.SIGNING):
        raise ApiProblem(
            409,
            "revoke.too_late",
            _("A contract can be revoked only before it is completed, declined or expired."),
        )
    if not permissions.can_revoke_contract(request.membership, contract, request.user):
        raise ApiProblem(403, "forbidden", _("You may not revoke this contract."))
    form = ReasonForm({"reason": body.reason})
    if body.reason.strip() and not form.is_valid():
        raise _form_errors(form)
    reason = form.cleaned_data["reason"] if body.reason.strip() else ""
    try:
        sending.revoke(contract, by=request.user, reason=reason)
    except TransitionError as exc:
        raise _transition(exc) from None
    return contract_out(refresh(request, contract))


class RemindedOut(Schema):
    reminded: int


@router.post(
    "/{contract_id}/remind",
    response={200: RemindedOut, **problems(403, 404, 409)},
    summary="Remind the parties whose turn it is",
    description=(
        "Sends a reminder to every party whose turn it is; at most once an hour (409 "
        "`remind.too_soon`). Only while the contract is being signed. Scope `contracts`."
    ),
)
def remind_contract(request, contract_id: int):
    contract = own_contract(request, contract_id)
    if contract.state != ContractState.SIGNING:
        raise ApiProblem(
            409, "remind.not_signing", _("Only a contract being signed can be reminded.")
        )
    if not permissions.can_remind_contract(request.membership, contract, request.user):
        raise ApiProblem(403, "forbidden", _("You may not remind the parties of this contract."))
    try:
        n = sending.remind(contract, by=request.user)
    except TransitionError as exc:
        raise _transition(exc) from None
    return {"reminded": n}


# --- files -------------------------------------------------------------------------------------

PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "The PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _pdf(contract: Contract, version: DocumentVersion):
    stem = f"{contract.number or 'contract-' + str(contract.pk)}-v{version.number}"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem)[:80] or "contract"
    return file_response(version.file, download_name=safe)


@router.get(
    "/{contract_id}/versions/{number}/file",
    response=problems(403, 404),
    openapi_extra=PDF_RESPONSE,
    summary="Download a version of the document",
    description=(
        "Version `number` as a PDF attachment. The initiating company may download every "
        "version; a party the uploaded document (in its turn or later) and, after completion, "
        "the final signed one. Scope `read`."
    ),
)
def version_file(request, contract_id: int, number: int):
    contract = open_contract(request, contract_id)
    version = next((v for v in _visible_versions(contract) if v.number == number), None)
    if version is None:
        raise not_found()
    return _pdf(contract, version)


@router.get(
    "/{contract_id}/file",
    response=problems(403, 404),
    openapi_extra=PDF_RESPONSE,
    summary="Download the latest document",
    description=(
        "The newest version the company may see, as a PDF attachment (404 while a party may "
        "not see the document yet). Scope `read`."
    ),
)
def latest_file(request, contract_id: int):
    contract = open_contract(request, contract_id)
    visible = _visible_versions(contract)
    if not visible:
        raise not_found()
    return _pdf(contract, visible[0])

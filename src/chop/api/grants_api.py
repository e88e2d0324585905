"""``/grants``: the caller company's seal grants (用印授权) — list and read them (scope ``read``),
grant a seal and revoke a grant (scope ``stamping``).

Granting and revoking go through ``grants.granting`` (the same service as the seal's grants
page), after the page's own check ``permissions.can_grant_seal``; the service's refusals
(``GrantError``) come back as 422 problems with per-field ``errors``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from chop.grants import granting
from chop.grants.models import Grant, GrantState
from chop.orgs import permissions

from .auth import need
from .pagination import page
from .problems import ApiProblem, forbidden, not_found
from .schemas import ERRORS, ProblemOut
from .schemas_misc import GrantIn, GrantOut, GrantPage, Id
from .seals_api import company_seal

router = Router()


# the service's field names → the API's
FIELDS = {"members": "member_ids", "ends_at": "valid_until", "starts_at": "valid_from"}


class GrantFilters(Schema):
    seal_id: Id | None = None
    state: str | None = None
    cursor: str | None = None
    limit: int | None = None


def grant_out(g: Grant) -> GrantOut:
    return GrantOut(
        id=g.pk,
        seal_id=g.seal_id,
        state=g.state,
        member_ids=sorted(u.pk for u in g.members.all()),
        roles=list(g.roles or []),
        contract_types=list(g.contract_types or []),
        valid_from=g.starts_at,
        valid_until=g.ends_at,
        long_term=g.ends_at is None,
        max_uses=g.max_uses,
        uses=g.uses,
        note=g.note,
        created_at=g.created_at,
        revoked_at=g.revoked_at,
        is_default=g.is_default,
    )


def _company_grants(request):
    return (
        Grant.objects.filter(company=request.company, seal__company=request.company)
        .select_related("seal")
        .prefetch_related("members")
    )


def _in_state(qs, state: str):
    now = timezone.now()
    live = Q(revoked_at__isnull=True)
    if state == GrantState.REVOKED:
        return qs.filter(revoked_at__isnull=False)
    if state == GrantState.PENDING:
        return qs.filter(live, starts_at__gt=now)
    if state == GrantState.EXPIRED:
        return qs.filter(live, ends_at__lte=now)
    return qs.filter(live, Q(ends_at__isnull=True) | Q(ends_at__gt=now), starts_at__lte=now)


def _invalid(errors: list[dict]) -> ApiProblem:
    return ApiProblem(422, "invalid", _("Some fields are missing or not valid."), errors=errors)


def _grant_errors(exc: granting.GrantError) -> list[dict]:
    if not hasattr(exc, "error_dict"):
        return [{"field": None, "message": str(m)} for m in exc.messages]
    return [
        {"field": FIELDS.get(name, name), "message": str(m)}
        for name, messages in exc.message_dict.items()
        for m in messages
    ]


def _aware(value):
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


@router.get(
    "",
    response={200: GrantPage, **ERRORS},
    summary="List grants",
    description=(
        "The company's seal grants, newest first. Filter by `seal_id` and `state` (pending: "
        "not yet valid, active, expired, revoked). A grant's state follows the clock: it "
        "needs no job to expire. Scope `read`."
    ),
)
def list_grants(request, filters: Query[GrantFilters]):
    need(request, "read")
    qs = _company_grants(request)
    if filters.seal_id is not None:
        qs = qs.filter(seal_id=filters.seal_id)
    if filters.state:
        if filters.state not in GrantState.values:
            raise _invalid(
                [
                    {
                        "field": "state",
                        "message": _("Choose one of: %(values)s")
                        % {"values": ", ".join(GrantState.values)},
                    }
                ]
            )
        qs = _in_state(qs, filters.state)
    rows, next_cursor = page(qs, filters.cursor, filters.limit)
    return {"items": [grant_out(g) for g in rows], "next_cursor": next_cursor}


@router.get(
    "/{grant_id}",
    response={200: GrantOut, **ERRORS},
    summary="Get a grant",
    description="One seal grant of the company. Scope `read`.",
)
def get_grant(request, grant_id: int):
    need(request, "read")
    found = _company_grants(request).filter(pk=grant_id).first()
    if found is None:
        raise not_found()
    return grant_out(found)


@router.post(
    "",
    response={201: GrantOut, **ERRORS},
    summary="Grant a seal",
    description=(
        "Grant an active company seal to members (`member_ids`, user ids of the company's "
        "members) and/or everyone holding one of `roles` (owner, admin, seal_keeper, "
        "seal_approver, seal_user, member), for all contracts (empty `contract_types`) or the "
        "listed types, from `valid_from` (default now) until `valid_until` — at most 3 years — "
        "or `long_term`, with an optional `max_uses`. Only keys made by the owner, an "
        "administrator or a seal keeper may grant. The people named are told. Scope "
        "`stamping`."
    ),
)
def create_grant(request, body: GrantIn):
    need(request, "stamping")
    seal = company_seal(request, body.seal_id)
    if not permissions.can_grant_seal(request.membership, seal):
        raise forbidden(_("Only the owner, administrators and seal keepers may grant a seal."))
    errors: list[dict] = []
    wanted = list(dict.fromkeys(body.member_ids))
    members = list(get_user_model().objects.filter(pk__in=wanted))
    if len(members) != len(wanted):
        errors.append(
            {
                "field": "member_ids",
                "message": _("A seal can only be granted to members of its company."),
            }
        )
    ends_at = None if body.long_term else _aware(body.valid_until)
    if not body.long_term and ends_at is None:
        errors.append({"field": "valid_until", "message": _("Give an end, or choose long-term.")})
    if errors:
        raise _invalid(errors)
    try:
        made = granting.grant(
            seal,
            by=request.user,
            members=members,
            roles=body.roles,
            contract_types=body.contract_types,
            starts_at=_aware(body.valid_from),
            ends_at=ends_at,
            max_uses=body.max_uses,
            note=body.note,
            request=request,
        )
    except granting.GrantError as exc:
        raise _invalid(_grant_errors(exc)) from None
    return Status(201, grant_out(_company_grants(request).get(pk=made.pk)))


@router.post(
    "/{grant_id}/revoke",
    response={200: GrantOut, **ERRORS, 409: ProblemOut},
    summary="Revoke a grant",
    description=(
        "End a grant now: from this instant it allows no stamp. A grant already revoked or "
        "expired answers 409 `grant_ended`. Scope `stamping`."
    ),
)
def revoke_grant(request, grant_id: int):
    need(request, "stamping")
    found = _company_grants(request).filter(seal__owner__isnull=True, pk=grant_id).first()
    if found is None:
        raise not_found()
    if not permissions.can_grant_seal(request.membership, found.seal):
        raise forbidden(_("Only the owner, administrators and seal keepers may revoke a grant."))
    try:
        granting.revoke(found, by=request.user, request=request)
    except granting.GrantError as exc:
        raise ApiProblem(409, "grant_ended", " ".join(str(m) for m in exc.messages)) from None
    return grant_out(_company_grants(request).get(pk=found.pk))

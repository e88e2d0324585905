"""``permissions.may_stamp``, the one decision point for every stamp, as tables over real rows.

Like ``test_permissions.py``, each table is the rule written out: every role × grant state ×
scope × cap, for a grant by role and a grant by name; then approvals, auto-sign, a person's own
seals, other companies, unusable seals and closed contracts. Each row names the expected kind
of authorisation (and which row it is) or the refusal code.

The rows are built once for the module inside one transaction that is rolled back at the end
(each test runs in a savepoint inside it), so 500 cases stay fast.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from chop.orgs import permissions as p
from chop.orgs.models import Role

O, A, K, P, U, M = (  # noqa: E741 - one letter per role keeps the tables readable
    Role.OWNER,
    Role.ADMIN,
    Role.SEAL_KEEPER,
    Role.SEAL_APPROVER,
    Role.SEAL_USER,
    Role.MEMBER,
)
ALL = [O, A, K, P, U, M]
TYPE = "采购合同"  # the contract's type

pytestmark = pytest.mark.django_db

# --- grants: who each grant names, and what a named person gets --------------------------------

#: a grant by role names these roles; a grant by name names the people holding these roles
GRANTEES = {"role": {U, M}, "name": {K, M}}
#: the grant's scope: all contracts, listed types covering the contract (other spelling), or not
SCOPES = {"all": [], "covering": ["  采购合同 ", "租赁合同"], "other": ["劳动合同"]}
#: (max_uses, uses)
CAPS = {"none": (None, 5), "left": (2, 1), "used up": (2, 2)}
STATES = ["active", "pending", "expired", "revoked"]

#: what a person the grant names gets from an active grant
ACTIVE = {
    ("all", "none"): "grant",
    ("all", "left"): "grant",
    ("all", "used up"): "cap",
    ("covering", "none"): "grant",
    ("covering", "left"): "grant",
    ("covering", "used up"): "cap",
    ("other", "none"): "scope",
    ("other", "left"): "scope",
    ("other", "used up"): "scope",  # scope is told before the cap: asking about the cap is moot
}


def named_outcome(state: str, scope: str, cap: str) -> str:
    """A grant that is not active refuses with its state, whatever its scope and cap."""
    return ACTIVE[(scope, cap)] if state == "active" else state


GRANT_CASES = [
    (by, state, scope, cap, role)
    for by, state, scope, cap, role in itertools.product(GRANTEES, STATES, SCOPES, CAPS, ALL)
]


# --- the rows ----------------------------------------------------------------------------------


def _build():
    from chop.accounts.models import User
    from chop.contracts.models import Contract
    from chop.grants.models import AutoSignAuthorisation, Grant, UseRequest
    from chop.orgs.models import Company, Membership
    from chop.seals.models import Certificate, Seal

    now = timezone.now()
    today = timezone.localdate(now)
    phones = itertools.count(13700000001)

    def user(name):
        return User.objects.create_user(str(next(phones)), "secret-pass-123", name=name)

    users = {r: user(f"{r}-stamp") for r in ALL}
    company = Company.objects.create(name="用印测试公司", created_by=users[O])
    ms = {r: Membership.objects.create(company=company, user=users[r], role=r) for r in ALL}
    other_user = user("别家员工")
    other = Company.objects.create(name="别家公司", created_by=other_user)
    other_m = Membership.objects.create(company=other, user=other_user, role=O)
    cert = Certificate.objects.create(
        company=company,
        serial="424242",
        subject="CN=用印测试公司",
        pem="-",
        key_ref="-",
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=700),
    )
    serials = itertools.count(1)

    def seal(status="active", certificate=cert, **kw):
        """A seal in ``status`` without the default grant (the signal fires on save only when
        it is active with a certificate, so it is created pending and then moved)."""
        kw.setdefault("company", company)
        kw.setdefault("kind", "contract")
        s = Seal.objects.create(name=f"测试章{next(serials)}", status="pending", **kw)
        Seal.objects.filter(pk=s.pk).update(status=status, certificate=certificate)
        s.refresh_from_db()
        return s

    def contract(state="signing", deadline=today + dt.timedelta(days=60), contract_type=TYPE):
        return Contract.objects.create(
            company=company,
            created_by=users[O],
            title="测试合同",
            contract_type=contract_type,
            state=state,
            deadline=deadline,
        )

    contracts = {
        "open": contract(),
        "another": contract(),
        "draft": contract(state="draft"),
        "completed": contract(state="completed"),
        "past deadline": contract(deadline=today - dt.timedelta(days=1)),
        "deadline today": contract(deadline=today),
    }
    day = dt.timedelta(days=1)
    windows = {
        "active": (now - day, now + 30 * day, None),
        "pending": (now + day, now + 30 * day, None),
        "expired": (now - 30 * day, now - day, None),
        "revoked": (now - day, now + 30 * day, now - dt.timedelta(hours=1)),
    }

    def grant(s, *, roles=(), members=(), state="active", types=(), max_uses=None, uses=0):
        starts, ends, revoked = windows[state]
        g = Grant.objects.create(
            company=company,
            seal=s,
            roles=list(roles),
            contract_types=list(types),
            starts_at=starts,
            ends_at=ends,
            revoked_at=revoked,
            max_uses=max_uses,
            uses=uses,
            granted_by=users[K],
        )
        g.members.set(members)
        return g

    grants = {}
    for by, state, scope, cap in itertools.product(GRANTEES, STATES, SCOPES, CAPS):
        s = seal()
        max_uses, uses = CAPS[cap]
        named = GRANTEES[by]
        g = grant(
            s,
            roles=sorted(named) if by == "role" else (),
            members=[users[r] for r in sorted(named)] if by == "name" else (),
            state=state,
            types=SCOPES[scope],
            max_uses=max_uses,
            uses=uses,
        )
        grants[(by, state, scope, cap)] = (s, g)

    # approvals: each case on a seal of its own, the member asking
    def request(s, *, state, who=M, on="open"):
        r = UseRequest.objects.create(
            company=company,
            seal=s,
            contract=contracts[on],
            requester=users[who],
            reason="临时用印",
            state=state,
            used_at=now if state == "used" else None,
        )
        return r

    approvals = {}
    for case, kwargs in {
        "pending": {"state": "pending"},
        "approved, unused": {"state": "approved"},
        "approved, used": {"state": "used"},
        "rejected": {"state": "rejected"},
        "approved for another contract": {"state": "approved", "on": "another"},
        "approved for another person": {"state": "approved", "who": U},
    }.items():
        s = seal()
        approvals[case] = (s, request(s, **kwargs))
    # a grant and an approval: the grant is used first, the approval kept for later
    s = seal()
    both_grant = grant(s, members=[users[M]])
    request(s, state="approved")
    approvals["granted and approved"] = (s, both_grant)
    # a used-up grant does not block an approval
    s = seal()
    grant(s, members=[users[M]], max_uses=1, uses=1)
    approvals["grant used up, approved"] = (s, request(s, state="approved"))
    # an earlier request rejected, a later one approved: the approval counts
    s = seal()
    request(s, state="rejected")
    approvals["rejected, then approved"] = (s, request(s, state="approved"))

    # auto-sign: each on a seal of its own
    def autosign(s, *, state="active", types=(), used_day=None, used=0):
        starts, ends, revoked = windows["active" if state == "preparing" else state]
        return AutoSignAuthorisation.objects.create(
            company=company,
            seal=s,
            contract_types=list(types),
            starts_at=starts,
            ends_at=ends,
            revoked_at=revoked,
            daily_cap=3,
            confirmed_by=users[O],
            confirmed_at=now - day,
            confirm_method="sms",
            letter_signed_at=None if state == "preparing" else now - day,
            uses_day=used_day,
            uses_on_day=used,
            uses=used,
        )

    autosigns = {}
    for case, kwargs in {
        "active": {},
        "preparing": {"state": "preparing"},
        "pending": {"state": "pending"},
        "expired": {"state": "expired"},
        "revoked": {"state": "revoked"},
        "scope covering": {"types": ["采购合同"]},
        "scope other": {"types": ["劳动合同"]},
        "cap reached today": {"used_day": today, "used": 3},
        "cap reached yesterday": {"used_day": today - day, "used": 3},
        "two used today": {"used_day": today, "used": 2},
    }.items():
        s = seal()
        autosigns[case] = (s, autosign(s, **kwargs))
    s = seal()
    autosigns["revoked, then a new one"] = (s, None)
    autosign(s, state="revoked")
    autosigns["revoked, then a new one"] = (s, autosign(s))
    autosigns["none"] = (seal(), None)
    role_granted = seal()
    grant(role_granted, roles=ALL)

    plain = {
        "personal": seal(company=None, owner=users[U], kind="personal"),
        "legal rep": seal(owner=users[O], kind="legal_rep"),
        "granted to all roles": role_granted,
        "disabled": seal(status="disabled"),
        "pending review": seal(status="pending"),
        "no certificate": seal(certificate=None),
        "revoked": seal(status="revoked"),
    }
    for key in ("disabled", "pending review", "no certificate", "revoked"):
        grant(plain[key], roles=ALL)
    return {
        "users": users,
        "m": ms,
        "other_user": other_user,
        "other_m": other_m,
        "contracts": contracts,
        "grants": grants,
        "approvals": approvals,
        "autosigns": autosigns,
        "seals": plain,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The module's rows, in a transaction rolled back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


def person(world, role):
    return p.Actor.person(world["users"][role], world["m"][role])


def check(result, expected: str, authorisation=None) -> None:
    """``expected`` is an Allowed kind (grant, approval, autosign, own) or a refusal code."""
    if expected in {"grant", "approval", "autosign", "own"}:
        assert isinstance(result, p.Allowed), result
        assert result.kind == expected
        if authorisation is not None:
            assert result.authorisation.pk == authorisation.pk
    else:
        assert isinstance(result, p.Refused), result
        assert result.code == expected, result
        assert str(result.message)


# --- the grant table -------------------------------------------------------------------------


@pytest.mark.parametrize(("by", "state", "scope", "cap", "role"), GRANT_CASES)
def test_grants(world, by, state, scope, cap, role):
    seal, grant = world["grants"][(by, state, scope, cap)]
    result = p.may_stamp(person(world, role), seal, world["contracts"]["open"])
    if role in GRANTEES[by]:
        expected = named_outcome(state, scope, cap)
        check(result, expected, grant if expected == "grant" else None)
    else:
        check(result, "no_grant")
    if not result:
        assert result.may_request  # everyone refused by a grant may ask for approval instead


def test_the_grant_table_covers_every_combination():
    assert len(GRANT_CASES) == 2 * 4 * 3 * 3 * 6
    outcomes = {named_outcome(s, sc, c) for s in STATES for sc in SCOPES for c in CAPS}
    assert outcomes == {"grant", "cap", "scope", "pending", "expired", "revoked"}


def test_a_grant_stops_at_its_end(world):
    seal, grant = world["grants"][("role", "active", "all", "none")]
    actor, contract = person(world, U), world["contracts"]["open"]
    check(p.may_stamp(actor, seal, contract, now=grant.ends_at - dt.timedelta(seconds=1)), "grant")
    check(p.may_stamp(actor, seal, contract, now=grant.ends_at), "expired")
    check(
        p.may_stamp(actor, seal, contract, now=grant.starts_at - dt.timedelta(seconds=1)), "pending"
    )


# --- approvals (the member asks) ---------------------------------------------------------------

APPROVALS = [
    ("pending", "request_pending"),
    ("approved, unused", "approval"),
    ("approved, used", "approval_used"),
    ("rejected", "request_rejected"),
    ("approved for another contract", "no_grant"),
    ("approved for another person", "no_grant"),
    ("granted and approved", "grant"),
    ("grant used up, approved", "approval"),
    ("rejected, then approved", "approval"),
]


@pytest.mark.parametrize(("case", "expected"), APPROVALS)
def test_approvals(world, case, expected):
    seal, authorisation = world["approvals"][case]
    result = p.may_stamp(person(world, M), seal, world["contracts"]["open"])
    check(result, expected, authorisation if result else None)
    if expected == "request_pending":
        assert not result.may_request  # one request at a time
    elif not result:
        assert result.may_request


def test_an_approval_is_for_its_contract_only(world):
    seal, _request = world["approvals"]["approved for another contract"]
    check(p.may_stamp(person(world, M), seal, world["contracts"]["another"]), "approval")


def test_an_approval_is_for_its_requester_only(world):
    seal, request = world["approvals"]["approved for another person"]
    check(p.may_stamp(person(world, U), seal, world["contracts"]["open"]), "approval", request)


# --- auto-sign (the platform, no person) -------------------------------------------------------

AUTOSIGNS = [
    ("active", "autosign"),
    ("preparing", "autosign_preparing"),
    ("pending", "autosign_pending"),
    ("expired", "autosign_expired"),
    ("revoked", "autosign_revoked"),
    ("scope covering", "autosign"),
    ("scope other", "autosign_scope"),
    ("cap reached today", "autosign_cap"),
    ("cap reached yesterday", "autosign"),
    ("two used today", "autosign"),
    ("revoked, then a new one", "autosign"),
    ("none", "autosign_none"),
]


@pytest.mark.parametrize(("case", "expected"), AUTOSIGNS)
def test_autosign(world, case, expected):
    seal, authorisation = world["autosigns"][case]
    result = p.may_stamp(p.Actor.autosign(), seal, world["contracts"]["open"])
    check(result, expected, authorisation if result else None)
    if not result:
        assert not result.may_request  # the platform asks nobody


@pytest.mark.parametrize("role", ALL)
def test_auto_sign_does_not_let_a_person_stamp(world, role):
    seal, _auth = world["autosigns"]["active"]
    check(p.may_stamp(person(world, role), seal, world["contracts"]["open"]), "no_grant")


def test_a_grant_does_not_let_the_platform_stamp(world):
    seal = world["seals"]["granted to all roles"]
    check(p.may_stamp(p.Actor.autosign(), seal, world["contracts"]["open"]), "autosign_none")


# --- a person's own seals, other companies, unusable seals, closed contracts -------------------


@pytest.mark.parametrize(
    ("seal", "actor", "expected"),
    [
        ("personal", U, "own"),
        ("personal", O, "not_owner"),
        ("personal", "platform", "not_owner"),
        ("legal rep", O, "own"),
        ("legal rep", A, "not_owner"),
        ("legal rep", K, "not_owner"),
        ("legal rep", "platform", "not_owner"),
        ("granted to all roles", "other company", "not_member"),
        ("granted to all roles", "no membership", "not_member"),
        ("granted to all roles", "someone else's membership", "not_member"),
        ("granted to all roles", "B's membership", "not_member"),
        ("granted to all roles", M, "grant"),
        ("disabled", O, "seal_unusable"),
        ("pending review", O, "seal_unusable"),
        ("no certificate", O, "seal_unusable"),
        ("revoked", O, "seal_unusable"),
        ("disabled", "platform", "seal_unusable"),
    ],
)
def test_who_the_seal_is_for(world, seal, actor, expected):
    actors = {
        "platform": p.Actor.autosign(),
        "other company": p.Actor.person(world["other_user"], world["other_m"]),
        "no membership": p.Actor.person(world["users"][M], None),
        "someone else's membership": p.Actor.person(world["users"][M], world["m"][O]),
        "B's membership": p.Actor.person(world["users"][M], world["other_m"]),
    }
    who = actors[actor] if actor in actors else person(world, actor)
    result = p.may_stamp(who, world["seals"][seal], world["contracts"]["open"])
    check(result, expected, world["seals"][seal] if expected == "own" else None)


@pytest.mark.parametrize(
    ("contract", "expected"),
    [
        ("open", "grant"),
        ("deadline today", "grant"),
        ("past deadline", "contract_closed"),
        ("draft", "contract_closed"),
        ("completed", "contract_closed"),
    ],
)
@pytest.mark.parametrize("seal", ["granted to all roles", "personal"])
def test_the_contract_must_be_open(world, contract, expected, seal):
    actor = person(world, U)
    if seal == "personal" and expected == "grant":
        expected = "own"
    check(p.may_stamp(actor, world["seals"][seal], world["contracts"][contract]), expected)


def test_an_unusable_seal_is_told_before_a_closed_contract(world):
    result = p.may_stamp(
        person(world, O), world["seals"]["disabled"], world["contracts"]["completed"]
    )
    check(result, "seal_unusable")

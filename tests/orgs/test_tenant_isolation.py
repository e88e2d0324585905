"""Tenant isolation: a member of company A can reach nothing of company B.

The URL patterns are walked from the root resolver, not listed by hand, so a URL added later is
checked too:

* every pattern that names a company's object (company, member, invitation, seal, verification
  case, ...) is reversed with B's objects and requested, GET and POST, by the owner of A: it must
  answer 404 (a POST-only view may answer 405 to GET only if it answers the same for an id that
  does not exist, so nothing is revealed), must not show B, and B must be unchanged afterwards;
* a pattern whose arguments this test does not know fails ``test_every_url_argument_is_understood``
  until someone adds how to make B's object (``ID_FACTORIES``/``ROUTE_FACTORIES``) or a reasoned
  entry to ``PUBLIC_BY_DESIGN`` or ``OPERATOR_ONLY``;
* patterns without arguments are requested by A's owner with B forged as the active space in the
  session: none may show B; the known ones are classified in ``NO_ID_ROUTES``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chop.orgs.access import SESSION_KEY
from chop.orgs.models import Company, Invitation, Membership, Role

SECRET = "乙方机密有限公司-B-ONLY"
MISSING = 987654321


@dataclass
class Route:
    route: str
    name: str  # with namespace; "" when unnamed
    namespace: str
    kwargs: tuple[str, ...]


def _kwarg_names(pattern) -> tuple[str, ...]:
    """Named arguments of a RoutePattern (``<int:x>``) or RegexPattern (``(?P<x>...)``) alike."""
    return tuple(pattern.regex.groupindex)


def walk(patterns=None, prefix: str = "", namespace: str = "", kwargs=()) -> Iterator[Route]:
    """Every leaf URL pattern under the root URLconf, with its full route and argument names."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if (prefix + str(p.pattern)).startswith("api/v1/"):
            continue  # the API answers keys, not sessions: tests/api/test_tenant_isolation_api.py
        names = kwargs + _kwarg_names(p.pattern)
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns, names)
        elif isinstance(p, URLPattern):
            name = ":".join(x for x in (namespace, p.name) if x) if p.name else ""
            yield Route(prefix + str(p.pattern), name, namespace, names)


# --- how to get company B's object for a URL argument ----------------------------------------------


def _b_seal(b) -> int:
    from chop.seals.models import Seal

    if "seal" not in b:
        b["seal"] = Seal.objects.create(company=b["company"], kind="contract", name="乙方合同章")
    return b["seal"].pk


def _b_grant(b) -> int:
    """A live grant of B's seal to B's owner (revoking it is what A must not be able to do)."""
    from chop.grants.models import Grant

    if "grant" not in b:
        _b_seal(b)
        b["grant"] = Grant.objects.create(
            company=b["company"], seal=b["seal"], roles=["owner"], note=SECRET
        )
    return b["grant"].pk


def _b_upload(b) -> int:
    """An uploaded impression of B's, pending review (the upload and review pages show only
    uploaded seals, so a generated one would be a 404 for the wrong reason)."""
    from chop.seals.models import Seal

    if "upload" not in b:
        b["upload"] = Seal.objects.create(
            company=b["company"], kind="contract", name=SECRET, origin="uploaded"
        )
    return b["upload"].pk


def _b_company_case(b) -> int:
    from chop.verification.models import CompanyVerification

    if "case" not in b:
        b["case"] = CompanyVerification.objects.create(
            applicant=b["owner"],
            company=b["company"],
            state="pending_authority",
            company_name=SECRET,
            uscc="9144030071526726XG",
            legal_rep_name="乙方法人",
            legal_rep_id_encrypted="x",
            legal_rep_id_hash="x" * 64,
            legal_rep_id_masked="1101**********0011",
            licence="verification/licence/b.png",
            method="deposit",
        )
    return b["case"].pk


def _b_signature_link(b) -> int:
    from chop.seals import signatures

    if "signature_link" not in b:
        b["signature_link"], _token = signatures.start_link(b["owner"])
    return b["signature_link"].pk


def _b_signature(b) -> int:
    """B's owner's personal signature: a person's own, reachable by nobody else."""
    from chop.seals.models import Seal

    if "signature" not in b:
        b["signature"] = Seal.objects.create(
            owner=b["owner"], kind="signature", name=SECRET, status="active", image="x.png"
        )
    return b["signature"].pk


def _b_contract(b) -> int:
    """B's draft contract with version 1 and its page previews (as an upload leaves it)."""
    from chop.contracts import documents, previews
    from tests.contracts.conftest import pdf_file, pdf_pages

    if "contract" not in b:
        b["contract"] = documents.create_draft(
            company=b["company"], user=b["owner"], title=SECRET, upload=pdf_file(pdf_pages(2))
        )
        previews.render_version(b["contract"].current_version())
    return b["contract"].pk


def _b_party(b) -> int:
    """B's own party on B's draft (the parties card's remove and move take its id)."""
    from chop.contracts import participants

    if "party" not in b:
        _b_contract(b)
        b["party"] = participants.add_initiator(b["contract"], by=b["owner"])
    return b["party"].pk


def _b_evidence_report(b) -> int:
    """A ready evidence report of B's contract (a row is enough: the page must not reach it)."""
    from chop.evidence.models import EvidenceReport

    if "evidence_report" not in b:
        b["evidence_report"] = EvidenceReport.objects.create(
            contract_id=_b_contract(b),
            requested_by=b["owner"],
            state="ready",
            sha256="0" * 64,
            file="evidence/b.pdf",
        )
    return b["evidence_report"].pk


def _b_stamp_record(b) -> int:
    """A stamping record of B's (its act on B's contract, stamped by B's owner with B's seal)."""
    from django.utils import timezone

    from chop.contracts.models import SigningAct, StampRecord

    if "stamp_record" not in b:
        _b_party(b)
        _b_seal(b)
        now = timezone.now()
        act = SigningAct.objects.create(
            contract=b["contract"],
            participant=b["party"],
            signer=b["owner"],
            seal=b["seal"],
            certificate_serial="b0",
            version=b["contract"].current_version(),
            base_sha256="0" * 64,
            field_name="b",
            level="B-T",
            intent_method="password",
            intent_at=now,
        )
        b["stamp_record"] = StampRecord.objects.create(
            company=b["company"],
            contract=b["contract"],
            act=act,
            signer=b["owner"],
            party_name=SECRET,
            seal=b["seal"],
            seal_code="B",
            seal_kind="contract",
            seal_name=SECRET,
            contract_title=SECRET,
            base_sha256="0" * 64,
            signed_sha256="1" * 64,
            authorisation_kind="grant",
            intent_method="password",
            intent_at=now,
            certificate_serial="b0",
            stamped_at=now,
        )
    return b["stamp_record"].pk


def _b_contract_page(b) -> dict:
    return {"pk": _b_contract(b), "number": 1, "page": 1}


def _b_signing(b) -> int:
    """B's contract being signed, with B's own party to sign now (its owner stamps): the signing
    pages answer B's owner, and nobody of A."""
    from chop.contracts import documents, previews
    from chop.contracts.models import Participant
    from tests.contracts.conftest import pdf_file, pdf_pages

    if "signing" not in b:
        contract = documents.create_draft(
            company=b["company"], user=b["owner"], title=SECRET, upload=pdf_file(pdf_pages(1))
        )
        previews.render_version(contract.current_version())
        Participant.objects.create(
            contract=contract,
            position=0,
            kind="company",
            company=b["company"],
            user=b["owner"],
            name=SECRET,
            uscc="91310000MA1FL8XQ3K",
            state="to_sign",
        )
        contract.state = "signing"
        contract.save(update_fields=["state"])
        b["signing"] = contract
    return b["signing"].pk


def _b_use_request(b) -> int:
    """A member of B asks to stamp B's contract being signed with B's seal; B's owner approves."""
    from chop.grants.models import UseRequest

    if "use_request" not in b:
        _b_signing(b)
        _b_seal(b)
        b["use_request"] = UseRequest.objects.create(
            company=b["company"],
            seal=b["seal"],
            contract=b["signing"],
            requester=b["membership"].user,
            reason=SECRET,
        )
        b["use_request"].approvers.set([b["owner"]])
    return b["use_request"].pk


def _b_autosign(b) -> int:
    """An auto-sign authorisation of B's seal, its letter signed (a file name only)."""
    import datetime as dt

    from django.utils import timezone

    from chop.grants.models import AutoSignAuthorisation

    if "autosign" not in b:
        now = timezone.now()
        _b_seal(b)
        b["autosign"] = AutoSignAuthorisation.objects.create(
            company=b["company"],
            seal=b["seal"],
            ends_at=now + dt.timedelta(days=30),
            daily_cap=5,
            note=SECRET,
            confirmed_by=b["owner"],
            confirmed_at=now,
            confirm_method="sms",
            letter="autosign-letters/b.pdf",
            letter_signed_at=now,
        )
    return b["autosign"].pk


def _b_api_key(b) -> int:
    """A live API key of B's, made by B's owner (revoking it is what A must not be able to do)."""
    from chop.api import keys

    if "api_key" not in b:
        b["api_key"], _raw = keys.make(
            company=b["company"], user=b["owner"], name=SECRET, scopes=["read"]
        )
    return b["api_key"].pk


def _b_endpoint(b) -> int:
    """B's enabled webhook endpoint (A must not see, change, rotate, disable or delete it)."""
    from chop.api.models import WebhookEndpoint
    from chop.api.webhooks import secrets

    if "endpoint" not in b:
        b["endpoint"] = WebhookEndpoint.objects.create(
            company=b["company"],
            url="https://b-only.example.com/hook",
            description=SECRET,
            secret=secrets.new_secret(),
            created_by=b["owner"],
        )
    return b["endpoint"].pk


def _b_delivery(b) -> int:
    """A delivered message to B's endpoint (A must not read it or replay it)."""
    from django.utils import timezone

    from chop.api.models import WebhookDelivery, WebhookMessage

    if "delivery" not in b:
        _b_endpoint(b)
        message = WebhookMessage.objects.create(
            company=b["company"],
            msg_id="msg_b_only",
            type="contract.completed",
            payload={"type": "contract.completed", "data": {"title": SECRET}},
        )
        b["delivery"] = WebhookDelivery.objects.create(
            message=message, endpoint=b["endpoint"], state="delivered", finished_at=timezone.now()
        )
    return b["delivery"].pk


# By argument name, for the company apps' own URLs.
ID_FACTORIES: dict[str, Callable] = {
    "company_id": lambda b: b["company"].pk,
    "member_id": lambda b: b["membership"].pk,
    "invitation_id": lambda b: b["invitation"].pk,
}

# By route name, where the argument name alone (``pk``) does not say what it is.
ROUTE_FACTORIES: dict[str, Callable] = {
    "seal_detail": lambda b: {"pk": _b_seal(b)},
    "seal_image": lambda b: {"pk": _b_seal(b)},
    "seal_certificate": lambda b: {"pk": _b_seal(b)},
    "seal_svg": lambda b: {"pk": _b_seal(b)},
    "seal_change_state": lambda b: {"pk": _b_seal(b)},
    "verification:deposit": lambda b: {"case_id": _b_company_case(b)},
    "signature_qr": lambda b: {"pk": _b_signature_link(b)},
    "signature_status": lambda b: {"pk": _b_signature_link(b)},
    "signature_image": lambda b: {"pk": _b_signature(b)},
    "seal_upload_status": lambda b: {"pk": _b_upload(b)},
    "seal_upload_photo": lambda b: {"pk": _b_upload(b)},
    "contract_detail": lambda b: {"pk": _b_contract(b)},
    "contract_edit": lambda b: {"pk": _b_contract(b)},
    "contract_previews": lambda b: {"pk": _b_contract(b)},
    "contract_page": lambda b: {"pk": _b_contract(b), "page": 1},
    "contract_page_image": lambda b: {**_b_contract_page(b), "size": "thumb"},
    "contract_version_download": lambda b: {"pk": _b_contract(b), "number": 1},
    "contract_party_initiator": lambda b: {"pk": _b_contract(b)},
    "contract_party_company": lambda b: {"pk": _b_contract(b)},
    "contract_party_person": lambda b: {"pk": _b_contract(b)},
    "contract_party_remove": lambda b: {"pk": _b_contract(b), "party": _b_party(b)},
    "contract_party_move": lambda b: {"pk": _b_contract(b), "party": _b_party(b)},
    "contract_send": lambda b: {"pk": _b_contract(b)},
    "contract_revoke": lambda b: {"pk": _b_contract(b)},
    "contract_remind": lambda b: {"pk": _b_contract(b)},
    "contract_decline": lambda b: {"pk": _b_contract(b)},
    "contract_signed_download": lambda b: {"pk": _b_contract(b)},
    "contract_sign": lambda b: {"pk": _b_signing(b)},
    "contract_sign_seal_image": lambda b: {"pk": _b_signing(b), "seal": _b_seal(b)},
    "contract_positions": lambda b: {"pk": _b_contract(b)},
    "contract_positions_find": lambda b: {"pk": _b_contract(b)},
    # a seal's grants and approvers (grants app)
    "seal_grants": lambda b: {"pk": _b_seal(b)},
    "seal_grant_new": lambda b: {"pk": _b_seal(b)},
    "seal_approvers": lambda b: {"pk": _b_seal(b)},
    "seal_grant_revoke": lambda b: {"pk": _b_grant(b)},
    "approval_decide": lambda b: {"pk": _b_use_request(b)},
    "approval_withdraw": lambda b: {"pk": _b_use_request(b)},
    "seal_autosign": lambda b: {"pk": _b_seal(b)},
    "seal_autosign_new": lambda b: {"pk": _b_seal(b)},
    "seal_autosign_revoke": lambda b: {"pk": _b_autosign(b)},
    "seal_autosign_retry": lambda b: {"pk": _b_autosign(b)},
    "seal_autosign_letter": lambda b: {"pk": _b_autosign(b)},
    # evidence reports (evidence app)
    "contract_evidence": lambda b: {"pk": _b_contract(b)},
    "contract_evidence_download": lambda b: {
        "pk": _b_contract(b),
        "report": _b_evidence_report(b),
    },
    # the stamping log (evidence app): a record's inclusion proof
    "stamp_proof": lambda b: {"pk": _b_stamp_record(b)},
    # the open API's keys and webhook endpoints (api app)
    "api_key_revoke": lambda b: {"pk": _b_api_key(b)},
    "webhook_detail": lambda b: {"pk": _b_endpoint(b)},
    "webhook_edit": lambda b: {"pk": _b_endpoint(b)},
    "webhook_toggle": lambda b: {"pk": _b_endpoint(b)},
    "webhook_rotate": lambda b: {"pk": _b_endpoint(b)},
    "webhook_delete": lambda b: {"pk": _b_endpoint(b)},
    "webhook_delivery": lambda b: {"pk": _b_delivery(b)},
    "webhook_replay": lambda b: {"pk": _b_delivery(b)},
}

# Patterns whose arguments are not company ids, and why that is safe.
PUBLIC_BY_DESIGN = {
    "invitation_token": "a 43-character secret sent only to the invitee; holding it is the proof",
    "contract_invite": "a signed token sent only to the invited party; the page shows the "
    "contract's title and parties' names, never the document, and asks them to register first",
    "contract_copy": "a signed token sent only to a copy recipient (抄送) the initiator named, for "
    "the final PDF of a completed contract; it names the contract and that address, lasts 30 "
    "days, and the address must still be on the contract's copy list",
    "signature_phone": "a 43-character secret shown only as the person's QR code, single-use "
    "and valid 10 minutes; holding it is the proof (only its hash is stored)",
    "evidence_summary": "a contract's 12-character verification code (32-letter alphabet), given "
    "only to its parties; holding it is the proof, wrong codes are a plain 404 and tries are "
    "limited per IP; the page shows title, party names, seal codes and hashes, nothing personal",
    "pki": "the platform CA's certificates, CRLs, OCSP and TSA: public by design, named in every "
    "certificate; they hold no company data beyond what the certificates already publish",
}

# Platform-operator pages (is_staff). Checked: a company owner who is not staff is turned away.
OPERATOR_NAMESPACES = {"admin"}
OPERATOR_ONLY: dict[str, Callable] = {
    "verification:case": lambda b: {"kind": "company", "pk": _b_company_case(b)},
    "verification:retry": lambda b: {"kind": "company", "pk": _b_company_case(b)},
    "verification:file": lambda b: {
        "kind": "company",
        "pk": _b_company_case(b),
        "field": "licence",
    },
    "seal_review": lambda b: {"pk": _b_upload(b)},
    "seal_review_file": lambda b: {"pk": _b_upload(b), "which": "photo"},
}

# Patterns without arguments, and what they show. Every one of them, listed or not, is also
# checked not to show company B to a member of A who forged B into the session.
NO_ID_ROUTES = {
    "healthz": "public",
    "readyz": "public: which of database, storage and CA failed, nothing else",
    "metrics": "CHOP_METRICS_ALLOW addresses only (loopback by default): counts, no company data",
    "set_language": "public",
    "workbench": "active space (from the session, membership re-checked)",
    "switch_space": "POST body names the company: test_switch_to_foreign_company_is_404",
    "company_create": "personal",
    "members": "active space",
    "records": "active space (account events)",
    "stamp_records": "active space (its own stamping records only; owner, admins, keepers)",
    "stamp_records_csv": "active space (the same filtered set as the page)",
    "stamp_records_xlsx": "active space (the same filtered set as the page)",
    "verify_pdf": "public by design: checks an uploaded PDF, keeps nothing; a contract is named "
    "only to the holder of its verification code",
    "ledger_heads": "active space (the platform log's heads; the export form lists its own "
    "contracts only)",
    "ledger_publish": "POST, no company data: signs a head of the whole log",
    "ledger_bundle": "active space (its own stamping records only, whatever the filters name)",
    "seals": "active space",
    "contracts": "active space",
    "approvals": "active space (the active company's use requests of the user)",
    "contract_new": "active space (a member of it may start a draft; personal space: 403)",
    "signing_password": "the person's own signing password (set or change; nothing of a company)",
    "api_keys": "active space (its own keys; owners and admins, others 403)",
    "api_key_new": "active space (the key is made for the active company only)",
    "webhooks": "active space (its own endpoints; owners and admins, others 403)",
    "webhook_new": "active space (the endpoint is added to the active company only)",
}
NO_ID_NAMESPACES = {
    "accounts": "the person's own account pages",
    "verification": "the active company's verification, or the operator console",
}


def is_operator(r: Route) -> bool:
    return r.namespace.split(":")[0] in OPERATOR_NAMESPACES or r.name in OPERATOR_ONLY


def company_kwargs(r: Route, b) -> dict | None:
    """B's objects for ``r``'s arguments, or None when this test does not know them."""
    if r.name in ROUTE_FACTORIES:
        return ROUTE_FACTORIES[r.name](b)
    if r.kwargs and set(r.kwargs) <= set(ID_FACTORIES):
        return {k: ID_FACTORIES[k](b) for k in r.kwargs}
    return None


def company_routes() -> list[Route]:
    return [r for r in walk() if r.kwargs and not is_operator(r) and r.name not in PUBLIC_BY_DESIGN]


@pytest.fixture
def world(make_user, make_company):
    a_owner = make_user("甲方老板")
    a = make_company("甲方公司", owner=a_owner)
    b_owner = make_user("乙方老板")
    b_member = make_user("乙方员工")
    b = make_company(SECRET, owner=b_owner, members={b_member: Role.MEMBER})
    invitation = Invitation.objects.create(
        company=b, channel="sms", target="13611112222", role=Role.MEMBER, invited_by=b_owner
    )
    world = {
        "a": a,
        "a_owner": a_owner,
        "b": {
            "company": b,
            "owner": b_owner,
            "membership": Membership.objects.get(company=b, user=b_member),
            "invitation": invitation,
        },
    }
    # B's API key, webhook endpoint and delivery exist from the start, so ``b_state`` sees
    # whether A's requests revoked, changed, rotated, deleted or replayed them
    _b_api_key(world["b"])
    _b_delivery(world["b"])
    return world


def b_state(b) -> tuple:
    from chop.api.models import ApiKey, WebhookDelivery, WebhookEndpoint

    company: Company = Company.objects.get(pk=b["company"].pk)
    return (
        company.name,
        company.status,
        sorted(company.memberships.values_list("user_id", "role")),
        sorted(company.invitations.values_list("pk", "status")),
        sorted(ApiKey.objects.filter(company=company).values_list("pk", "revoked_at")),
        sorted(
            WebhookEndpoint.objects.filter(company=company).values_list(
                "pk", "url", "events", "secret", "enabled"
            )
        ),
        # replays are what A could add; B's own objects made during the walk announce
        # themselves to B's endpoint with new deliveries, which are not A's doing
        sorted(
            WebhookDelivery.objects.filter(
                endpoint__company=company, replay_of__isnull=False
            ).values_list("pk", "state")
        ),
    )


POST_DATA = {"role": Role.ADMIN, "confirm": "yes", "target": "13711112222", "action": "accept"}


def _request(client, method: str, url: str):
    return getattr(client, method)(url, POST_DATA if method == "post" else None)


def test_walk_finds_the_company_urls():
    """Guards the walker itself: if it stopped finding routes, every check below would pass."""
    names = {r.name for r in company_routes()}
    assert {
        "company_detail",
        "company_members",
        "member_role",
        "member_remove",
        "ownership_transfer",
        "invitation_cancel",
        "invitation_accept",
        "invitation_decline",
    } <= names
    routes = {r.name: r for r in walk()}
    assert routes["member_role"].kwargs == ("company_id", "member_id")
    assert "accounts:login" in routes  # inside an included, namespaced URLconf
    assert re.search(r"invite/", routes["invitation_token"].route)
    assert any(r.namespace == "admin" and not r.name for r in walk())  # unnamed admin patterns


def test_every_url_argument_is_understood(world):
    unknown = [
        f"{r.route} ({r.name or 'unnamed'}): {list(r.kwargs)}"
        for r in company_routes()
        if company_kwargs(r, world["b"]) is None
    ]
    assert not unknown, (
        "URL arguments this test cannot check for tenant isolation. Add how to get company B's "
        "object (ID_FACTORIES / ROUTE_FACTORIES), or a reasoned entry to PUBLIC_BY_DESIGN or "
        "OPERATOR_ONLY:\n" + "\n".join(unknown)
    )


def test_company_b_urls_are_404_for_a_member_of_a(world, login):
    client = login(world["a_owner"], world["a"])
    b = world["b"]
    before = b_state(b)
    checked = []
    for r in company_routes():
        kwargs = company_kwargs(r, b)
        if kwargs is None:
            continue  # reported by test_every_url_argument_is_understood
        assert r.name, f"{r.route} takes ids but has no name: name it so it can be reversed"
        url = reverse(r.name, kwargs=kwargs)
        missing_url = reverse(
            r.name, kwargs={k: (MISSING if isinstance(v, int) else v) for k, v in kwargs.items()}
        )
        for method in ("get", "post"):
            resp = _request(client, method, url)
            body = b"" if getattr(resp, "streaming", False) else resp.content
            assert SECRET.encode() not in body, f"{method.upper()} {url} shows company B"
            if resp.status_code == 405 and method == "get":
                # POST-only view that checks the method first: fine if it says the same for an
                # object that does not exist (so B's object is not revealed).
                assert _request(client, method, missing_url).status_code == 405, url
                continue
            assert resp.status_code == 404, (
                f"{method.upper()} {url} ({r.name}) → {resp.status_code}"
            )
        checked.append(r.name)
    assert b_state(b) == before
    assert len(checked) >= 8


def test_b_objects_under_a_company_id_are_404(world, login):
    """A's own company id with B's member or invitation id: the object lookup is scoped too."""
    client = login(world["a_owner"], world["a"])
    before = b_state(world["b"])
    for r in company_routes():
        if "company_id" not in r.kwargs or len(r.kwargs) < 2:
            continue
        kwargs = company_kwargs(r, world["b"])
        kwargs["company_id"] = world["a"].pk
        url = reverse(r.name, kwargs=kwargs)
        for method in ("get", "post"):
            resp = _request(client, method, url)
            assert resp.status_code == 404, (
                f"{method.upper()} {url} ({r.name}) → {resp.status_code}"
            )
    assert b_state(world["b"]) == before


def test_operator_pages_turn_company_people_away(world, login, make_user):
    """Admin and operator consoles: a company owner (not staff) never gets in, B or not."""
    b = world["b"]
    owner = login(world["a_owner"], world["a"])
    urls = [
        reverse("admin:index"),
        reverse("admin:orgs_company_change", args=[b["company"].pk]),
        reverse("admin:audit_auditevent_changelist"),
    ]
    urls += [reverse(name, kwargs=make(b)) for name, make in OPERATOR_ONLY.items()]
    for url in urls:
        resp = owner.get(url)
        assert resp.status_code in (302, 403, 404), f"{url} → {resp.status_code}"
        if resp.status_code == 302:
            assert "login" in resp["Location"], url
        body = b"" if getattr(resp, "streaming", False) else resp.content
        assert SECRET.encode() not in body
    operator = make_user("运营", login="op@chop.local", is_staff=True, is_superuser=True)
    assert login(operator).get(urls[1]).status_code == 200


def test_urls_without_ids_never_show_company_b(world, login):
    client = login(world["a_owner"], world["b"]["company"])  # session forged to name B
    listed = []
    for r in walk():
        if r.kwargs or is_operator(r) or not r.name:
            continue
        listed.append(r.name)
        resp = client.get(reverse(r.name))
        assert resp.status_code < 500, f"GET {r.route} → {resp.status_code}"
        body = b"" if getattr(resp, "streaming", False) else resp.content
        assert SECRET.encode() not in body, f"{r.route} shows company B"
        # the probes (/healthz, /readyz, /metrics) answer before sessions: no user at all
        user = getattr(resp.wsgi_request, "user", None)
        if user is not None and user.is_authenticated:
            assert getattr(resp.wsgi_request, "company", None) is None
    unclassified = sorted(
        n for n in listed if n not in NO_ID_ROUTES and n.split(":")[0] not in NO_ID_NAMESPACES
    )
    print("URLs without ids, checked not to show company B:", sorted(listed))
    print("not classified in NO_ID_ROUTES (checked all the same):", unclassified)
    assert set(NO_ID_ROUTES) <= set(listed)


def test_switch_to_foreign_company_is_404(world, login):
    client = login(world["a_owner"], world["a"])
    resp = client.post(reverse("switch_space"), {"space": world["b"]["company"].pk})
    assert resp.status_code == 404
    assert client.session[SESSION_KEY] == world["a"].pk


def test_invitation_token_is_the_only_key(world, login):
    """The token route is public by design: a wrong token is 404, and tokens are long secrets."""
    client = login(world["a_owner"], world["a"])
    inv = world["b"]["invitation"]
    assert len(inv.token) >= 40
    assert client.get(reverse("invitation_token", args=[inv.token[:-1] + "!"])).status_code == 404
    assert client.get(reverse("invitation_token", args=[str(inv.pk)])).status_code == 404

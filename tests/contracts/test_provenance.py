"""A stamp's provenance: ``provenance.for_act`` for each kind of authorisation, with real rows, and
the contract page's signatures panel showing what the verifier read back from the PDF."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from chop.contracts import provenance
from chop.contracts.models import Position
from chop.orgs.models import Membership
from chop.orgs.permissions import Actor, Allowed, may_stamp
from chop.pdfsign import provenance as engine_provenance

from .signing_support import add_party, confirmed, official_seal, send, upload

pytestmark = pytest.mark.django_db

UTC_Z = "%Y-%m-%dT%H:%M:%SZ"


def _sent(w):
    contract = upload(w["a"], w["a_owner"], pages=2, title="设备采购合同")
    contract.number = "HT-2026-031"
    contract.save()
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    add_party(contract, company=w["b"])
    Position.objects.create(participant=pa, form="single", page=1, x_mm=130, y_mm=200)
    send(contract, w["a_owner"])
    pa.refresh_from_db()
    return contract, pa


def _actor(user, company):
    return Actor.person(user, Membership.objects.get(user=user, company=company))


def _z(when) -> str:
    return when.astimezone(dt.UTC).strftime(UTC_Z)


def _image_sha256(seal) -> str:
    with seal.image.open("rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _check_common(p, seal, method, at):
    assert p["v"] == 1 and p["platform"] == "Chop"
    assert p["seal"] == {"code": seal.code, "kind": seal.kind, "image_sha256": _image_sha256(seal)}
    assert p["intent"] == {"method": method, "at": _z(at)}
    # it is what the engine signs in: canonical JSON well under the limit
    assert len(engine_provenance.canonical(p)) < engine_provenance.MAX_BYTES // 2


def test_the_default_grant_says_so(signing_world):
    w = signing_world
    contract, _pa = _sent(w)
    seal = official_seal(w["a"])
    allowed = may_stamp(_actor(w["a_keeper"], w["a"]), seal, contract)
    assert isinstance(allowed, Allowed) and allowed.kind == "grant"
    grant = allowed.authorisation
    assert grant.is_default
    at = timezone.now()
    p = provenance.for_act(seal, allowed, intent_method="password", intent_at=at)
    _check_common(p, seal, "password", at)
    # made by the platform when the seal became active, in the name of whoever created the seal
    by = (
        [{"id": seal.created_by.pk, "name": seal.created_by.display_name}]
        if seal.created_by
        else []
    )
    assert p["authorisation"] == {
        "kind": "grant",
        "id": grant.pk,
        "by": by,
        "at": _z(grant.created_at),
        "default": True,
    }
    # nobody to name (the seal's creator was deleted): an empty list, still marked default
    grant.granted_by = None
    grant.save()
    p = provenance.for_act(seal, allowed, intent_method="password", intent_at=at)
    assert p["authorisation"]["by"] == [] and p["authorisation"]["default"] is True


def test_a_grant_names_its_granter(signing_world):
    from chop.grants.models import Grant

    w = signing_world
    contract, _pa = _sent(w)
    seal = official_seal(w["a"])
    grant = Grant.objects.create(
        company=w["a"], seal=seal, granted_by=w["a_owner"], contract_types=[], note="采购"
    )
    grant.members.add(w["a_member"])
    allowed = may_stamp(_actor(w["a_member"], w["a"]), seal, contract)
    assert allowed and allowed.authorisation == grant
    at = timezone.now()
    p = provenance.for_act(seal, allowed, intent_method="sms", intent_at=at)
    _check_common(p, seal, "sms", at)
    owner = w["a_owner"]
    assert p["authorisation"] == {
        "kind": "grant",
        "id": grant.pk,
        "by": [{"id": owner.pk, "name": owner.display_name}],
        "at": _z(grant.created_at),
    }


def test_an_approval_names_the_approvers_who_approved(signing_world, make_user):
    from chop.grants.models import UseDecision, UseRequest

    w = signing_world
    contract, _pa = _sent(w)
    seal = official_seal(w["a"])
    decided = timezone.now() - dt.timedelta(minutes=5)
    req = UseRequest.objects.create(
        company=w["a"],
        seal=seal,
        contract=contract,
        requester=w["a_member"],
        reason="签采购合同",
        mode="all",
        state="approved",
        decided_at=decided,
    )
    req.approvers.add(w["a_owner"], w["a_keeper"])
    UseDecision.objects.create(
        request=req, approver=w["a_keeper"], verdict="approve", decided_at=decided
    )
    UseDecision.objects.create(
        request=req, approver=w["a_owner"], verdict="approve", decided_at=decided
    )
    allowed = may_stamp(_actor(w["a_member"], w["a"]), seal, contract)
    assert allowed and allowed.kind == "approval" and allowed.authorisation == req
    at = timezone.now()
    p = provenance.for_act(seal, allowed, intent_method="email", intent_at=at)
    _check_common(p, seal, "email", at)
    names = [{"id": u.pk, "name": u.display_name} for u in (w["a_keeper"], w["a_owner"])]
    assert p["authorisation"] == {"kind": "approval", "id": req.pk, "by": names, "at": _z(decided)}


def test_a_rejection_is_not_named_as_an_approval(signing_world):
    from chop.grants.models import UseDecision, UseRequest

    w = signing_world
    contract, _pa = _sent(w)
    seal = official_seal(w["a"])
    req = UseRequest.objects.create(
        company=w["a"],
        seal=seal,
        contract=contract,
        requester=w["a_member"],
        reason="签采购合同",
        state="approved",
        decided_at=timezone.now(),
    )
    UseDecision.objects.create(request=req, approver=w["a_keeper"], verdict="reject")
    UseDecision.objects.create(request=req, approver=w["a_owner"], verdict="approve")
    p = provenance.for_act(
        seal, Allowed("approval", req), intent_method="sms", intent_at=timezone.now()
    )
    assert [b["id"] for b in p["authorisation"]["by"]] == [w["a_owner"].pk]


def test_an_auto_sign_names_the_owner_who_confirmed_it(signing_world):
    from chop.grants.models import AutoSignAuthorisation

    w = signing_world
    contract, _pa = _sent(w)
    seal = official_seal(w["a"])
    now = timezone.now()
    auth = AutoSignAuthorisation.objects.create(
        company=w["a"],
        seal=seal,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=30),
        daily_cap=10,
        confirmed_by=w["a_owner"],
        confirmed_at=now - dt.timedelta(minutes=50),
        confirm_method="sms",
        letter_signed_at=now - dt.timedelta(minutes=49),
    )
    allowed = may_stamp(Actor.autosign(), seal, contract)
    assert allowed and allowed.kind == "autosign" and allowed.authorisation == auth
    p = provenance.for_act(seal, allowed, intent_method="auto", intent_at=now)
    _check_common(p, seal, "auto", now)
    owner = w["a_owner"]
    assert p["authorisation"] == {
        "kind": "autosign",
        "id": auth.pk,
        "by": [{"id": owner.pk, "name": owner.display_name}],
        "at": _z(auth.confirmed_at),
        "confirmed_with": "sms",
    }


def test_an_own_seal_names_its_owner_and_no_time(signing_world):
    w = signing_world
    contract = upload(w["a"], w["a_owner"], pages=2)
    person = w["person"]
    add_party(contract, company=w["a"], user=w["a_keeper"])
    party = add_party(contract, user=person)
    send(contract, w["a_owner"])
    party.refresh_from_db()
    seal = w["person_seal"]
    allowed = may_stamp(Actor.person(person), seal, contract)
    assert allowed and allowed.kind == "own" and allowed.authorisation == seal
    at = timezone.now()
    p = provenance.for_act(seal, allowed, intent_method="password", intent_at=at)
    assert p["authorisation"] == {
        "kind": "own",
        "id": seal.pk,
        "by": [{"id": person.pk, "name": person.display_name}],
        "at": None,
    }
    # minimal personal data: no e-mail address or phone number, only id and display name
    text = json.dumps(p, ensure_ascii=False)
    assert person.login not in text and "@" not in text


def test_the_image_hash_follows_the_stored_image(signing_world):
    from django.core.files.base import ContentFile

    w = signing_world
    seal = official_seal(w["a"])
    first = provenance.seal_image_sha256(seal)
    assert first == _image_sha256(seal)
    seal.image.save("new.png", ContentFile(b"\x89PNG not really"), save=True)
    seal.refresh_from_db()
    assert provenance.seal_image_sha256(seal) == hashlib.sha256(b"\x89PNG not really").hexdigest()
    seal.image = ""
    assert provenance.seal_image_sha256(seal) is None


def test_an_unknown_kind_is_refused(signing_world):
    seal = official_seal(signing_world["a"])
    with pytest.raises(ValueError):
        provenance.for_act(seal, Allowed("magic", seal), intent_method="sms", intent_at=None)


# --- the signatures panel -------------------------------------------------------------------------


def sign_with_provenance(w, monkeypatch):
    """Sign party A's part through the signing service, with ``for_act``'s provenance in the
    signature: passed by the service itself once it does, else added here on its way to the
    engine."""
    from chop import pdfsign as ps
    from chop.contracts import signing

    contract, pa = _sent(w)
    seal = official_seal(w["a"])
    intent_row = confirmed(pa, w["a_keeper"])
    allowed = may_stamp(_actor(w["a_keeper"], w["a"]), seal, contract)
    expected = provenance.for_act(
        seal, allowed, intent_method=intent_row.method, intent_at=intent_row.confirmed_at
    )
    real_sign = ps.sign

    def sign(src, dst, *, signer, marks=(), options=None):
        if options is not None and options.provenance is None:
            options = dataclasses.replace(options, provenance=expected)
        return real_sign(src, dst, signer=signer, marks=marks, options=options)

    monkeypatch.setattr(ps, "sign", sign)
    signing.sign(pa, by=w["a_keeper"], seal=seal, intent=intent_row)
    monkeypatch.setattr(ps, "sign", real_sign)
    return contract, seal, expected


def test_the_signatures_panel_shows_the_signed_provenance(signing_world, login, monkeypatch):
    from chop.contracts import signatures

    w = signing_world
    contract, seal, expected = sign_with_provenance(w, monkeypatch)
    (row,) = signatures.report(contract.current_version())
    assert row["ok"]
    p = row["provenance"]
    assert p["seal_code"] == seal.code and p["kind"] == "grant" and p["default"]
    assert p["intent_method"] == "password"
    assert p["intent_at"] == dt.datetime.fromisoformat(expected["intent"]["at"])
    client = login(w["a_owner"], w["a"])
    html = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="signature-provenance"' in html
    assert "签名内的用印依据" in html and seal.code in html
    assert f"用印授权 #{p['id']}" in html and "签署密码" in html
    assert "公司给用印角色的默认授权" in html  # a default grant says so
    client.cookies["django_language"] = "en"
    html = client.get(
        reverse("contract_detail", args=[contract.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Provenance signed into the signature" in html and "Signing password" in html


def test_a_signature_without_provenance_shows_no_block(signing_world, login, monkeypatch):
    """Signatures made before provenance existed (or by other tools) carry none."""
    from chop import pdfsign as ps
    from chop.contracts import signatures, signing

    w = signing_world
    contract, pa = _sent(w)
    real_sign = ps.sign

    def sign(src, dst, *, signer, marks=(), options=None):
        options = dataclasses.replace(options or ps.SignOptions(), provenance=None)
        return real_sign(src, dst, signer=signer, marks=marks, options=options)

    monkeypatch.setattr(ps, "sign", sign)
    signing.sign(
        pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=confirmed(pa, w["a_keeper"])
    )
    (row,) = signatures.report(contract.current_version())
    assert row["ok"] and row["provenance"] is None
    client = login(w["a_owner"], w["a"])
    html = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="signature-ok"' in html
    assert 'data-testid="signature-provenance"' not in html


def test_signed_provenance_takes_nothing_on_trust():
    from chop.contracts.signatures import signed_provenance

    assert signed_provenance(None) is None
    assert signed_provenance([1, 2]) is None
    odd = signed_provenance(
        {
            "seal": "not a dict",
            "authorisation": {"kind": 5, "id": True, "by": ["x", {"name": 3}, {"name": "李"}]},
            "intent": {"method": "sms", "at": "yesterday"},
        }
    )
    assert odd == {
        "seal_code": "",
        "seal_kind": "",
        "image_sha256": "",
        "kind": "",
        "id": None,
        "by": ["李"],
        "default": False,
        "at": None,
        "intent_method": "sms",
        "intent_at": None,
    }

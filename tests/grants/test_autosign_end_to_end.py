"""Auto-sign from end to end: an authorisation made through the owner's pages (code, signed
letter) lets the platform stamp a contract with no person (``signing.sign_auto``, which the API
will call); the act names it, the signature carries it as provenance, and once the owner revokes
it on the page the next stamp is refused with nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chop.contracts import signing
from chop.contracts.models import Contract, Position, SigningAct
from chop.grants.models import AutoSignAuthorisation
from tests.contracts.signing_support import add_party, latest_file, pyhanko_report, send, upload
from tests.grants.test_autosign import authorise, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _contract(w, contract_type: str = "采购合同") -> tuple[Contract, object]:
    """A contract of the company, its own party first (unnamed, one designated position), then
    the other company."""
    contract = upload(w["company"], w["owner"])
    Contract.objects.filter(pk=contract.pk).update(contract_type=contract_type)
    contract.refresh_from_db()
    party = add_party(contract, company=w["company"])
    add_party(contract, company=w["other"], user=w["other_owner"])
    Position.objects.create(participant=party, form="single", page=2, x_mm=30, y_mm=200)
    send(contract, w["owner"])
    party.refresh_from_db()
    return contract, party


def test_an_authorisation_made_on_the_pages_stamps_without_a_person_until_revoked(
    world,  # noqa: F811
    login,
    tmp_path,
):
    seal, owner = world["seal"], world["owner"]
    client = login(owner, world["company"])
    authorise(client, seal, owner)
    auth = AutoSignAuthorisation.objects.get()
    assert auth.state == "active"  # the letter task ran after the commit and signed the letter

    contract, party = _contract(world)
    act = signing.sign_auto(party, seal=seal)

    assert act.authorisation_kind == "autosign" and act.autosign_id == auth.pk
    assert act.signer is None and act.intent_method == "auto"
    assert act.intent_at == auth.confirmed_at
    auth.refresh_from_db()
    assert (auth.uses, auth.uses_on_day) == (1, 1)

    path = latest_file(contract, tmp_path)
    report = pyhanko_report(path)
    assert report.verdict == "valid", report.summary
    (sig,) = report.signatures
    assert sig.intact and sig.valid and sig.trusted
    signed_in = sig.provenance
    assert signed_in == act.provenance
    assert signed_in["authorisation"]["kind"] == "autosign"
    assert signed_in["authorisation"]["id"] == auth.pk
    assert [p["id"] for p in signed_in["authorisation"]["by"]] == [owner.pk]
    assert signed_in["intent"]["method"] == "auto"
    assert signed_in["seal"]["code"] == seal.code

    # a type outside the scope is refused by the one decision point, inside the act
    other_type, other_party = _contract(world, contract_type="借款合同")
    with pytest.raises(signing.SigningError) as refused:
        signing.sign_auto(other_party, seal=seal)
    assert refused.value.code == "autosign_scope"

    # the owner revokes on the page: the next stamp is refused and nothing is written
    resp = client.post(reverse("seal_autosign_revoke", args=[auth.pk]))
    assert resp.status_code == 302
    later, later_party = _contract(world)
    versions = later.versions.count()
    with pytest.raises(signing.SigningError) as refused:
        signing.sign_auto(later_party, seal=seal)
    assert refused.value.code == "autosign_revoked"
    assert later.versions.count() == versions
    assert SigningAct.objects.filter(contract=later).count() == 0
    auth.refresh_from_db()
    assert auth.uses == 1

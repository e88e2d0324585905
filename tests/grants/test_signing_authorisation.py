"""The signing act asks ``may_stamp`` inside its locked transaction and consumes the one
authorisation that allows it: a grant's use (capped), an approval (once), the person's own seal,
or an auto-sign authorisation's daily cap. A refusal writes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chop.audit.models import AuditEvent
from chop.contracts import signing
from chop.contracts.models import SigningAct
from chop.contracts.signing import SigningError
from chop.grants.models import Grant
from chop.orgs import permissions
from chop.orgs.models import Membership, Role
from tests.concurrency import at_once, errors
from tests.contracts.conftest import media_files
from tests.contracts.signing_support import add_party, confirmed, send, upload

from .authorisation_support import a_contract, approved_request, autosign, grant, official_seal

pytestmark = pytest.mark.django_db


def _sign(party, user, seal):
    return signing.sign(party, by=user, seal=seal, intent=confirmed(party, user))


def _nothing_written(contract, before_files, settings):
    assert contract.versions.count() == 1
    assert not SigningAct.objects.filter(contract=contract).exists()
    assert media_files(settings.MEDIA_ROOT) == before_files


def test_the_default_grant_allows_the_keeper_and_is_named_on_the_act(signing_world):
    w = signing_world
    contract, pa = a_contract(w, stamper=w["a_keeper"])
    seal = official_seal(w["a"])
    default = Grant.objects.get(seal=seal, is_default=True)
    act = _sign(pa, w["a_keeper"], seal)
    assert act.authorisation_kind == "grant" and act.grant == default
    default.refresh_from_db()
    assert default.uses == 1
    event = AuditEvent.objects.filter(action="contract.signed").latest("pk")
    assert event.data["authorisation"] == "grant"
    assert event.data["authorisation_id"] == default.pk


def test_a_member_without_a_grant_is_offered_request_approval_and_refused_by_the_act(
    signing_world, settings
):
    w = signing_world
    contract, pa = a_contract(w)  # nobody named: any member of A reaches the page
    seal = official_seal(w["a"])
    choices = signing.seal_choices(pa, w["a_member"])
    assert [c.seal for c in choices] == [seal]
    assert not choices[0].allowed and choices[0].decision.may_request
    assert choices[0].decision.code == "no_grant"
    before = media_files(settings.MEDIA_ROOT)
    with pytest.raises(SigningError) as err:
        _sign(pa, w["a_member"], seal)
    assert err.value.code == "no_grant"
    _nothing_written(contract, before, settings)


def test_a_personal_grant_names_its_end_and_uses_left(signing_world):
    w = signing_world
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    g = grant(seal, w["a_member"], max_uses=3, ends_in_days=30)
    [choice] = signing.seal_choices(pa, w["a_member"])
    assert choice.allowed and choice.decision.authorisation == g
    act = _sign(pa, w["a_member"], seal)
    assert (act.authorisation_kind, act.grant_id) == ("grant", g.pk)
    g.refresh_from_db()
    assert g.uses == 1 and g.uses_left == 2


def test_a_grant_whose_scope_misses_the_contract_type_is_refused(signing_world):
    w = signing_world
    contract, pa = a_contract(w, contract_type="销售合同")
    seal = official_seal(w["a"])
    grant(seal, w["a_member"], types=["采购合同"])
    with pytest.raises(SigningError) as err:
        _sign(pa, w["a_member"], seal)
    assert err.value.code == "scope"


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_grant_that_ends_while_the_page_is_open_refuses_the_act(
    signing_world, login, settings, how
):
    """The page offered the seal; the grant ends; the POST of the act is refused with the
    reason, and nothing is written: no version, no act, no file, no use, no consumed intent."""
    w = signing_world
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    g = grant(seal, w["a_member"], ends_in_days=30)
    client = login(w["a_member"], w["a"])
    page = client.get(f"/contracts/{contract.pk}/sign/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert f'name="seal" value="{seal.pk}"' in page.content.decode()
    if how == "revoked":
        Grant.objects.filter(pk=g.pk).update(revoked_at=timezone.now())
    else:
        Grant.objects.filter(pk=g.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
    intent = confirmed(pa, w["a_member"])
    before = media_files(settings.MEDIA_ROOT)
    response = client.post(
        f"/contracts/{contract.pk}/sign/",
        {"party": pa.pk, "seal": seal.pk, "action": "sign"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert (
        "Your grant for this seal was revoked." in text
        if how == "revoked"
        else ("Your grant for this seal has expired." in text)
    )
    _nothing_written(contract, before, settings)
    g.refresh_from_db()
    intent.refresh_from_db()
    assert g.uses == 0 and intent.used_at is None
    # and the page now offers it only for approval
    again = client.get(f"/contracts/{contract.pk}/sign/", HTTP_ACCEPT_LANGUAGE="en")
    assert f'name="seal" value="{seal.pk}"' not in again.content.decode()
    assert 'data-testid="request-form"' in again.content.decode()


def test_an_approval_allows_exactly_one_act(signing_world):
    w = signing_world
    contract = upload(w["a"], w["a_owner"])
    contract.order = "parallel"
    contract.save()
    p1 = add_party(contract, company=w["a"], name="甲方（采购部）")
    p2 = add_party(contract, company=w["a"], name="甲方（财务部）")
    send(contract, w["a_owner"])
    p1.refresh_from_db()
    p2.refresh_from_db()
    seal = official_seal(w["a"])
    req = approved_request(seal, contract, w["a_member"], w["a_owner"])
    free = [signing.FreeMark(page=1, x_mm=20, y_mm=20)]
    act = signing.sign(
        p1, by=w["a_member"], seal=seal, intent=confirmed(p1, w["a_member"]), free=free
    )
    assert (act.authorisation_kind, act.use_request_id) == ("approval", req.pk)
    req.refresh_from_db()
    assert req.state == "used" and req.used_at is not None
    with pytest.raises(SigningError) as err:
        signing.sign(
            p2, by=w["a_member"], seal=seal, intent=confirmed(p2, w["a_member"]), free=free
        )
    assert err.value.code == "approval_used"
    assert SigningAct.objects.filter(contract=contract).count() == 1


def test_an_approval_is_for_its_contract_only(signing_world):
    w = signing_world
    first, _pa = a_contract(w)
    other, pa = a_contract(w, title="另一份合同")
    seal = official_seal(w["a"])
    approved_request(seal, first, w["a_member"], w["a_owner"])
    with pytest.raises(SigningError) as err:
        _sign(pa, w["a_member"], seal)
    assert err.value.code == "no_grant"


def test_a_person_signs_with_their_own_seal(signing_world):
    w = signing_world
    contract = upload(w["a"], w["a_owner"])
    party = add_party(contract, user=w["person"])
    add_party(contract, company=w["a"])
    send(contract, w["a_owner"])
    party.refresh_from_db()
    act = signing.sign(
        party,
        by=w["person"],
        seal=w["person_seal"],
        intent=confirmed(party, w["person"]),
        free=[signing.FreeMark(page=1, x_mm=20, y_mm=20)],
    )
    assert act.authorisation_kind == "own" and act.grant is None and act.use_request is None


@pytest.mark.django_db(transaction=True)
def test_a_grant_capped_at_one_use_allows_one_of_two_signers_at_once(signing_world):
    w = signing_world
    second = w["a_keeper"]
    Membership.objects.filter(user=second, company=w["a"]).update(role=Role.MEMBER)
    seal = official_seal(w["a"])
    g = grant(seal, w["a_member"], second, max_uses=1)
    (c1, p1), (c2, p2) = a_contract(w), a_contract(w, title="第二份合同")
    people = [(p1, w["a_member"]), (p2, second)]
    intents = [confirmed(p, u) for p, u in people]

    def act(i):
        party, user = people[i]
        return signing.sign(party, by=user, seal=seal, intent=intents[i])

    results = at_once(2, act)
    acts = [r for r in results if isinstance(r, SigningAct)]
    refused = errors(results)
    assert len(acts) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], SigningError) and refused[0].code in {"grant_cap", "cap"}
    g.refresh_from_db()
    assert g.uses == 1
    assert SigningAct.objects.count() == 1
    assert sum(c.versions.count() for c in (c1, c2)) == 3


# --- auto-sign ---------------------------------------------------------------------------


def test_auto_sign_stamps_without_a_person_and_names_the_authorisation(signing_world):
    w = signing_world
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    auth = autosign(seal, w["a_owner"], daily_cap=2)
    act = signing.sign_auto(pa, seal=seal)
    assert act.signer is None and act.authorisation_kind == "autosign" and act.autosign == auth
    assert act.intent_method == "auto" and act.intent_at == auth.confirmed_at
    assert act.pages == [2]
    auth.refresh_from_db()
    assert (auth.uses, auth.uses_on_day, auth.uses_day) == (1, 1, timezone.localdate())
    pa.refresh_from_db()
    assert pa.state == "signed"


def test_auto_sign_is_refused_after_revocation_and_without_positions(signing_world, settings):
    w = signing_world
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    auth = autosign(seal, w["a_owner"])
    auth.revoked_at = timezone.now()
    auth.save()
    before = media_files(settings.MEDIA_ROOT)
    with pytest.raises(SigningError) as err:
        signing.sign_auto(pa, seal=seal)
    assert err.value.code == "autosign_revoked"
    _nothing_written(contract, before, settings)

    loose, pl = a_contract(w, positions=False, title="无位置合同")
    autosign(seal, w["a_owner"])
    with pytest.raises(SigningError) as err:
        signing.sign_auto(pl, seal=seal)
    assert err.value.code == "autosign_positions"
    # a person's may_stamp never reaches an auto-sign authorisation
    assert permissions.may_stamp(permissions.Actor.autosign(), seal, loose).kind == "autosign"


def test_auto_sign_only_for_the_seal_companys_party(signing_world):
    w = signing_world
    contract, pa = a_contract(w)
    autosign(official_seal(w["a"]), w["a_owner"])
    with pytest.raises(SigningError) as err:
        signing.sign_auto(pa, seal=official_seal(w["b"]))
    assert err.value.code == "autosign_party"


def test_auto_sign_daily_cap_resets_on_a_new_day(signing_world):
    w = signing_world
    seal = official_seal(w["a"])
    auth = autosign(seal, w["a_owner"], daily_cap=1)
    auth.uses_day = timezone.localdate() - datetime.timedelta(days=1)
    auth.uses_on_day = 1
    auth.save()
    _c, pa = a_contract(w)
    signing.sign_auto(pa, seal=seal)
    auth.refresh_from_db()
    assert (auth.uses_day, auth.uses_on_day) == (timezone.localdate(), 1)
    _c2, pa2 = a_contract(w, title="第二份")
    with pytest.raises(SigningError) as err:
        signing.sign_auto(pa2, seal=seal)
    assert err.value.code in {"autosign_cap", "autosign_none"}


N = 20
CAP = 3


@pytest.mark.django_db(transaction=True)
def test_twenty_auto_sign_acts_at_once_stop_at_the_daily_cap(signing_world):
    w = signing_world
    seal = official_seal(w["a"])
    auth = autosign(seal, w["a_owner"], daily_cap=CAP)
    parties = [a_contract(w, title=f"批量合同{i}")[1] for i in range(N)]

    results = at_once(N, lambda i: signing.sign_auto(parties[i], seal=seal))
    acts = [r for r in results if isinstance(r, SigningAct)]
    refused = errors(results)
    assert len(acts) == CAP, results
    assert len(refused) == N - CAP
    assert all(isinstance(e, SigningError) for e in refused), refused
    assert {e.code for e in refused} <= {"autosign_cap"}
    auth.refresh_from_db()
    assert (auth.uses, auth.uses_on_day) == (CAP, CAP)
    assert SigningAct.objects.filter(autosign=auth).count() == CAP


# --- who acts for a company party ----------------------------------------------------------


def test_any_member_signs_for_an_unnamed_company_party_but_only_stampers_decline(
    signing_world, login
):
    w = signing_world
    contract, pa = a_contract(w)
    member = login(w["a_member"], w["a"])
    page = member.get(f"/contracts/{contract.pk}/sign/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert 'data-testid="decline-link"' not in page.content.decode()
    refused = member.post(f"/contracts/{contract.pk}/decline/", {"reason": "不同意"})
    assert refused.status_code == 302
    pa.refresh_from_db()
    assert pa.state == "to_sign"
    keeper = login(w["a_keeper"], w["a"])
    page = keeper.get(f"/contracts/{contract.pk}/sign/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="decline-link"' in page.content.decode()


def test_a_named_plain_member_may_decline(signing_world, login):
    w = signing_world
    contract, pa = a_contract(w, stamper=w["a_member"])
    m = Membership.objects.get(user=w["a_member"], company=w["a"])
    assert permissions.can_decline_for(m, pa, w["a_member"])
    keeper = Membership.objects.get(user=w["a_keeper"], company=w["a"])
    assert not permissions.can_sign_for(keeper, pa, w["a_keeper"])
    owner = Membership.objects.get(user=w["a_owner"], company=w["a"])
    assert permissions.can_decline_for(owner, pa, w["a_owner"])


# --- provenance ------------------------------------------------------------------------------


def test_each_act_signs_its_authorisation_into_the_pdf(signing_world, tmp_path):
    """The act stores the provenance it signed in, and the verifier reads the same back: the
    approval with its approver, an auto-sign with the owner who confirmed it."""
    from tests.contracts.signing_support import latest_file, pyhanko_report

    w = signing_world
    seal = official_seal(w["a"])
    contract, pa = a_contract(w)
    req = approved_request(seal, contract, w["a_member"], w["a_owner"])
    act = _sign(pa, w["a_member"], seal)
    report = pyhanko_report(latest_file(contract, tmp_path))
    assert report.verdict == "valid", report.to_dict()
    signed = report.signatures[0].provenance
    assert signed == act.provenance
    assert signed["authorisation"]["kind"] == "approval"
    assert signed["authorisation"]["id"] == req.pk
    assert signed["seal"]["code"] == seal.code and signed["intent"]["method"] == "password"

    contract2, pa2 = a_contract(w, title="静默签合同")
    auth = autosign(seal, w["a_owner"])
    act2 = signing.sign_auto(pa2, seal=seal)
    signed2 = pyhanko_report(latest_file(contract2, tmp_path)).signatures[0].provenance
    assert signed2 == act2.provenance
    assert (signed2["authorisation"]["kind"], signed2["authorisation"]["id"]) == (
        "autosign",
        auth.pk,
    )
    assert signed2["intent"]["method"] == "auto"

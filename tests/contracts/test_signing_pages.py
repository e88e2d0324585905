"""The signing password, confirming intent, and the signing page over HTTP."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from chop.audit.models import AuditEvent
from chop.contracts import intent
from chop.contracts.models import Position, SigningAct, SigningIntent, SigningPassword

from .signing_support import add_party, confirmed, official_seal, outbox_codes, send, upload

pytestmark = pytest.mark.django_db

LOGIN_PASSWORD = "login-pass-123"


def sent_contract(w, *, order="sequential", designated=True):
    contract = upload(w["a"], w["a_owner"], pages=2)
    contract.order = order
    contract.save()
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    pb = add_party(contract, company=w["b"])
    if designated:
        Position.objects.create(participant=pa, form="single", page=1, x_mm=30, y_mm=200)
        Position.objects.create(participant=pb, form="single", page=2, x_mm=120, y_mm=200)
    send(contract, w["a_owner"])
    pa.refresh_from_db()
    pb.refresh_from_db()
    return contract, pa, pb


# --- the signing password -------------------------------------------------------------------


def test_set_then_change_the_signing_password(make_user, login):
    user = make_user("王五")
    user.set_password(LOGIN_PASSWORD)
    user.save()
    client = login(user)
    url = reverse("signing_password")
    assert client.get(url).status_code == 200
    r = client.post(url, {"new": "12345", "again": "12345"})
    assert r.status_code == 400 and "6" in r.content.decode()
    r = client.post(url, {"new": LOGIN_PASSWORD, "again": LOGIN_PASSWORD})
    assert r.status_code == 400 and not SigningPassword.objects.exists()
    r = client.post(url, {"new": "sign-it-1", "again": "sign-it-2"})
    assert r.status_code == 400 and not SigningPassword.objects.exists()
    r = client.post(url, {"new": "sign-it-1", "again": "sign-it-1"})
    assert r.status_code == 302
    row = SigningPassword.objects.get(user=user)
    assert row.password.startswith("argon2$")
    assert "sign-it-1" not in row.password
    # changing asks for the old one
    r = client.post(url, {"old": "wrong-one", "new": "sign-it-2", "again": "sign-it-2"})
    assert r.status_code == 400
    r = client.post(url, {"old": "sign-it-1", "new": "sign-it-2", "again": "sign-it-2"})
    assert r.status_code == 302
    intent.check_signing_password(user, "sign-it-2")
    actions = list(
        AuditEvent.objects.filter(action__startswith="account.signing_password").order_by("pk")
    )
    assert [a.action for a in actions] == [
        "account.signing_password_set",
        "account.signing_password_changed",
    ]
    assert all("sign-it" not in json.dumps(a.data, ensure_ascii=False) for a in actions)


def test_wrong_signing_passwords_are_limited(make_user):
    user = make_user("赵六")
    intent.set_signing_password(user, "right-pass")
    for left in (4, 3, 2, 1):
        with pytest.raises(intent.IntentError) as err:
            intent.check_signing_password(user, "nope")
        assert err.value.code == "password.wrong" and str(left) in err.value.message
    with pytest.raises(intent.IntentError) as err:
        intent.check_signing_password(user, "nope")
    assert err.value.code == "password.locked"
    # blocked: even the right password is not checked now
    with pytest.raises(intent.IntentError) as err:
        intent.check_signing_password(user, "right-pass")
    assert err.value.code == "password.locked"


# --- intent ---------------------------------------------------------------------------------


def test_confirmations_expire_and_are_used_once(signing_world):
    w = signing_world
    _contract, pa, _pb = sent_contract(w)
    intent.set_signing_password(w["a_keeper"], "keeper-pass")
    got = intent.confirm_by_password(pa, w["a_keeper"], "keeper-pass", "10.0.0.2")
    assert got.method == "password" and got.ip == "10.0.0.2"
    assert got.expires_at - got.confirmed_at == datetime.timedelta(minutes=10)
    assert intent.current(pa, w["a_keeper"]) == got
    assert intent.consume(got, pa, w["a_keeper"])
    assert not intent.consume(got, pa, w["a_keeper"])  # once only
    assert intent.current(pa, w["a_keeper"]) is None
    old = confirmed(pa, w["a_keeper"], minutes=-1)
    assert intent.current(pa, w["a_keeper"]) is None
    assert not intent.consume(old, pa, w["a_keeper"])
    # someone who cannot sign for the party cannot confirm for it
    intent.set_signing_password(w["a_member"], "member-pass")
    with pytest.raises(intent.IntentError) as err:
        intent.confirm_by_password(pa, w["a_member"], "member-pass")
    assert err.value.code == "not_your_turn"


def test_a_code_confirms_and_a_wrong_code_does_not(signing_world):
    w = signing_world
    _contract, pa, _pb = sent_contract(w)
    keeper = w["a_keeper"]
    issued = intent.send_code(pa, keeper, "sms")
    assert issued.target == keeper.phone
    code = outbox_codes(keeper.phone)[-1]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(intent.IntentError) as err:
        intent.confirm_by_code(pa, keeper, "sms", wrong)
    assert err.value.code == "code.wrong"
    assert not SigningIntent.objects.exists()
    got = intent.confirm_by_code(pa, keeper, "sms", code)
    assert got.method == "sms"
    with pytest.raises(intent.IntentError):  # a code is used once
        intent.confirm_by_code(pa, keeper, "sms", code)
    with pytest.raises(intent.IntentError) as err:  # no e-mail on this account
        intent.send_code(pa, keeper, "email")
    assert err.value.code == "code.no_target"


# --- the signing page -----------------------------------------------------------------------


def test_the_signing_page_signs_with_the_password_and_lands_on_the_contract(signing_world, login):
    w = signing_world
    contract, pa, pb = sent_contract(w)
    keeper = w["a_keeper"]
    intent.set_signing_password(keeper, "keeper-pass")
    client = login(keeper, w["a"])
    url = reverse("contract_sign", args=[contract.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    seal = official_seal(w["a"])
    assert f'value="{seal.pk}"' in html and 'data-testid="sign-box"' in html
    assert reverse("contract_page_image", args=[contract.pk, 1, 1, "page"]) in html
    # a wrong password: nothing signed, the page says why
    r = client.post(
        url, {"party": pa.pk, "seal": seal.pk, "method": "password", "password": "nope"}
    )
    assert r.status_code == 400 and "sign-error" in r.content.decode()
    assert not SigningAct.objects.exists()
    r = client.post(
        url, {"party": pa.pk, "seal": seal.pk, "method": "password", "password": "keeper-pass"}
    )
    assert r.status_code == 302 and r["Location"] == reverse("contract_detail", args=[contract.pk])
    act = SigningAct.objects.get()
    assert act.participant == pa and act.intent_method == "password"
    detail = client.get(r["Location"]).content.decode()
    assert 'data-testid="signature-ok"' in detail and "甲方科技有限公司" in detail
    pb.refresh_from_db()
    assert pb.state == "to_sign"
    # once signed, the page is gone for the keeper
    assert client.get(url).status_code == 404


def test_the_signing_page_by_code_and_free_placement(signing_world, login):
    w = signing_world
    contract, pa, pb = sent_contract(w, order="parallel", designated=False)
    owner = w["b_owner"]
    client = login(owner, w["b"])
    url = reverse("contract_sign", args=[contract.pk])
    seal = official_seal(w["b"])
    r = client.post(url, {"party": pb.pk, "seal": seal.pk, "action": "send_sms"})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.content.decode()
    code = outbox_codes(owner.phone)[-1]
    free = json.dumps([{"page": 2, "x_mm": 100, "y_mm": 150}])
    r = client.post(
        url, {"party": pb.pk, "seal": seal.pk, "method": "sms", "code": code, "free": free}
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    act = SigningAct.objects.get(participant=pb)
    assert act.intent_method == "sms" and act.pages == [2]
    assert act.marks == [{"form": "single", "page": 2, "x_mm": 100.0, "y_mm": 150.0, "free": True}]


def test_a_pre_confirmed_intent_is_used_when_no_password_is_typed(signing_world, login):
    w = signing_world
    contract, pa, _pb = sent_contract(w)
    client = login(w["a_keeper"], w["a"])
    url = reverse("contract_sign", args=[contract.pk])
    seal = official_seal(w["a"])
    r = client.post(url, {"party": pa.pk, "seal": seal.pk})
    assert r.status_code == 400  # no confirmation at all
    confirmed(pa, w["a_keeper"])
    r = client.post(url, {"party": pa.pk, "seal": seal.pk})
    assert r.status_code == 302
    assert SigningIntent.objects.get().used_at is not None


def test_only_whoever_signs_now_reaches_the_page_and_it_shows_version_one(
    signing_world, login, make_user
):
    w = signing_world
    contract, pa, pb = sent_contract(w)
    sign_url = reverse("contract_sign", args=[contract.pk])
    seal_url = reverse("contract_sign_seal_image", args=[contract.pk, official_seal(w["a"]).pk])
    # B's turn has not come; A's plain member may not stamp; a stranger is nobody here.
    for user, company in (
        (w["b_owner"], w["b"]),
        (w["a_member"], w["a"]),
        (make_user("路人"), None),
    ):
        client = login(user, company)
        for url in (sign_url, seal_url):
            assert client.get(url).status_code == 404, (user, url)
    keeper = login(w["a_keeper"], w["a"])
    for url in (sign_url, seal_url):
        assert keeper.get(url).status_code == 200, url
    # after A signs, B signs on version 2 but is shown version 1, and may fetch only that one
    confirmed(pa, w["a_keeper"])
    keeper.post(sign_url, {"party": pa.pk, "seal": official_seal(w["a"]).pk})
    assert contract.versions.count() == 2
    b = login(w["b_owner"], w["b"])
    html = b.get(sign_url).content.decode()
    v1_image = reverse("contract_page_image", args=[contract.pk, 1, 1, "page"])
    v2_image = reverse("contract_page_image", args=[contract.pk, 2, 1, "page"])
    assert v1_image in html and v2_image not in html
    assert b.get(v1_image).status_code == 200
    assert b.get(v2_image).status_code == 404
    # B's own seal picture is offered to B, A's is not
    assert b.get(seal_url).status_code == 404
    b_seal = reverse("contract_sign_seal_image", args=[contract.pk, official_seal(w["b"]).pk])
    assert b.get(b_seal).status_code == 200


def test_a_party_sees_no_signatures_of_a_half_signed_version(signing_world, login):
    w = signing_world
    contract, pa, pb = sent_contract(w)
    confirmed(pa, w["a_keeper"])
    login(w["a_keeper"], w["a"]).post(
        reverse("contract_sign", args=[contract.pk]),
        {"party": pa.pk, "seal": official_seal(w["a"]).pk},
    )
    detail = reverse("contract_detail", args=[contract.pk])
    a_page = login(w["a_owner"], w["a"]).get(detail).content.decode()
    assert 'data-testid="signature-row"' in a_page  # the initiator sees version 2's signature
    b_page = login(w["b_owner"], w["b"]).get(detail)
    assert b_page.status_code == 200
    assert 'data-testid="signature-row"' not in b_page.content.decode()


def test_a_forgotten_signing_password_is_replaced_with_a_code(make_user, login):
    user = make_user("钱七")
    intent.set_signing_password(user, "old-sign-pass")
    client = login(user)
    url = reverse("signing_password")
    r = client.post(url, {"action": "send_reset", "channel": "sms"})
    assert r.status_code == 200 and 'name="code"' in r.content.decode()
    code = outbox_codes(user.phone)[-1]
    wrong = "000000" if code != "000000" else "111111"
    r = client.post(
        url,
        {
            "action": "reset",
            "channel": "sms",
            "code": wrong,
            "new": "new-pass-1",
            "again": "new-pass-1",
        },
    )
    assert r.status_code == 400
    intent.check_signing_password(user, "old-sign-pass")  # unchanged
    r = client.post(
        url,
        {
            "action": "reset",
            "channel": "sms",
            "code": code,
            "new": "new-pass-1",
            "again": "new-pass-1",
        },
    )
    assert r.status_code == 302
    intent.check_signing_password(user, "new-pass-1")
    event = AuditEvent.objects.filter(action="account.signing_password_changed").get()
    assert event.data.get("by_code") is True


def test_keyword_positions_are_shown_at_their_hit(signing_world, login):
    from chop import pdfsign as ps

    w = signing_world
    contract = upload(w["a"], w["a_owner"], pages=2, texts={1: [(330, 200, "甲方（盖章）")]})
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    add_party(contract, company=w["b"])
    Position.objects.create(participant=pa, form="keyword", keyword="甲方（盖章）")
    send(contract, w["a_owner"])
    html = login(w["a_keeper"], w["a"]).get(reverse("contract_sign", args=[contract.pk]))
    html = html.content.decode()
    import re

    boxes = re.findall(
        r'class="sign-box" data-seal="\d+" data-x="([\d.]+)" data-y="([\d.]+)" '
        r'data-w="([\d.]+)" data-h="([\d.]+)"',
        html,
    )
    assert len(boxes) == 1, html
    x, y, bw, bh = map(float, boxes[0])
    with contract.versions.get(number=1).file.open("rb") as fh:
        (hit,) = ps.find_keyword(fh.read(), "甲方（盖章）")
    assert hit.page == 2
    # the seal is centred on the hit (user space: y up from the bottom of an A4 page)
    cx_mm = (hit.rect[0] + hit.rect[2]) / 2 * 25.4 / 72
    cy_mm = (841.89 - (hit.rect[1] + hit.rect[3]) / 2) * 25.4 / 72
    assert x + bw / 2 == pytest.approx(cx_mm, abs=0.5)
    assert y + bh / 2 == pytest.approx(cy_mm, abs=0.5)
    assert 'data-page="2"' in html


def test_the_signatures_report_is_cached_by_fingerprint(signing_world, monkeypatch):
    from chop import pdfsign as ps
    from chop.contracts import signatures, signing

    w = signing_world
    contract, pa, _pb = sent_contract(w)
    signing.sign(
        pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=confirmed(pa, w["a_keeper"])
    )
    version = contract.current_version()
    first = signatures.report(version)
    assert len(first) == 1 and first[0]["ok"] and first[0]["party"] == "甲方科技有限公司"
    assert first[0]["timestamped"]

    def no_second_check(*a, **kw):
        raise AssertionError("verified again")

    monkeypatch.setattr(ps, "verify", no_second_check)
    assert signatures.report(version) == first


def test_riding_strips_carry_their_slice_of_the_seal(signing_world):
    from chop.contracts import signing
    from chop.contracts.signing_views import designated_boxes

    w = signing_world
    contract, pa, _pb = sent_contract(w, designated=False)
    Position.objects.create(participant=pa, form="riding", edge="right", pages="all")
    seal = official_seal(w["a"])
    look = signing.appearance(seal)
    data = contract.versions.get(number=1).file.read()
    boxes, problem = designated_boxes(data, list(pa.positions.all()), seal)
    assert problem == "" and [b["page"] for b in boxes] == [1, 2]
    first, second = boxes
    assert first["w"] == pytest.approx(look.width_mm / 2, abs=0.05)
    assert first["sw"] == pytest.approx(look.width_mm, abs=0.05)
    # page 1 shows the seal's left half, page 2 its right half, both at the right edge
    assert (first["sx"], second["sx"]) == (0.0, pytest.approx(look.width_mm / 2, abs=0.05))
    assert first["x"] + first["w"] == pytest.approx(210, abs=0.5)


def test_the_signing_page_in_english(signing_world, login):
    w = signing_world
    contract, _pa, _pb = sent_contract(w)
    client = login(w["a_keeper"], w["a"])
    html = client.get(
        reverse("contract_sign", args=[contract.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Confirm that you mean to sign" in html and "The document as sent" in html


def test_the_signed_version_gets_its_previews_after_commit(
    signing_world, django_capture_on_commit_callbacks
):
    from chop.contracts import signing

    w = signing_world
    contract, pa, _pb = sent_contract(w)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signing.sign(
            pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=confirmed(pa, w["a_keeper"])
        )
        assert contract.current_version().preview_state == "pending"
    assert callbacks
    assert contract.current_version().preview_state == "ready"

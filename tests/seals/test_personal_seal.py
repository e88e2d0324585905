"""The personal seal (个人印章): a square seal of the verified name, in the personal space."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from chop.audit.models import AuditEvent
from chop.seals.models import Certificate, Seal

from .test_signature import verify_person


@pytest.fixture
def person(make_user):
    return make_user("账户名")


@pytest.fixture
def operator(make_user):
    return make_user("审核员", is_staff=True)


def personal_seals(user):
    return Seal.objects.filter(owner=user, company__isnull=True, kind=Seal.Kind.PERSONAL)


@pytest.mark.django_db
def test_an_unverified_person_cannot_make_a_personal_seal(login, person):
    client = login(person)
    page = client.get(reverse("signature_new")).content.decode()
    assert 'id="personal-seal"' in page and 'value="personal_seal"' not in page
    response = client.post(
        reverse("signature_new"), {"action": "personal_seal", "suffix": "印"}, follow=True
    )
    assert not personal_seals(person).exists()
    assert "个人印章使用您认证的真实姓名，请先完成实名认证。" in response.content.decode()


@pytest.mark.django_db
def test_a_verified_person_makes_a_personal_seal_of_the_verified_name(login, person, operator):
    verify_person(person, operator, name="张三")
    client = login(person)
    client.post(reverse("signature_new"), {"action": "personal_seal", "suffix": "之印"})
    seal = personal_seals(person).get()
    assert seal.name == "张三" and seal.status == "active" and seal.origin == "template"
    assert seal.spec["name"] == "张三" and seal.spec["suffix"] == "之印"
    cert = Certificate.objects.get(user=person, company__isnull=True)
    assert seal.certificate == cert and seal.usable_for_stamping
    img = Image.open(io.BytesIO(seal.image.read()))
    assert img.mode == "RGBA" and round(img.info["dpi"][0]) == 300
    alpha = np.asarray(img)[:, :, 3]
    assert 0.05 < (alpha > 200).mean() < 0.8  # ink on a transparent ground
    red = np.asarray(img)[alpha > 200][:, :3].mean(axis=0)
    assert red[0] > 180 and red[1] < 90  # red ink
    assert AuditEvent.objects.filter(action="seal.created", object_id=str(seal.pk)).exists()
    # a new one replaces it; a bad ending is refused and changes nothing
    client.post(reverse("signature_new"), {"action": "personal_seal", "suffix": "印"})
    old, new = personal_seals(person).order_by("pk")
    assert (old.status, new.status) == ("revoked", "active") and new.spec["suffix"] == "印"
    client.post(reverse("signature_new"), {"action": "personal_seal", "suffix": "章"})
    assert personal_seals(person).count() == 2
    page = client.get(reverse("signature_new")).content.decode()
    assert reverse("seal_image", args=[new.pk]) in page
    listing = client.get(reverse("seals")).content.decode()
    assert new.code in listing


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_verified_person_makes_a_personal_seal_in_the_browser(
    browser, live_server, person, operator, screenshot
):
    from tests.conftest import session_cookie

    verify_person(person, operator, name="张三")
    base = live_server.url
    for width, height, label in ((1280, 900, "desktop"), (390, 844, "phone")):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        ctx.add_cookies([session_cookie(person, base)])
        page = ctx.new_page()
        try:
            page.goto(base + reverse("signature_new") + "#personal-seal")
            page.select_option("#id_suffix", "之印")
            with page.expect_navigation():
                page.click('button[value="personal_seal"]')
            img = page.locator("#personal-seal img.personal-seal-img")
            img.wait_for()
            assert page.evaluate("(el) => el.naturalWidth", img.element_handle()) > 0
            assert page.locator("#id_suffix option").all_inner_texts() == ["张三印", "张三之印"]
            screenshot(page, f"personal-seal-{label}")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow
        finally:
            ctx.close()
    active = personal_seals(person).get(status="active")
    assert active.spec["suffix"] == "之印"

"""The handwritten signature (扫码签名): links, drawings, certificates, pages.

Images are real PNGs decoded with Pillow; the QR code is compared with the one segno makes for
the expected address; the single use of a link is raced by two threads on the real database.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from chop.audit.models import AuditEvent
from chop.seals import signatures
from chop.seals.models import Certificate, Seal, SignatureLink
from chop.seals.signatures import SignatureError
from tests.concurrency import at_once

# --- helpers -------------------------------------------------------------------------------------


def id_number(serial: str) -> str:
    """A valid resident ID number (GB 11643-1999 check character) born 1990-01-01."""
    body = f"11010519900101{serial:0>3}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def drawing(w: int = 800, h: int = 300, *, ink=True, mode="RGBA", background=(0, 0, 0, 0)) -> bytes:
    """A pad's PNG: transparent, with a few dark strokes well inside the picture."""
    img = Image.new("RGBA", (w, h), background)
    if ink:
        d = ImageDraw.Draw(img)
        d.line(
            [(200, 150), (260, 90), (320, 200), (380, 110), (450, 180)],
            fill=(20, 24, 40, 255),
            width=7,
        )
        d.line([(470, 100), (520, 210)], fill=(20, 24, 40, 255), width=5)
    if mode != "RGBA":
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def verify_person(user, operator, serial: str = "123", name: str = "张三"):
    """Verify ``user``'s real name through the verification services (submit, then approve)."""
    from chop.verification import services
    from chop.verification.models import PersonVerification
    from chop.verification.states import State
    from tests.verification.conftest import upload

    case = services.submit_person(
        user,
        services.PersonInput(
            name=name,
            id_number=id_number(serial),
            id_number_masked="110105********" + id_number(serial)[-4:],
            phone=user.phone or "13900000999",
            id_front=upload("front.png"),
            id_back=upload("back.png"),
        ),
    )
    # the provider's answer (operator review by default) without waiting for the task
    PersonVerification.objects.filter(pk=case.pk).update(state=State.PENDING_REVIEW)
    case.refresh_from_db()
    return services.decide_person(case, approve=True, operator=operator)


@pytest.fixture
def person(make_user):
    return make_user("李四")


@pytest.fixture
def operator(make_user):
    return make_user("审核员", is_staff=True)


def signature_seals(user):
    return Seal.objects.filter(owner=user, company__isnull=True, kind=Seal.Kind.SIGNATURE)


# --- links ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_link_stores_only_a_hash_of_its_32_byte_token(person):
    link, token = signatures.start_link(person)
    assert len(token) == 43  # 32 random bytes, URL-safe base64 without padding
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = SignatureLink.objects.filter(pk=link.pk).values().get()
    assert token not in {str(v) for v in row.values()}
    assert signatures.link_url(token).endswith(f"/s/{token}/")
    assert link.expires_at - link.created_at == timedelta(minutes=10)


@pytest.mark.django_db
def test_a_link_expires_after_ten_minutes(person):
    t0 = timezone.now()
    link, token = signatures.start_link(person, now=t0)
    assert signatures.open_link(token, now=t0 + timedelta(minutes=9, seconds=59)).pk == link.pk
    with pytest.raises(SignatureError) as err:
        signatures.open_link(token, now=t0 + timedelta(minutes=10))
    assert (err.value.code, err.value.status) == ("expired", 410)
    # a drawing that arrives late is refused by the database's condition, and nothing is saved
    with pytest.raises(SignatureError) as err:
        signatures.save_signature(
            person,
            signatures.clean_signature_png(drawing()),
            origin="drawn",
            link=link,
            now=t0 + timedelta(minutes=11),
        )
    assert err.value.status == 410
    assert not signature_seals(person).exists()
    link.refresh_from_db()
    assert link.used_at is None


@pytest.mark.django_db
def test_a_new_link_cancels_the_older_unused_one(person, make_user):
    first, first_token = signatures.start_link(person)
    other_link, other_token = signatures.start_link(make_user("别人"))
    second, second_token = signatures.start_link(person)
    with pytest.raises(SignatureError) as err:
        signatures.open_link(first_token)
    assert err.value.code == "expired"
    assert signatures.open_link(second_token).pk == second.pk
    assert signatures.open_link(other_token).pk == other_link.pk  # another person's is untouched


@pytest.mark.django_db
def test_an_unknown_token_is_a_404(person):
    with pytest.raises(SignatureError) as err:
        signatures.open_link("nope")
    assert (err.value.code, err.value.status) == ("unknown", 404)


@pytest.mark.django_db(transaction=True)
def test_two_phones_using_one_link_at_once_make_one_signature(person):
    """Both phones passed the link check (the page opened), then send at the same moment: the
    conditional UPDATE lets exactly one through, on SQLite and on PostgreSQL."""
    link, token = signatures.start_link(person)
    opened = signatures.open_link(token)
    png = signatures.clean_signature_png(drawing())

    results = at_once(
        2, lambda i: signatures.save_signature(person, png, origin="drawn", link=opened)
    )

    made = [r for r in results if isinstance(r, Seal)]
    refused = [r for r in results if isinstance(r, SignatureError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].status == 410
    seals = list(signature_seals(person))
    assert [s.pk for s in seals] == [made[0].pk] and seals[0].status == Seal.Status.ACTIVE
    link.refresh_from_db()
    assert link.used_at is not None and link.seal_id == made[0].pk


# --- the drawing ---------------------------------------------------------------------------------


def test_a_drawing_is_cropped_to_its_ink_with_transparent_corners():
    out = decode(signatures.clean_signature_png(drawing(1200, 600)))
    assert out.format == "PNG" and out.mode == "RGBA"
    # the strokes span about 200..520 × 87..213 of the 1200×600 picture: the margins are gone
    assert 320 < out.width < 380 and 120 < out.height < 170
    w, h = out.size
    for corner in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)]:
        assert out.getpixel(corner) == (0, 0, 0, 0)
    alpha = out.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    assert not out.info  # only pixels: no text chunks, no profile


@pytest.mark.parametrize(
    "data, code",
    [
        (drawing(ink=False), "empty"),
        (drawing(mode="RGB", background=(255, 255, 255, 255)), "no_alpha"),
        (drawing(background=(255, 255, 255, 255)), "no_alpha"),  # alpha, but an opaque sheet
        (b"\xff\xd8\xff\xe0" + b"0" * 200, "not_png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_png"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "unreadable"),
        (drawing(5000, 40), "pixels"),
        (drawing(3000, 3000), "pixels"),
    ],
    ids=["empty", "rgb", "opaque", "jpeg", "svg", "broken", "too-wide", "too-many-pixels"],
)
def test_bad_drawings_are_refused_with_a_reason(data, code):
    with pytest.raises(SignatureError) as err:
        signatures.clean_signature_png(data)
    assert err.value.code == code and str(err.value.message)


def test_a_jpeg_of_a_signature_is_refused_even_with_a_png_name():
    img = Image.open(io.BytesIO(drawing())).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    with pytest.raises(SignatureError) as err:
        signatures.clean_signature_png(buf.getvalue())
    assert err.value.code == "not_png"


# --- certificates --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unverified_signature_is_saved_and_bound_when_the_name_is_verified(person, operator):
    seal = signatures.save_signature(
        person, signatures.clean_signature_png(drawing()), origin="drawn"
    )
    assert seal.status == Seal.Status.ACTIVE and seal.company_id is None
    assert seal.certificate is None and not seal.usable_for_stamping
    assert not Seal.objects.usable().filter(pk=seal.pk).exists()

    verify_person(person, operator, name="李四")

    seal.refresh_from_db()
    cert = Certificate.objects.get(user=person, company__isnull=True)
    assert seal.certificate == cert and seal.usable_for_stamping
    assert "李四" in cert.subject
    assert AuditEvent.objects.filter(
        action="seal.certificate_bound", object_id=str(seal.pk)
    ).exists()

    # the next signature signs with the same certificate and replaces this one
    newer = signatures.save_signature(
        person, signatures.clean_signature_png(drawing(900, 400)), origin="drawn"
    )
    seal.refresh_from_db()
    assert newer.certificate == cert
    assert seal.status == Seal.Status.REVOKED and seal.status_reason
    assert Certificate.objects.filter(user=person).count() == 1


@pytest.mark.django_db
def test_a_verified_person_without_a_certificate_gets_one_with_the_signature(person, operator):
    verify_person(person, operator, serial="456", name="李四")
    assert not Certificate.objects.filter(user=person).exists()  # no signature yet: no key
    seal = signatures.save_signature(
        person, signatures.clean_signature_png(drawing()), origin="drawn"
    )
    assert seal.certificate is not None and seal.certificate.user == person
    assert seal.usable_for_stamping and seal.name == "李四"


@pytest.mark.django_db
def test_verifying_a_person_without_a_signature_issues_nothing(person, operator):
    verify_person(person, operator, serial="789")
    assert not Certificate.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_the_typed_signature_renders_the_name_in_kai(person):
    png, spec = signatures.typed_png("李四")
    img = decode(png)
    assert img.mode == "RGBA" and img.width > img.height > 50
    assert img.getpixel((0, 0))[3] == 0
    pixels = np.asarray(img)
    dark = pixels[pixels[..., 3] > 200]
    assert len(dark) > 500 and dark[:, :3].max() < 80  # black ink
    assert spec["kind"] == "signature" and spec["font"] == "kai" and spec["name"] == "李四"


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_desktop_page_offers_three_ways_and_says_verification_is_missing(login, person):
    client = login(person)
    page = client.get(reverse("signature_new")).content.decode()
    assert 'id="phone"' in page and 'id="draw"' in page and 'id="typed"' in page
    assert 'id="signature-unverified"' in page and reverse("verification:person") in page
    assert 'id="typed-unverified"' in page  # the typed name is the account name, for now
    assert "<script>" not in page and "style=" not in page


@pytest.mark.django_db
def test_a_verified_person_sees_the_verified_name_and_a_usable_signature(login, person, operator):
    verify_person(person, operator, serial="246", name="李思思")
    client = login(person)
    client.post(reverse("signature_new"), {"action": "typed"})
    seal = signature_seals(person).get()
    assert seal.name == "李思思" and seal.usable_for_stamping
    page = client.get(reverse("signature_new")).content.decode()
    assert 'id="signature-unverified"' not in page and 'id="typed-unverified"' not in page
    assert "可用于签署" in page and "实名认证后可用" not in page


@pytest.mark.django_db
def test_the_qr_code_encodes_the_phone_link_and_the_page_polls(login, person):
    import segno

    client = login(person)
    response = client.post(reverse("signature_new"), {"action": "link"})
    assert response.status_code == 302
    link = SignatureLink.objects.get(user=person)
    page = client.get(reverse("signature_new")).content.decode()
    token = client.session["chop.signature_link"]["token"]
    url = signatures.link_url(token)
    assert f'<a href="{url}" data-signature-link' in page and f">{url}</a>" in page
    assert 'hx-trigger="every 2s"' in page
    svg = client.get(reverse("signature_qr", args=[link.pk]))
    assert svg["Content-Type"] == "image/svg+xml"
    expected = io.BytesIO()
    segno.make(url, error="m").save(
        expected, kind="svg", scale=6, border=2, xmldecl=False, dark="#1f2328", title=None
    )
    assert svg.content == expected.getvalue()


@pytest.mark.django_db
def test_a_link_is_bound_to_its_person(login, person, make_user):
    stranger = login(make_user("陌生人"))
    owner = login(person)
    owner.post(reverse("signature_new"), {"action": "link"})
    link = SignatureLink.objects.get(user=person)
    assert owner.get(reverse("signature_status", args=[link.pk])).status_code == 200
    assert stranger.get(reverse("signature_status", args=[link.pk])).status_code == 404
    assert stranger.get(reverse("signature_qr", args=[link.pk])).status_code == 404


@pytest.mark.django_db
def test_the_phone_sends_a_drawing_and_the_status_shows_it(client, login, person):
    desktop = login(person)
    desktop.post(reverse("signature_new"), {"action": "link"})
    link = SignatureLink.objects.get(user=person)
    token = desktop.session["chop.signature_link"]["token"]
    phone_url = reverse("signature_phone", args=[token])

    page = client.get(phone_url)
    assert page.status_code == 200 and b"<canvas" in page.content
    assert page["Referrer-Policy"] == "no-referrer"
    status = desktop.get(reverse("signature_status", args=[link.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in status

    sent = client.post(phone_url, {"signature": _upload(drawing())})
    assert sent.status_code == 200 and sent.json()["ok"] is True
    seal = signature_seals(person).get()
    assert seal.origin == "drawn" and seal.status == "active" and seal.created_by == person
    stored = decode(seal.image.read())
    assert stored.mode == "RGBA" and stored.getpixel((0, 0)) == (0, 0, 0, 0)
    event = AuditEvent.objects.get(action="seal.created", object_id=str(seal.pk))
    assert event.company_id is None

    status = desktop.get(reverse("signature_status", args=[link.pk])).content.decode()
    assert "hx-trigger" not in status  # polling stops
    assert reverse("signature_image", args=[seal.pk]) in status
    assert 'hx-swap-oob="true"' in status  # and the QR code goes
    image = desktop.get(reverse("signature_image", args=[seal.pk]))
    assert image["Content-Type"] == "image/png"

    again = client.post(phone_url, {"signature": _upload(drawing())})
    assert again.status_code == 410 and again.json()["ok"] is False
    assert client.get(phone_url).status_code == 410
    assert signature_seals(person).count() == 1


@pytest.mark.django_db
def test_the_phone_page_refuses_an_empty_pad_and_keeps_the_link(client, person):
    link, token = signatures.start_link(person)
    url = reverse("signature_phone", args=[token])
    answer = client.post(url, {"signature": _upload(drawing(ink=False))})
    assert answer.status_code == 400 and "签名板是空的" in answer.json()["error"]
    link.refresh_from_db()
    assert link.used_at is None and not signature_seals(person).exists()


@pytest.mark.django_db
def test_wrong_and_expired_links_get_a_page_that_says_what_to_do(client, person):
    assert client.get("/s/not-a-token/").status_code == 404
    link, token = signatures.start_link(person)
    SignatureLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    gone = client.get(reverse("signature_phone", args=[token]))
    assert gone.status_code == 410
    assert "二维码" in gone.content.decode()  # what to do: show a new QR code


@pytest.mark.django_db
def test_the_phone_link_is_rate_limited(client, person, settings):
    settings.CHOP_SIGNATURE_LINK_PER_IP_PER_MINUTE = 3
    _link, token = signatures.start_link(person)
    url = reverse("signature_phone", args=[token])
    codes = [client.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.django_db
def test_drawing_on_the_desktop_replaces_the_previous_signature(login, person):
    client = login(person)
    first = client.post(reverse("signature_draw"), {"signature": _upload(drawing())})
    assert first.json() == {"ok": True, "redirect": reverse("signature_new")}
    second = client.post(reverse("signature_draw"), {"signature": _upload(drawing(900, 500))})
    assert second.json()["ok"]
    old, new = signature_seals(person).order_by("pk")
    assert (old.status, new.status) == ("revoked", "active")
    assert AuditEvent.objects.filter(action="seal.revoked", object_id=str(old.pk)).exists()
    page = client.get(reverse("signature_new")).content.decode()
    assert reverse("signature_image", args=[new.pk]) in page
    refused = client.post(reverse("signature_draw"), {"signature": _upload(b"not an image")})
    assert refused.status_code == 400 and refused.json()["ok"] is False


@pytest.mark.django_db
def test_the_typed_signature_is_saved_from_the_page(login, person, make_company):
    company = make_company("某公司", owner=person)
    client = login(person, company)  # a company is active: the signature is still personal
    preview = client.get(reverse("signature_typed"))
    assert preview["Content-Type"] == "image/png" and decode(preview.content).mode == "RGBA"
    client.post(reverse("signature_new"), {"action": "typed"})
    seal = signature_seals(person).get()
    assert seal.origin == "typed" and seal.company_id is None and seal.name == "李四"
    assert seal.spec["font"] == "kai"
    img = decode(seal.image.read())
    assert img.mode == "RGBA" and img.getpixel((0, 0))[3] == 0


@pytest.mark.django_db
def test_only_the_owner_sees_the_signature_image(login, person, make_user):
    seal = signatures.save_signature(
        person, signatures.clean_signature_png(drawing()), origin="drawn"
    )
    assert (
        login(make_user("别人")).get(reverse("signature_image", args=[seal.pk])).status_code == 404
    )


@pytest.mark.django_db
def test_the_signature_opens_on_the_seal_detail_page_with_its_history(login, person):
    seal = signatures.save_signature(
        person, signatures.clean_signature_png(drawing()), origin="drawn"
    )
    page = login(person).get(reverse("seal_detail", args=[seal.pk]))
    assert page.status_code == 200 and seal.code in page.content.decode()


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("signature.png", data, content_type="image/png")

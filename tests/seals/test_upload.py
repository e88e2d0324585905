"""Local upload of a stamped impression (issue 10 §3): the form, the extraction task, refusals
that keep nothing, and who may upload."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from chop.audit.models import AuditEvent
from chop.orgs.models import Role
from chop.seals.models import Seal

from .upload_photos import commit_per_request, form_data, photo_file, plain_photo, stamp_photo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("commit_per_request")]
__all__ = ["commit_per_request"]

URL = "/seals/upload/"
PHOTO_NAME = re.compile(r"^seal-uploads/\d{4}/\d{2}/[0-9a-f]{32}\.jpg$")


@pytest.fixture
def keeper(make_user):
    return make_user("印章管理员")


@pytest.fixture
def company(verified_company, keeper, make_user):
    return verified_company(members={keeper: Role.SEAL_KEEPER, make_user("成员"): Role.MEMBER})


@pytest.fixture
def keeper_client(login, keeper, company):
    return login(keeper, company)


def _media_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_upload_form_defaults_to_the_company_name(keeper_client, company):
    page = keeper_client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{company.name}"' in html
    assert (
        'enctype="multipart/form-data"' in html
        and 'accept="image/png,image/jpeg,image/webp"' in html
    )


def test_upload_extracts_a_transparent_seal_pending_review(keeper_client, company, keeper):
    response = keeper_client.post(URL, form_data(color="red"))
    assert response.status_code == 302
    seal = Seal.objects.get(origin="uploaded")
    assert response["Location"] == reverse("seal_upload_status", args=[seal.pk])
    assert seal.company == company and seal.kind == "contract" and seal.status == "pending"
    assert seal.created_by == keeper and seal.certificate.company == company
    assert PHOTO_NAME.match(seal.source_image.name)
    # the task ran after the commit: an RGBA PNG, transparent around the ink
    with seal.image.open("rb") as fh, Image.open(fh) as img:
        assert img.format == "PNG" and img.mode == "RGBA"
        a = np.asarray(img.getchannel("A"))
    assert a[0, 0] == 0 and a[-1, -1] == 0 and (a == 255).mean() > 0.05
    assert 500 < img.width < 900 and 0.8 < img.width / img.height < 1.25
    actions = list(
        AuditEvent.objects.filter(object_id=str(seal.pk))
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == ["seal.uploaded", "seal.extracted"]
    assert AuditEvent.objects.get(action="seal.uploaded").company == company

    page = keeper_client.get(response["Location"])
    html = page.content.decode()
    assert 'data-state="pending"' in html and "hx-trigger" not in html
    assert reverse("seal_upload_photo", args=[seal.pk]) in html
    assert reverse("seal_image", args=[seal.pk]) in html
    photo = keeper_client.get(reverse("seal_upload_photo", args=[seal.pk]))
    assert photo["Content-Type"] == "image/jpeg" and photo["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in photo["Content-Security-Policy"]
    Image.open(io.BytesIO(b"".join(photo.streaming_content))).verify()
    after = keeper_client.get(reverse("seal_image", args=[seal.pk]))
    assert after["Content-Type"] == "image/png"


def test_while_extracting_the_page_polls_with_htmx(keeper_client, company, keeper, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    response = keeper_client.post(URL, form_data())
    seal = Seal.objects.get(origin="uploaded")
    assert not seal.image
    page = keeper_client.get(response["Location"]).content.decode()
    assert 'data-state="extracting"' in page and 'hx-trigger="every 1s"' in page
    part = keeper_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part
    assert 'id="upload-result"' in part
    from chop.seals.upload import run_extraction

    assert run_extraction(seal.pk) == "extracted"
    assert run_extraction(seal.pk) == "skipped"  # a repeated task changes nothing
    part = keeper_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="pending"' in part and "hx-trigger" not in part


def test_blue_ink_and_a_custom_seal_with_its_purpose(keeper_client, company):
    data = form_data(
        kind="custom", purpose="质检专用章", color="blue", photo=photo_file(stamp_photo("blue"))
    )
    assert keeper_client.post(URL, data).status_code == 302
    seal = Seal.objects.get(origin="uploaded")
    assert seal.kind == "custom" and seal.spec["upload"]["purpose"] == "质检专用章"
    with seal.image.open("rb") as fh, Image.open(fh) as img:
        px = np.asarray(img.convert("RGBA"))
    ink = px[px[..., 3] > 200]
    assert len(ink) > 1000 and (ink[:, 2] > ink[:, 0] + 80).all()  # the seal blue, not red
    assert seal.spec["upload"]["color"] == "blue" and seal.status == "pending"


def test_no_ink_revokes_the_upload_with_the_explained_reason(keeper_client, company):
    response = keeper_client.post(URL, form_data(photo=photo_file(plain_photo())))
    assert response.status_code == 302
    seal = Seal.objects.get(origin="uploaded")
    assert seal.status == "revoked" and not seal.image and seal.revoked_at
    assert seal.spec["upload"]["error"] == "no_ink"
    assert seal.status_reason  # kept on the row, in the site's language
    assert AuditEvent.objects.filter(action="seal.extraction_failed", company=company).exists()
    keeper_client.cookies.load({"django_language": "en"})
    page = keeper_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-state="failed"' in page and reverse("seal_upload") in page
    assert "No seal impression of the chosen colour was found" in page


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("page.png", lambda: b"<html><script>alert(1)</script></html>", "JPEG, PNG or WebP"),
        (
            "stamp.png",
            lambda: _png(Image.new("RGB", (300, 300), "white")) + b"<html><script>x</script>",
            "another file hidden after it",
        ),
        (
            "stamp.jpg",
            lambda: stamp_photo() + b"PK\x03\x04" + b"\x00" * 40,
            "another file hidden after it",
        ),
        ("huge.png", lambda: _png(Image.new("1", (7000, 6000), 1)), "too large"),
        ("big.jpg", lambda: b"\xff\xd8\xff\xe0" + bytes(20 * 1024 * 1024), "limit is 20 MB"),
        ("cut.jpg", lambda: stamp_photo()[:4000], "not a readable image"),
    ],
    ids=["html", "png-polyglot", "jpeg-zip", "42MP", "over-20MB", "truncated"],
)
def test_refused_photos_keep_nothing_and_say_why(
    keeper_client, company, settings, name, make, message
):
    before = _media_files(settings)
    response = keeper_client.post(
        URL, form_data(photo=photo_file(make(), name)), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Seal.objects.filter(origin="uploaded").exists()
    assert not AuditEvent.objects.filter(action="seal.uploaded").exists()
    assert _media_files(settings) == before
    # what was typed is kept
    assert 'value="上海示例科技有限公司"' in response.content.decode()


def test_decompression_bomb_is_refused(keeper_client, company, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    data = _png(Image.new("1", (3000, 3000), 1))
    response = keeper_client.post(
        URL, form_data(photo=photo_file(data, "bomb.png")), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "too large to open safely" in response.content.decode()
    assert not Seal.objects.filter(origin="uploaded").exists()


def test_custom_seal_needs_a_purpose_and_may_not_imitate_the_official_seal(keeper_client, company):
    r = keeper_client.post(URL, form_data(kind="custom", purpose=""), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "Enter the purpose text" in r.content.decode()
    r = keeper_client.post(URL, form_data(kind="custom", purpose="公章"), HTTP_ACCEPT_LANGUAGE="en")
    assert (
        r.status_code == 400
        and "Only the official seal may read as an official seal" in r.content.decode()
    )
    assert not Seal.objects.filter(origin="uploaded").exists()


def test_a_failing_write_leaves_no_row_and_no_file(keeper_client, company, settings, monkeypatch):
    from chop.seals import upload

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(upload, "record", broken)
    before = _media_files(settings)
    with pytest.raises(RuntimeError):
        keeper_client.post(URL, form_data())
    assert not Seal.objects.filter(origin="uploaded").exists()
    assert _media_files(settings) == before


def test_a_company_cannot_flood_the_review_queue(keeper_client, company, settings, monkeypatch):
    from chop.seals import upload

    monkeypatch.setattr(upload, "MAX_WAITING", 2)
    for _ in range(2):
        assert keeper_client.post(URL, form_data()).status_code == 302
    before = _media_files(settings)
    r = keeper_client.post(URL, form_data(), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    assert "2 uploaded seals are already waiting for review" in r.content.decode()
    assert Seal.objects.filter(origin="uploaded").count() == 2
    assert _media_files(settings) == before


# ---------------------------------------------------------------------------------- who may


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER])
def test_managers_may_upload(team, login, role):
    from chop.orgs.models import Company
    from chop.seals.issuance import ensure_official_seal

    from .conftest import next_uscc

    Company.objects.filter(pk=team["company"].pk).update(status="verified", uscc=next_uscc())
    company = Company.objects.get(pk=team["company"].pk)
    ensure_official_seal(company)
    c = login(team["users"][role], company)
    assert c.get(URL).status_code == 200


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SEAL_USER, Role.SEAL_APPROVER])
def test_other_members_get_403(team, login, role):
    c = login(team["users"][role], team["company"])
    assert c.get(URL).status_code == 403
    assert c.post(URL, form_data()).status_code == 403
    assert not Seal.objects.filter(origin="uploaded").exists()


def test_another_companys_upload_is_404(keeper_client, company, verified_company, make_user, login):
    keeper_client.post(URL, form_data())
    seal = Seal.objects.get(origin="uploaded")
    other_keeper = make_user("别家管理员")
    other = verified_company("别家公司", members={other_keeper: Role.SEAL_KEEPER})
    c = login(other_keeper, other)
    for name in ("seal_upload_status", "seal_upload_photo"):
        assert c.get(reverse(name, args=[seal.pk])).status_code == 404
    # a member of the uploading company who may not make seals: 403
    member = company.memberships.get(role=Role.MEMBER).user
    assert (
        login(member, company).get(reverse("seal_upload_photo", args=[seal.pk])).status_code == 403
    )


def test_unverified_company_and_personal_space_are_told_what_to_do(make_company, make_user, login):
    owner = make_user("老板")
    company = make_company("未认证公司", owner=owner)
    page = login(owner, company).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and 'data-testid="upload-not-ready"' in page.content.decode()
    assert "once the company is verified" in page.content.decode()
    assert '<form method="post" enctype' not in page.content.decode()
    assert login(owner, company).post(URL, form_data()).status_code == 200
    assert not Seal.objects.filter(origin="uploaded").exists()
    personal = login(owner).get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Switch to your company" in personal


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _encoded(fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kw"),
    [("PNG", {}), ("JPEG", {}), ("JPEG", {"progressive": True}), ("WEBP", {})],
    ids=["png", "jpeg", "progressive-jpeg", "webp"],
)
def test_the_image_end_is_found_by_walking_the_format(fmt, kw):
    """A trailer that repeats the end marker (IEND, FFD9) cannot pass for the image's end."""
    from chop.seals.upload import appended_payload

    data = _encoded(fmt, **kw)
    assert not appended_payload(data)
    assert not appended_payload(data + b"\x00\x00\r\n")
    assert appended_payload(data + b"<html><script>x()</script></html>IEND\xae\x42\x60\x82")
    assert appended_payload(data + b"<svg onload=alert(1)>\xff\xd9")


def test_a_phone_trailer_after_a_jpeg_is_not_a_polyglot():
    """Motion photos append a video after the JPEG: allowed (re-encoding drops it anyway)."""
    from chop.seals.upload import appended_payload

    assert not appended_payload(stamp_photo() + b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    assert appended_payload(stamp_photo() + b"MZ\x90\x00" + bytes(60))


def test_an_unexpected_extraction_error_revokes_with_a_plain_reason(
    keeper_client, company, monkeypatch
):
    import chop.sealart

    def crash(*args, **kwargs):
        raise MemoryError("worker out of memory")

    monkeypatch.setattr(chop.sealart, "extract_ink", crash)
    response = keeper_client.post(URL, form_data())
    seal = Seal.objects.get(origin="uploaded")
    assert seal.status == "revoked" and seal.spec["upload"]["error"] == "extract_failed"
    page = keeper_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The photo could not be processed. Upload it again, or another photo." in page


def test_a_seal_revoked_while_extracting_is_left_alone(keeper_client, company, keeper, settings):
    from chop.seals.lifecycle import change_state
    from chop.seals.upload import run_extraction

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    keeper_client.post(URL, form_data())
    seal = Seal.objects.get(origin="uploaded")
    change_state(seal, "revoke", by=keeper, reason="传错了照片")
    assert run_extraction(seal.pk) == "skipped"
    seal.refresh_from_db()
    assert seal.status == "revoked" and not seal.image and seal.status_reason == "传错了照片"

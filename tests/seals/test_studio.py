"""The seal studio (issue 10 §2): every kind makes a correct seal; who may; what is refused; the
live preview's answers (SVG, errors beside fields, caching); the legal-representative replacement;
one seal per form."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from chop.audit.models import AuditEvent
from chop.orgs.models import Role
from chop.seals import studio
from chop.seals.models import Certificate, Seal

pytestmark = pytest.mark.django_db

NEW = "/seals/new/"
PREVIEW = "/seals/new/preview.svg"


@pytest.fixture
def keeper_setup(verified_company, make_user, login):
    keeper = make_user("印章管理员")
    company = verified_company(members={keeper: Role.SEAL_KEEPER})
    return company, keeper, login(keeper, company)


def _form_values(client, kind: str) -> dict:
    """The form's initial values as the page renders them (what a browser would post)."""
    page = client.get(NEW, {"kind": kind})
    assert page.status_code == 200
    form = page.context["form"]
    values = {"kind": kind, "action": "create"}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            values[name] = "on"
        elif value not in (None, False, ""):
            values[name] = str(value)
    return values


def _png(seal: Seal) -> Image.Image:
    with seal.image.open("rb") as fh:
        img = Image.open(io.BytesIO(fh.read()))
        img.load()
    return img


KIND_EXPECT = [
    # studio kind, Seal.kind, spec kind, size in mm (w, h)
    ("contract", "contract", "contract", (40, 40)),
    ("finance", "finance", "finance", (40, 40)),
    ("finance_square", "finance", "finance_square", (22, 22)),
    ("hr", "hr", "hr", (40, 40)),
    ("invoice", "invoice", "invoice", (40, 30)),
    ("foreign", "foreign", "foreign", (45, 30)),
    ("custom", "custom", "custom", (40, 40)),
]


@pytest.mark.parametrize(("slug", "seal_kind", "spec_kind", "mm"), KIND_EXPECT)
def test_each_kind_makes_an_active_seal_with_a_real_png(
    keeper_setup, slug, seal_kind, spec_kind, mm
):
    company, keeper, client = keeper_setup
    values = _form_values(client, slug)
    if slug == "foreign":
        values["name"] = "SHANGHAI EXAMPLE TECHNOLOGY CO., LTD."
        values["horizontal_text"] = company.name
    if slug == "custom":
        values["horizontal_text"] = "项目专用章"
    response = client.post(NEW, values)
    assert response.status_code == 302, response.context["form"].errors
    seal = Seal.objects.get(company=company, origin="template")
    assert response["Location"] == f"/seals/{seal.pk}/"
    assert (seal.kind, seal.status, seal.created_by) == (seal_kind, "active", keeper)
    assert re.fullmatch(r"\d{13}", seal.code)
    cert = Certificate.objects.get(company=company, user__isnull=True)
    assert seal.certificate == cert and seal.usable_for_stamping
    assert seal.spec["kind"] == spec_kind
    assert seal.spec["name"] == values["name"]
    img = _png(seal)
    assert img.format == "PNG" and img.mode == "RGBA"
    dpi = img.info["dpi"]
    assert round(dpi[0]) == 300
    # the image is the seal's size at 300 dpi, transparent around the ink, inked with red
    assert abs(img.width - mm[0] / 25.4 * 300) <= 2 and abs(img.height - mm[1] / 25.4 * 300) <= 2
    px = np.asarray(img)
    clear = (px[..., 3] == 0).mean()
    assert 0.2 < clear < 0.98 and px[..., 3].max() == 255  # transparent paper, opaque ink
    r, g, b = px[px[..., 3] == 255][:, :3].mean(axis=0)
    assert r > 180 and g < 80 and b < 80
    event = AuditEvent.objects.get(action="seal.created", object_id=str(seal.pk))
    assert event.data["origin"] == "template" and event.actor == keeper


def test_invoice_taxpayer_id_defaults_to_the_company_uscc(keeper_setup):
    company, _keeper, client = keeper_setup
    values = _form_values(client, "invoice")
    assert values["taxpayer_id"] == company.uscc
    client.post(NEW, values)
    seal = Seal.objects.get(company=company, kind="invoice")
    assert seal.spec["taxpayer_id"] == company.uscc


def test_controls_reach_the_stored_spec(keeper_setup):
    company, _keeper, client = keeper_setup
    values = _form_values(client, "hr")
    values.update(size_mm="38", border_mm="1.2", color="blue", font="kai", aged="on", aged_seed="7")
    values.pop("star")  # unchecked
    values["bottom_text"] = "3101150012345"
    assert client.post(NEW, values).status_code == 302
    seal = Seal.objects.get(company=company, kind="hr")
    spec = seal.spec
    assert (spec["size_mm"], spec["border_mm"], spec["color"]) == (38, 1.2, "blue")
    assert (spec["star"], spec["aged_seed"], spec["font"]) == (False, 7, "kai")
    assert spec["bottom_text"] == "3101150012345"
    px = np.asarray(_png(seal))
    r, g, b = px[px[..., 3] == 255][:, :3].mean(axis=0)
    assert b > 120 and b > r  # blue ink


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SEAL_APPROVER, Role.SEAL_USER])
def test_members_who_may_not_make_seals_get_403(verified_company, make_user, login, role):
    person = make_user("someone")
    company = verified_company(members={person: role})
    client = login(person, company)
    assert client.get(NEW).status_code == 403
    assert client.get(NEW, {"kind": "contract"}).status_code == 403
    assert client.get(PREVIEW, {"kind": "contract", "name": "x"}).status_code == 403
    assert client.post(NEW, {"kind": "contract", "name": "x"}).status_code == 403
    assert not Seal.objects.filter(origin="template").exists()
    # and the Seals page does not offer the studio
    assert NEW not in client.get("/seals/").content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER])
def test_owner_admin_keeper_may_open_the_studio(verified_company, make_user, login, role):
    person = make_user("maker")
    owner = person if role == Role.OWNER else None
    members = {} if role == Role.OWNER else {person: role}
    company = verified_company(owner=owner, members=members)
    client = login(person, company)
    assert client.get(NEW).status_code == 200
    assert client.get(NEW, {"kind": "contract"}).status_code == 200
    assert f'href="{NEW}"' in client.get("/seals/").content.decode()  # the entry on the Seals page


def test_outside_a_company_or_in_another_company_it_is_404(keeper_setup, verified_company, login):
    company, keeper, _client = keeper_setup
    other = verified_company("另一家有限公司")
    assert login(keeper).get(NEW).status_code == 404  # personal space
    # a session pointing at a company the user is not a member of falls back to no company
    assert login(keeper, other).get(NEW, {"kind": "contract"}).status_code == 404
    assert login(keeper, other).get(PREVIEW, {"kind": "contract"}).status_code == 404


def test_unverified_company_is_told_to_verify(make_company, make_user, login):
    keeper = make_user("keeper")
    company = make_company("未认证有限公司", members={keeper: Role.SEAL_KEEPER})
    client = login(keeper, company)
    page = client.get(NEW, {"kind": "contract"})
    assert page.status_code == 200 and b"studio-unverified" in page.content
    assert page.context.get("form") is None
    assert client.get(PREVIEW, {"kind": "contract", "name": "x"}).status_code == 403
    assert client.post(NEW, {"kind": "contract", "name": "x"}).status_code == 200
    assert not Seal.objects.filter(origin="template").exists()


# ---------------------------------------------------------------------------------- refusals
def _post_error(client, kind, field, **changes):
    values = _form_values(client, kind)
    values.update(changes)
    response = client.post(NEW, values)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors, errors
    return str(errors[field][0])


def test_custom_text_that_imitates_the_official_seal_is_refused(keeper_setup):
    _company, _keeper, client = keeper_setup
    msg = _post_error(client, "custom", "horizontal_text", horizontal_text="行政公章")
    assert "公章" in msg
    msg = _post_error(client, "custom", "name", name="示例科技有限公司公章", horizontal_text="")
    assert "公章" in msg
    msg = _post_error(client, "custom", "horizontal_text", horizontal_text="合同专用章")
    assert "合同专用章" in msg
    # nor may any other kind's name read as an official seal
    assert "公章" in _post_error(client, "contract", "name", name="上海示例科技有限公司公章")
    assert "公章" in _post_error(client, "finance_square", "name", name="示例公司公章")
    assert not Seal.objects.filter(origin="template").exists()


def test_out_of_range_size_and_bad_colour_are_refused(keeper_setup):
    _company, _keeper, client = keeper_setup
    assert "38" in _post_error(client, "contract", "size_mm", size_mm="60")
    assert _post_error(client, "contract", "color", color="green")
    assert "46" in _post_error(client, "invoice", "width_mm", width_mm="80")
    assert _post_error(client, "finance_square", "border_mm", border_mm="0.1")
    assert not Seal.objects.filter(origin="template").exists()


def test_a_name_too_long_says_how_many_characters_fit(keeper_setup):
    _company, _keeper, client = keeper_setup
    from chop.sealart import max_name_chars

    most = max_name_chars("contract", size_mm=38)
    msg = _post_error(client, "contract", "name", name="国" * (most + 1), size_mm="38")
    assert str(most) in msg
    # exactly the limit is accepted
    values = _form_values(client, "contract")
    values.update(name="国" * most, size_mm="38")
    assert client.post(NEW, values).status_code == 302


def test_a_tampered_or_foreign_token_makes_nothing(keeper_setup, make_user):
    company, _keeper, client = keeper_setup
    values = _form_values(client, "contract")
    values["token"] = studio.new_form_token(company, make_user("other"))
    response = client.post(NEW, values)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not Seal.objects.filter(origin="template").exists()


# ------------------------------------------------------------------------------------ preview
def test_preview_is_the_server_drawn_svg_with_caching_headers(keeper_setup):
    company, _keeper, client = keeper_setup
    values = _form_values(client, "contract")
    values.pop("token")
    response = client.get(PREVIEW, values)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width") == "40mm"
    chars = "".join(p.get("data-char", "") for p in root.iter("{http://www.w3.org/2000/svg}path"))
    assert company.name in chars and "合同专用章" in chars
    assert response["Cache-Control"] == "private, max-age=600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    etag = response["ETag"]
    again = client.get(PREVIEW, values, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    changed = client.get(PREVIEW, {**values, "name": "上海另一家科技有限公司"})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_preview_errors_come_back_beside_their_fields(keeper_setup):
    _company, _keeper, client = keeper_setup
    from chop.sealart import max_name_chars

    values = _form_values(client, "contract")
    values.pop("token")
    most = max_name_chars("contract", size_mm=40)
    response = client.get(PREVIEW, {**values, "name": "国" * (most + 1)})
    assert response.status_code == 422
    errors = response.json()
    assert list(errors) == ["name"] and str(most) in errors["name"]
    # a Latin name that does not fit gets the plain message (the limit counts Chinese characters)
    long_latin = "SHANGHAI EXAMPLE INTERNATIONAL TECHNOLOGY DEVELOPMENT CO LTD"
    oval = {**values, "kind": "foreign", "width_mm": "40", "height_mm": "28"}
    oval.update(name=long_latin, horizontal_text="")
    latin = client.get(PREVIEW, oval, HTTP_ACCEPT_LANGUAGE="en")
    assert latin.status_code == 422
    assert latin.json()["name"] == "The name is too long to fit on the seal. Shorten it."
    response = client.get(PREVIEW, {**values, "size_mm": "10", "color": "pink"})
    assert response.status_code == 422 and set(response.json()) == {"size_mm", "color"}


def test_preview_in_english_translates_the_message(keeper_setup):
    _company, _keeper, client = keeper_setup
    values = _form_values(client, "custom")
    values.pop("token")
    zh = client.get(PREVIEW, {**values, "horizontal_text": "公章"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = client.get(PREVIEW, {**values, "horizontal_text": "公章"}, HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 422
    assert zh.json()["horizontal_text"] != en.json()["horizontal_text"]
    assert "official seal" in en.json()["horizontal_text"]


def test_the_form_works_without_javascript(keeper_setup):
    _company, _keeper, client = keeper_setup
    values = _form_values(client, "contract")
    values.update(action="preview", name="上海预览科技有限公司")
    page = client.post(NEW, values)
    assert page.status_code == 200 and not Seal.objects.filter(origin="template").exists()
    html = page.content.decode()
    src = re.search(r'id="studio-preview" src="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert src.startswith(PREVIEW + "?")
    assert client.get(src).status_code == 200


# --------------------------------------------------------------------- one seal per form
def test_submitting_one_form_twice_makes_one_seal(keeper_setup):
    company, _keeper, client = keeper_setup
    values = _form_values(client, "contract")
    first = client.post(NEW, values)
    second = client.post(NEW, values)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Seal.objects.filter(company=company, origin="template").count() == 1
    assert AuditEvent.objects.filter(action="seal.created", data__origin="template").count() == 1


def test_a_failed_save_leaves_no_row_and_no_file(keeper_setup, monkeypatch, settings):
    company, keeper, client = keeper_setup
    values = _form_values(client, "contract")

    def boom(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(studio, "record", boom)
    with pytest.raises(RuntimeError):
        client.post(NEW, values)
    assert not Seal.objects.filter(origin="template").exists()
    folder = settings.MEDIA_ROOT / "seals"
    stored = [p.name for p in folder.rglob("*.png")] if folder.exists() else []
    assert not any(name.startswith("contract-") for name in stored)


# ------------------------------------------------------------------ legal representative
def _with_legal_rep(company, rep_user):
    """Give the company an active legal-representative seal, as the representative's
    confirmation does (the certificate is the person's)."""
    from chop.seals.issuance import ensure_legal_rep_seal

    return ensure_legal_rep_seal(company, rep_user, "张三", "110101199003071234", by=rep_user)


def test_legal_rep_design_needs_a_confirmed_representative(keeper_setup):
    company, _keeper, client = keeper_setup
    page = client.get(NEW).content.decode()
    assert 'data-kind="contract"' in page and 'data-kind="legal_rep_square"' not in page
    response = client.get(NEW, {"kind": "legal_rep_rect"})
    assert response.status_code == 409 and b"studio-no-legal-rep" in response.content
    values = {"kind": "legal_rep_rect", "action": "create", "width_mm": "20", "height_mm": "10"}
    assert client.post(NEW, values).status_code == 409
    assert not Seal.objects.filter(company=company, kind="legal_rep").exists()


@pytest.mark.parametrize("slug", ["legal_rep_rect", "legal_rep_square"])
def test_legal_rep_design_replaces_the_old_seal_keeping_owner_name_certificate(
    keeper_setup, make_user, slug
):
    company, keeper, client = keeper_setup
    rep = make_user("张三")
    old = _with_legal_rep(company, rep)
    values = _form_values(client, slug)
    values["suffix"] = "之印"
    response = client.post(NEW, values)
    assert response.status_code == 302, response.context["form"].errors
    old.refresh_from_db()
    new = Seal.objects.get(company=company, kind="legal_rep", status="active")
    assert old.status == "revoked" and old.status_reason
    assert (new.owner, new.name, new.certificate) == (rep, "张三", old.certificate)
    assert new.origin == "template" and new.spec["kind"] == slug
    assert new.spec["suffix"] == "之印"
    img = _png(new)
    if slug == "legal_rep_rect":
        assert img.width > 1.8 * img.height
    events = [e.action for e in AuditEvent.objects.filter(company=company).order_by("pk")]
    assert events[-2:] == ["seal.revoked", "seal.created"]

"""The Seals page and a seal's detail page: what each person sees, the empty states, the
downloads (real PNG and SVG, decoded), and who gets a 404 or a 403."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image, ImageDraw

from chop.orgs.models import Role
from chop.seals import lifecycle
from chop.seals.models import Seal
from tests.support.storage import on_both_storages

pytestmark = pytest.mark.django_db

SVG_NS = "{http://www.w3.org/2000/svg}"
FULL_ROLES = (Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER)
OTHER_ROLES = (Role.SEAL_APPROVER, Role.SEAL_USER, Role.MEMBER)


def official(company) -> Seal:
    return Seal.objects.get(company=company, kind="official", status="active")


@pytest.fixture
def staffed(verified_company, make_user):
    """A verified company with a person in every role."""
    people = {role: make_user(f"{role}员工") for role in Role.values if role != Role.OWNER}
    owner = make_user("老板")
    company = verified_company(owner=owner, members={u: r for r, u in people.items()})
    people[Role.OWNER] = owner
    return company, people


def _impression_png(size=(900, 700), dpi=None) -> bytes:
    """A red ring on transparency, like an extracted impression (no print dpi unless asked)."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse(
        (30, 30, size[0] - 30, size[1] - 30), outline=(200, 20, 30), width=30
    )
    buf = io.BytesIO()
    img.save(buf, "PNG", **({"dpi": dpi} if dpi else {}))
    return buf.getvalue()


def _uploaded(company, *, status="active", by=None, **extra) -> Seal:
    seal = Seal(
        company=company,
        kind=extra.pop("kind", "contract"),
        name=extra.pop("name", "上海示例科技有限公司"),
        origin="uploaded",
        status=status,
        certificate=official(company).certificate,
        created_by=by,
        **extra,
    )
    seal.image.save("impression.png", ContentFile(_impression_png()), save=False)
    seal.save()
    return seal


def text(html: bytes | str) -> str:
    html = html.decode() if isinstance(html, bytes) else html
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the list ---------------------------------------------------------------------------------


def test_company_list_shows_each_seal_with_its_facts(staffed, login):
    company, people = staffed
    seal = official(company)
    html = login(people[Role.SEAL_KEEPER], company).get("/seals/").content.decode()
    words = text(html)
    assert seal.code in words and "公章" in words and "已启用" in words
    assert company.name in words  # the certificate holder
    assert seal.certificate.serial_hex[:12] in words
    assert "认证时生成" in words  # origin
    assert "老板" in words  # who made it (the owner approved the verification)
    assert re.search(r"使用次数\s*0", words)
    assert f'src="/seals/{seal.pk}/image.png"' in html
    # a keeper may make seals: both actions, and the only-official empty state points at them
    assert 'href="/seals/new/"' in html and 'href="/seals/upload/"' in html
    assert 'data-testid="empty-only-official"' in html
    assert "尚未开放" not in words and "not available yet" not in html


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_members_who_do_not_make_seals_get_no_make_buttons(staffed, login, role):
    company, people = staffed
    html = login(people[role], company).get("/seals/").content.decode()
    assert 'href="/seals/new/"' not in html and 'href="/seals/upload/"' not in html
    assert "所有者、管理员和印章管理员" in html  # who to ask


def test_unverified_company_is_told_to_verify(make_company, make_user, login):
    owner, keeper = make_user("老板"), make_user("管理员")
    company = make_company("未认证公司", owner=owner, members={keeper: Role.SEAL_KEEPER})
    html = login(owner, company).get("/seals/").content.decode()
    assert 'data-testid="empty-verify"' in html
    assert reverse("verification:company") in html
    assert 'href="/seals/new/"' not in html
    # a keeper cannot start verification: told whom to ask instead of a button that refuses
    html = login(keeper, company).get("/seals/").content.decode()
    assert 'data-testid="empty-verify"' in html and reverse("verification:company") not in html


def test_personal_space_empty_state_offers_a_signature(make_user, login):
    me = make_user("个人")
    html = login(me).get("/seals/").content.decode()
    assert 'data-testid="empty-personal"' in html
    assert 'href="/seals/signature/' in html or reverse("signature_new") in html
    assert 'href="/seals/new/"' not in html


def test_personal_signature_without_certificate_says_when_it_becomes_usable(make_user, login):
    me, other = make_user("个人"), make_user("别人")
    sig = Seal.objects.create(owner=me, kind="signature", name="张三", origin="drawn")
    Seal.objects.create(owner=other, kind="signature", name="别人的签名", origin="drawn")
    html = login(me).get("/seals/").content.decode()
    assert sig.code in html and "别人的签名" not in html
    assert "完成实名认证后即可使用" in text(html)
    assert 'data-testid="empty-personal"' not in html


def test_active_first_and_the_reason_of_the_others(staffed, login):
    company, people = staffed
    keeper = people[Role.SEAL_KEEPER]
    revoked = _uploaded(company, by=keeper, name="甲")
    lifecycle.change_state(revoked, "revoke", by=keeper, reason="印章遗失")
    disabled = _uploaded(company, by=keeper, name="乙")
    lifecycle.change_state(disabled, "disable", by=keeper, reason="暂停使用")
    pending = _uploaded(company, by=keeper, status="pending", name="丙")
    active = _uploaded(company, by=keeper, name="丁")
    html = login(keeper, company).get("/seals/").content.decode()
    order = re.findall(r'data-code="(\d{13})"', html)
    first_two = {official(company).code, active.code}
    assert set(order[:2]) == first_two
    assert order[2:] == [pending.code, disabled.code, revoked.code]
    words = text(html)
    assert "印章遗失" in words and "暂停使用" in words
    assert 'data-testid="empty-only-official"' not in html


def test_another_companys_seal_is_404_everywhere(staffed, verified_company, make_user, login):
    company, people = staffed
    theirs = official(verified_company("别家公司", owner=make_user("别家老板")))
    client = login(people[Role.OWNER], company)
    for name in ("seal_detail", "seal_image", "seal_svg", "seal_certificate"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404, name
    assert theirs.code not in client.get("/seals/").content.decode()
    response = client.post(
        reverse("seal_change_state", args=[theirs.pk]),
        {"action": "revoke", "reason": "x", "confirm": "yes"},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active"


# --- the detail page and downloads -----------------------------------------------------------


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_members_see_the_preview_but_no_downloads(staffed, login, role):
    company, people = staffed
    seal = official(company)
    client = login(people[role], company)
    html = client.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    assert f'src="/seals/{seal.pk}/image.png"' in html
    assert "download=1" not in html and "seal.svg" not in html
    preview = client.get(reverse("seal_image", args=[seal.pk]))
    with Image.open(io.BytesIO(preview.content)) as img:
        assert max(img.size) <= 240
    assert client.get(reverse("seal_image", args=[seal.pk]) + "?download=1").status_code == 403
    assert client.get(reverse("seal_svg", args=[seal.pk])).status_code == 403
    # nor may they change its state
    assert 'data-testid="form-disable"' not in html


@on_both_storages
@pytest.mark.parametrize("role", FULL_ROLES)
def test_png_download_is_transparent_rgba_at_300_dpi(staffed, login, role):
    company, people = staffed
    seal = official(company)
    client = login(people[role], company)
    html = client.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    assert f"/seals/{seal.pk}/image.png?download=1" in html and f"/seals/{seal.pk}/seal.svg" in html
    response = client.get(f"/seals/{seal.pk}/image.png?download=1")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    with Image.open(io.BytesIO(response.content)) as img:
        assert img.format == "PNG" and img.mode == "RGBA"
        assert all(abs(d - 300) < 0.5 for d in img.info["dpi"])
        # Ø40 mm at 300 dpi
        assert abs(img.size[0] - 40 / 25.4 * 300) <= 2
        assert img.getpixel((0, 0))[3] == 0  # the corner is transparent
        assert img.getchannel("A").getextrema()[1] == 255  # and there is ink


def _svg_root(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    root = ET.fromstring(response.content)
    assert root.tag == SVG_NS + "svg"
    return root


def test_svg_of_a_drawn_seal_is_the_vector_drawing_in_mm(staffed, login):
    company, people = staffed
    seal = official(company)
    root = _svg_root(login(people[Role.OWNER], company).get(f"/seals/{seal.pk}/seal.svg"))
    assert root.get("width") == "40mm" and root.get("height") == "40mm"
    paths = root.findall(f".//{SVG_NS}path")
    assert len(paths) > 10  # border, star and every character as outlines
    chars = "".join(p.get("data-char") or "" for p in paths)
    assert "上海示例科技有限公司" in chars
    assert root.find(f".//{SVG_NS}image") is None


def test_svg_and_png_of_an_uploaded_seal_share_one_physical_size(staffed, login):
    company, people = staffed
    seal = _uploaded(company)  # 900×700 px, no dpi, no drawing spec
    client = login(people[Role.SEAL_KEEPER], company)
    root = _svg_root(client.get(f"/seals/{seal.pk}/seal.svg"))
    width_mm = float(root.get("width").removesuffix("mm"))
    height_mm = float(root.get("height").removesuffix("mm"))
    assert width_mm == pytest.approx(40) and height_mm == pytest.approx(40 * 700 / 900, abs=0.01)
    image = root.find(f"{SVG_NS}image")
    href = image.get("href")
    assert href.startswith("data:image/png;base64,")
    assert float(image.get("width")) == pytest.approx(width_mm)
    import base64

    embedded = base64.b64decode(href.split(",", 1)[1])
    download = client.get(f"/seals/{seal.pk}/image.png?download=1").content
    assert embedded == download
    with Image.open(io.BytesIO(download)) as img:
        assert img.mode == "RGBA" and all(abs(d - 300) < 0.5 for d in img.info["dpi"])
        assert img.size == (round(40 / 25.4 * 300), round(40 * 700 / 900 / 25.4 * 300))


def test_print_dpi_of_an_upload_decides_its_size(staffed, login):
    company, people = staffed
    seal = _uploaded(company)
    seal.image.save("scan.png", ContentFile(_impression_png((600, 600), dpi=(600, 600))))
    root = _svg_root(login(people[Role.OWNER], company).get(f"/seals/{seal.pk}/seal.svg"))
    assert float(root.get("width").removesuffix("mm")) == pytest.approx(25.4)


def test_detail_shows_certificate_history_and_state(staffed, login):
    company, people = staffed
    keeper = people[Role.SEAL_KEEPER]
    seal = official(company)
    client = login(keeper, company)
    lifecycle.change_state(seal, "disable", by=keeper, reason="年检期间暂停")
    html = client.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    history = html.split('data-testid="history"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-action="([^"]+)">(.*?)</tr>', history, re.S)
    assert [a for a, _ in rows] == ["seal.created", "seal.disabled"]
    last = text(rows[-1][1])
    assert "印章已停用" in last and "年检期间暂停" in last and keeper.name in last
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", last)
    # the state in our words: Django's auth catalogue says 禁用 for a bare "Disabled"
    assert 'id="seal-status">已停用</span>' in html and 'data-testid="certificate"' in html


def test_history_in_english(staffed, login, settings):
    company, people = staffed
    seal = official(company)
    lifecycle.change_state(seal, "disable", by=people[Role.OWNER], reason="audit")
    client = login(people[Role.OWNER], company)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    assert "Seal disabled" in html and "History" in html and "audit" in html


# --- the rules the pages rely on ------------------------------------------------------------------


def test_only_active_seals_with_a_certificate_are_usable(staffed):
    """``Seal.objects.usable()`` is the one filter every stamping path uses: pinned here."""
    company, people = staffed
    active = official(company)
    pending = _uploaded(company, status="pending")
    disabled = _uploaded(company, status="disabled")
    revoked = _uploaded(company, status="revoked")
    no_cert = _uploaded(company)
    Seal.objects.filter(pk=no_cert.pk).update(certificate=None)
    usable = set(Seal.objects.usable().filter(company=company))
    assert usable == {active}
    for seal in (pending, disabled, revoked, no_cert):
        seal.refresh_from_db()
        assert not seal.usable_for_stamping
    assert active.usable_for_stamping


def test_seal_codes_are_unique_across_the_platform(verified_company, make_user):
    a = official(verified_company("甲公司", owner=make_user("甲")))
    b_company = verified_company("乙公司", owner=make_user("乙"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Seal.objects.create(company=b_company, kind="contract", name="乙公司", code=a.code)
    assert Seal.objects.filter(code=a.code).count() == 1


def test_svg_of_a_signature_rendered_from_the_name_is_vector(make_user, login):
    """A typed signature keeps its spec (the JSON the engine's fields make): its SVG is drawn
    from it, enums and all, not a wrapped bitmap."""
    from chop.sealart import SealKind, SealSpec, render
    from chop.seals.issuance import _spec_json

    me = make_user("张三")
    spec = SealSpec(kind=SealKind.SIGNATURE, name="张三", font="kai")
    sig = Seal(owner=me, kind="signature", name="张三", origin="typed", spec=_spec_json(spec))
    sig.image.save("sig.png", ContentFile(render(spec).to_png(dpi=300)), save=False)
    sig.save()
    root = _svg_root(login(me).get(f"/seals/{sig.pk}/seal.svg"))
    assert root.get("width").endswith("mm") and root.find(f".//{SVG_NS}image") is None
    assert "".join(p.get("data-char") or "" for p in root.iter(f"{SVG_NS}path")) == "张三"

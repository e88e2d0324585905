"""Only keepers, owners and admins download full-resolution seal images (issue 8, item 8).

Every member who may see a seal gets a preview of at most 240 px: enough to recognise it on the
Seals page, too coarse to print a convincing copy.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from chop.orgs import permissions
from chop.orgs.models import Membership, Role
from chop.seals.models import Seal

pytestmark = pytest.mark.django_db

FULL = 800


def _seal_png() -> bytes:
    img = Image.new("RGBA", (FULL, FULL), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse(
        (20, 20, FULL - 20, FULL - 20), outline=(220, 20, 30, 255), width=24
    )
    buf = io.BytesIO()
    # tagged 300 dpi as the seal engine's PNGs are: the download serves such an image unchanged
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


@pytest.fixture
def seal_company(make_user, make_company):
    people = {role: make_user(role) for role in Role.values if role != Role.OWNER}
    company = make_company(members={u: r for r, u in people.items()})
    seal = Seal.objects.create(company=company, kind=Seal.Kind.CONTRACT, name="合同专用章")
    seal.image.save("contract.png", ContentFile(_seal_png()))
    owner = Membership.objects.get(company=company, role=Role.OWNER).user
    return company, seal, {Role.OWNER: owner, **people}


def _size(response) -> tuple[int, int]:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    with Image.open(io.BytesIO(data)) as img:
        return img.size


FULL_ROLES = {Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER}


def test_permission_table(seal_company):
    company, seal, people = seal_company
    for role, user in people.items():
        m = Membership.objects.get(company=company, user=user)
        assert permissions.can_download_seal_image(m, seal, user) is (role in FULL_ROLES), role
    assert not permissions.can_download_seal_image(None, seal, people[Role.OWNER])


def test_full_resolution_only_for_owner_admin_keeper(seal_company, login):
    company, seal, people = seal_company
    url = f"/seals/{seal.pk}/image.png"
    for role, user in people.items():
        c = login(user, company)
        response = c.get(url)
        assert response.status_code == 200, role
        assert response["X-Content-Type-Options"] == "nosniff"
        download = c.get(url + "?download=1")
        detail = c.get(f"/seals/{seal.pk}/").content.decode()
        assert (f"{url}?download=1" in detail) is (role in FULL_ROLES), role
        if role in FULL_ROLES:
            assert _size(response) == (FULL, FULL), role
            assert download.status_code == 200
            assert download["Content-Disposition"].startswith("attachment;")
            assert _size(download) == (FULL, FULL)
        else:
            assert max(_size(response)) <= 240, role
            assert download.status_code == 403, role


def test_personal_seal_owner_gets_full_resolution(make_user, login):
    me = make_user("个人")
    seal = Seal.objects.create(owner=me, kind=Seal.Kind.SIGNATURE, name="个人签名")
    seal.image.save("sig.png", ContentFile(_seal_png()))
    response = login(me).get(f"/seals/{seal.pk}/image.png")
    assert response.status_code == 200 and _size(response) == (FULL, FULL)
    other = make_user("别人")
    assert login(other).get(f"/seals/{seal.pk}/image.png").status_code == 404

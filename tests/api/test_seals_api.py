# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""/api/v1/seals: the caller company's seals, one seal, and its image."""

from __future__ import annotations

import io

import pytest

from .misc_support import (  # noqa: F401
    _commit_work_per_request,
    body,
    problem,
    signing_world,
    verified_company,
    world,
)

pytestmark = pytest.mark.django_db


def _contract_seal(company, name="合同专用章"):
    from chop.seals.models import Seal

    official = Seal.objects.get(company=company, kind="official", status="active")
    return Seal.objects.create(
        company=company,
        kind="contract",
        name=name,
        status="pending",
        image=official.image.name,
        origin="template",
    )


def test_lists_only_the_company_seals_with_their_certificates(world):
    from chop.seals.models import Seal

    doc = body(world["a_api"].get("/api/v1/seals"))
    official = Seal.objects.get(company=world["a"], kind="official")
    assert [s["id"] for s in doc["items"]] == [official.pk]
    item = doc["items"][0]
    assert item["kind"] == "official" and item["status"] == "active"
    assert item["code"] == official.code and item["origin"] == official.origin
    assert item["certificate"]["serial"] == official.certificate.serial_hex
    assert item["certificate"]["not_after"].startswith(str(official.certificate.not_after.year))
    assert doc["next_cursor"] is None
    b_official = Seal.objects.get(company=world["b"], kind="official")
    assert b_official.pk not in [s["id"] for s in doc["items"]]


def test_filters_and_pages(world):
    pending = _contract_seal(world["a"])
    api = world["a_api"]
    assert [s["id"] for s in body(api.get("/api/v1/seals", {"kind": "contract"}))["items"]] == [
        pending.pk
    ]
    assert [s["id"] for s in body(api.get("/api/v1/seals", {"status": "pending"}))["items"]] == [
        pending.pk
    ]
    assert body(api.get("/api/v1/seals", {"status": "revoked"}))["items"] == []
    first = body(api.get("/api/v1/seals", {"limit": 1}))
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = body(api.get("/api/v1/seals", {"limit": 1, "cursor": first["next_cursor"]}))
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {
        pending.pk,
        pending.company.seals.get(kind="official").pk,
    }
    doc = problem(api.get("/api/v1/seals", {"kind": "stamp"}), 422, "invalid")
    assert doc["errors"][0]["field"] == "kind"
    problem(api.get("/api/v1/seals", {"cursor": "nonsense!"}), 400, "bad_cursor")


def test_one_seal_and_another_company_seal_is_404(world):
    from chop.seals.models import Seal

    official = Seal.objects.get(company=world["a"], kind="official")
    doc = body(world["a_api"].get(f"/api/v1/seals/{official.pk}"))
    assert doc["id"] == official.pk and doc["name"] == official.name
    b_seal = Seal.objects.get(company=world["b"], kind="official")
    problem(world["a_api"].get(f"/api/v1/seals/{b_seal.pk}"), 404, "not_found")
    problem(world["a_api"].get(f"/api/v1/seals/{b_seal.pk}/image"), 404, "not_found")
    # a person's own seal is nobody's company seal
    problem(world["a_api"].get(f"/api/v1/seals/{world['person_seal'].pk}"), 404, "not_found")


def test_image_is_a_png_pillow_opens(world):
    from PIL import Image

    from chop.seals.models import Seal

    official = Seal.objects.get(company=world["a"], kind="official")
    response = world["a_api"].get(f"/api/v1/seals/{official.pk}/image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Chop-Image"] == "full"
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.content)) as img:
        assert img.format == "PNG"
        assert min(img.size) > 300  # 300 dpi artwork, not the preview


def test_seal_without_image_is_404(world):
    from chop.seals.models import Seal

    bare = Seal.objects.create(company=world["a"], kind="finance", name="财务章")
    doc = problem(world["a_api"].get(f"/api/v1/seals/{bare.pk}/image"), 404, "not_found")
    assert doc["detail"]


def test_read_scope_is_needed(world):
    api = world["scoped"]("records")
    doc = problem(api.get("/api/v1/seals"), 403, "scope_missing")
    assert "read" in doc["detail"]
    problem(api.get("/api/v1/seals/1"), 403, "scope_missing")
    assert world["scoped"]("read").get("/api/v1/seals").status_code == 200

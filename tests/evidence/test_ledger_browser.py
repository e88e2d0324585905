# ruff: noqa: F811  (pytest fixtures imported from the contracts tests)
"""The stamping log's pages in Debian's chromium, in Chinese: the owner publishes a tree head
from the log page, opens a record's proof (included, with its audit path), and downloads the
record's bundle, which the offline verifier accepts. Screenshots at 1280 px and 390 px (copied
to CHOP_SHOTS_DIR)."""

from __future__ import annotations

import json

import pytest

from chop import ledger
from chop.contracts.models import StampRecord
from chop.evidence.models import TreeHead
from tests.contracts.signing_support import root_pem, signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401
from tests.seals.test_pages_browser import both_sizes, open_as

from .ledger_support import stamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_publishes_a_head_and_checks_a_records_proof(
    browser, live_server, signing_world, screenshot, tmp_path
):
    from cryptography import x509

    w = signing_world
    for _ in range(3):
        stamp(w)
    record = StampRecord.objects.order_by("pk")[1]
    page = open_as(browser, live_server, w["a_owner"], w["a"])
    try:
        page.goto(f"{page.base_url}/records/log/")
        assert page.get_by_test_id("no-heads").is_visible()
        page.get_by_test_id("publish-now").click()
        page.wait_for_selector('[data-testid="heads-table"]')
        assert "已发布包含 3 条记录的树头" in page.content()
        both_sizes(page, screenshot, "ledger-heads")

        page.goto(f"{page.base_url}/records/stamps/{record.pk}/proof/")
        assert page.get_by_test_id("proof-ok").inner_text() == "已收录：证明核验通过"
        assert page.locator('[data-testid="audit-path"] li').count() == 2
        both_sizes(page, screenshot, "ledger-proof")

        with page.expect_download() as info:
            page.get_by_test_id("record-bundle").click()
        bundle = json.loads(info.value.path().read_text())
    finally:
        page.context.close()
    assert [r["leaf"]["id"] for r in bundle["records"]] == [record.pk]
    report = ledger.verify_bundle(bundle, trust=x509.load_pem_x509_certificate(root_pem()))
    assert report.ok, report.lines
    assert TreeHead.objects.get().tree_size == 3

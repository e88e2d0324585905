"""The grants pages in Debian's chromium, in Chinese: a keeper opens a seal's grants from its page,
sends the new-grant form empty (errors on the fields), grants a member for listed contract types,
revokes a grant through the confirmation step, and sets the seal's approvers; the member sees
the grant on the seal's page. Screenshots at 1280 px and 390 px (copied to CHOP_SHOTS_DIR)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chop.grants import granting
from chop.grants.models import ApprovalRule, Grant
from chop.orgs.models import Role
from chop.seals.issuance import active_official_seal
from tests.seals.test_pages_browser import both_sizes, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_keeper_grants_revokes_and_sets_approvers(
    browser, live_server, verified_company, make_user, screenshot
):
    owner, keeper = make_user("王老板"), make_user("赵保管")
    member, approver = make_user("周员工"), make_user("钱审批")
    company = verified_company(
        owner=owner,
        members={keeper: Role.SEAL_KEEPER, member: Role.MEMBER, approver: Role.SEAL_APPROVER},
    )
    seal = active_official_seal(company)
    now = timezone.now()
    # a few grants in other states, so the page shows each badge
    granting.grant(
        seal,
        by=keeper,
        roles=[Role.SEAL_APPROVER],
        starts_at=now + dt.timedelta(days=7),
        ends_at=now + dt.timedelta(days=90),
        note="下季度起生效",
    )
    old = granting.grant(seal, by=keeper, members=[approver], max_uses=3)
    granting.revoke(old, by=owner)
    page = open_as(browser, live_server, keeper, company)
    try:
        page.goto(f"{page.base_url}/seals/{seal.pk}/")
        section = page.get_by_test_id("seal-grants")
        assert "已授权给您" in section.inner_text()  # keepers hold the default grant
        section.get_by_role("link", name="管理授权").click()
        page.wait_for_url(f"**/seals/{seal.pk}/grants/")
        assert page.locator('[data-testid="grant"]').count() == 3

        page.get_by_test_id("grant-new").click()
        page.get_by_role("button", name="授权", exact=True).click()  # nothing chosen
        page.wait_for_selector(".form-alert")
        assert "请至少选择一位成员或一个角色" in page.content()
        assert "请填写截止时间，或选择长期有效" in page.content()
        both_sizes(page, screenshot, "grant-form-errors")

        page.get_by_label("周员工").check()
        page.get_by_label("仅限以下合同类型").check()
        page.get_by_label("合同类型", exact=True).fill("采购合同，租赁合同")
        end = timezone.localtime() + dt.timedelta(days=180)
        page.get_by_label("有效期至", exact=True).fill(end.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("使用次数上限").fill("10")
        page.get_by_role("button", name="授权", exact=True).click()
        page.wait_for_url(f"**/seals/{seal.pk}/grants/")
        made = Grant.objects.get(members=member)
        assert made.contract_types == ["采购合同", "租赁合同"] and made.max_uses == 10
        row = page.locator(f'[data-grant="{made.pk}"]')
        assert row.get_attribute("data-state") == "active"
        assert "采购合同、租赁合同" in row.inner_text()
        both_sizes(page, screenshot, "seal-grants")

        row.get_by_test_id("revoke").click()
        page.wait_for_selector('[data-testid="revoke-form"]')
        both_sizes(page, screenshot, "grant-revoke-confirm")
        page.get_by_role("button", name="撤销授权").click()
        page.wait_for_url(f"**/seals/{seal.pk}/grants/")
        assert page.locator(f'[data-grant="{made.pk}"]').get_attribute("data-state") == "revoked"
        assert Grant.objects.get(pk=made.pk).revoked_by == keeper

        page.get_by_role("link", name="修改审批人").click()
        page.get_by_label("钱审批").check()
        page.get_by_label("王老板").check()
        page.get_by_label("全部审批人").check()
        both_sizes(page, screenshot, "seal-approvers")
        page.get_by_role("button", name="保存").click()
        page.wait_for_url(f"**/seals/{seal.pk}/grants/")
        rule = ApprovalRule.objects.get(seal=seal)
        assert rule.mode == "all" and set(rule.approvers.all()) == {approver, owner}
        assert "钱审批" in page.get_by_test_id("approval-rule").inner_text()
    finally:
        page.context.close()

    granting.grant(seal, by=keeper, members=[member], contract_types=["采购合同"], max_uses=5)
    page = open_as(browser, live_server, member, company)
    try:
        page.goto(f"{page.base_url}/seals/{seal.pk}/")
        mine = page.get_by_test_id("my-grant").inner_text()
        assert "已授权给您" in mine and "采购合同" in mine and "剩余 5 次" in mine
        page.get_by_test_id("seal-grants").scroll_into_view_if_needed()
        both_sizes(page, screenshot, "seal-detail-grants")
        page.goto(f"{page.base_url}/seals/{seal.pk}/grants/")
        assert page.get_by_test_id("grant-new").count() == 0
        assert page.get_by_test_id("revoke").count() == 0
        both_sizes(page, screenshot, "seal-grants-member")
    finally:
        page.context.close()

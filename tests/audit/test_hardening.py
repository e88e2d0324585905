"""Audit rows survive their actor's deletion unchanged; logouts and admin logins are recorded;
``record`` puts events in the company it is told; code rows cannot be deleted by operators;
oversized ids in URLs are 404, never 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from chop.accounts.models import OneTimeCode, User
from chop.audit.events import record
from chop.audit.models import AuditEvent
from chop.orgs.models import Role

pytestmark = pytest.mark.django_db

PASSWORD = "Seal-stamp-2026"


def test_deleting_a_user_leaves_their_audit_rows_unchanged(make_user):
    user = make_user("王五", login="13700137000")
    event = record("account.registered", actor=user, company=None)
    pk = user.pk
    with connection.cursor() as cur:
        cur.execute("SELECT actor_id, actor_label FROM audit_auditevent WHERE id = %s", [event.pk])
        before = cur.fetchone()
    user.delete()
    with connection.cursor() as cur:
        cur.execute("SELECT actor_id, actor_label FROM audit_auditevent WHERE id = %s", [event.pk])
        after = cur.fetchone()
    assert before == after == (pk, "王五")
    row = AuditEvent.objects.get(pk=event.pk)
    assert row.actor_id == pk and row.actor_label == "王五"
    # The admin's list and detail still render (they show the label).
    admin = User.objects.create_superuser("ops@chop.test", PASSWORD)
    from django.test import Client

    c = Client()
    c.force_login(admin)
    assert c.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert c.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code == 200


def test_record_company_default_and_explicit_none(team):
    request = RequestFactory().get("/")
    request.user = team["users"][Role.OWNER]
    request.company = team["company"]
    assert record("member.invited", request=request).company == team["company"]
    assert record("account.logout", request=request, company=None).company is None


def test_logout_and_admin_login_are_recorded(client, make_user):
    admin = User.objects.create_superuser("ops@chop.test", PASSWORD)
    resp = client.post(reverse("admin:login"), {"username": "ops@chop.test", "password": PASSWORD})
    assert resp.status_code == 302
    login_event = AuditEvent.objects.get(action="account.login")
    assert login_event.actor == admin and login_event.data == {"method": "admin"}
    client.post(reverse("accounts:logout"))
    logout_event = AuditEvent.objects.get(action="account.logout")
    assert logout_event.actor == admin and logout_event.company is None


def test_operators_cannot_delete_one_time_codes(client):
    from chop.accounts import otp

    otp.issue_code("13800138000", "login")
    code = OneTimeCode.objects.get()
    admin = User.objects.create_superuser("ops@chop.test", PASSWORD)
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_onetimecode_delete", args=[code.pk])).status_code in (
        403,
        302,
    )
    resp = client.post(
        reverse("admin:accounts_onetimecode_changelist"),
        {"action": "delete_selected", "_selected_action": [code.pk], "post": "yes"},
    )
    assert resp.status_code in (200, 302)
    assert OneTimeCode.objects.filter(pk=code.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/seals/99999999999999999999/",
        "/seals/9223372036854775808/",
        "/seals/0/",
        "/companies/99999999999999999999/",
        "/companies/99999999999999999999/members/1/role/",
        "/invitations/99999999999999999999/accept/",
        "/verify/company/99999999999999999999/deposit/",
        "/operator/company/99999999999999999999/",
        "/operator/person/99999999999999999999/file/id_front/",
    ],
)
def test_oversized_ids_are_404_not_500(path, make_user):
    from django.test import Client

    staff = User.objects.create_user("ops2@chop.test", PASSWORD, is_staff=True)
    c = Client(raise_request_exception=False)
    c.force_login(staff)
    for method in ("get", "post"):
        assert getattr(c, method)(path).status_code == 404, (method, path)


def test_largest_id_still_resolves():
    from django.urls import resolve

    assert resolve("/seals/9223372036854775807/").kwargs == {"pk": 2**63 - 1}
    assert reverse("seal_detail", args=[2**63 - 1]) == "/seals/9223372036854775807/"

"""Account events stay apart from the stamping records, and opening a company ("space switched")
floods neither list: it is still recorded (the security trail) but not listed or counted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chop.audit.events import record
from chop.audit.models import AuditEvent
from chop.orgs.models import Role

pytestmark = pytest.mark.django_db


def test_space_switches_are_recorded_but_not_listed_or_counted(team, login, make_company):
    owner = team["users"][Role.OWNER]
    company = team["company"]
    record("company.created", company=company, actor=owner)
    c = login(owner, None)
    for _ in range(3):  # open the company, leave it, open it again...
        c.post(reverse("switch_space"), {"space": str(company.pk)})
        c.post(reverse("switch_space"), {"space": "personal"})
    c.post(reverse("switch_space"), {"space": str(company.pk)})
    assert AuditEvent.objects.filter(action="space.switched", company=company).count() == 7
    resp = c.get(reverse("records"), HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    listed = [e.action for e in resp.context["page"].object_list]
    assert "company.created" in listed and "space.switched" not in listed
    assert "space.switched" not in [a for a, _l in resp.context["actions"]]
    assert "Space switched" not in resp.content.decode()
    # even asked for by name
    only = c.get(reverse("records"), {"action": "space.switched"})
    assert list(only.context["page"].object_list) == []
    # the workbench's "events in the last 7 days" does not count them either
    work = c.get(reverse("workbench"))
    assert (
        work.context["events_this_week"]
        == AuditEvent.objects.filter(company=company).exclude(action="space.switched").count()
    )


def test_the_two_pages_are_tabs_of_each_other(team, login):
    c = login(team["users"][Role.OWNER], team["company"])
    events = c.get(reverse("records"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    stamps = c.get(reverse("stamp_records"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for html in (events, stamps):
        assert 'data-testid="tab-stamps"' in html and 'data-testid="tab-events"' in html
    assert "<h1>Account events</h1>" in events and "<h1>Stamping records</h1>" in stamps
    # the main menu's Records leads to the stamping records
    assert f'href="{reverse("stamp_records")}" aria-current="page"' in stamps


def test_a_keeper_sees_stamps_but_not_the_account_events_tab(team, login):
    c = login(team["users"][Role.SEAL_KEEPER], team["company"])
    html = c.get(reverse("stamp_records")).content.decode()
    assert 'data-testid="tab-stamps"' in html and 'data-testid="tab-events"' not in html
    assert c.get(reverse("records")).status_code == 403

"""Every id an input names in aria-describedby exists on its page (issue 9 §8, accessibility).

Django adds ``aria-describedby="<id>_helptext <id>_error"`` to inputs with help text or errors;
a screen reader reads nothing when those ids are missing. Each form page is checked as it
first appears and after a submit with errors."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.conftest import log_in


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.described: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for ref in (a.get("aria-describedby") or "").split():
            self.described.append((a.get("name") or tag, ref))


def missing_ids(html: str) -> list[tuple[str, str]]:
    parser = _Ids()
    parser.feed(html)
    return [(name, ref) for name, ref in parser.described if ref not in parser.ids]


def pages(client, applicant, company, operator):
    """(label, response) for every form page, clean and with errors."""
    yield "login", client.get(reverse("accounts:login"))
    yield "login-error", client.post(reverse("accounts:login"), {"method": "password"})
    yield "register", client.get(reverse("accounts:register"))
    yield "register-error", client.post(reverse("accounts:register"), {"login": "13900000099"})
    yield "reset", client.get(reverse("accounts:reset"))
    yield "reset-error", client.post(reverse("accounts:reset"), {"login": "13900000011"})
    log_in(client, applicant, company)
    yield "company-create", client.get(reverse("company_create"))
    yield "company-create-error", client.post(reverse("company_create"), {"name": ""})
    members = reverse("company_members", args=[company.pk])
    yield "members", client.get(members)
    yield "members-error", client.post(members, {"target": "x", "role": "member"})
    yield "person", client.get(reverse("verification:person"))
    yield "person-error", client.post(reverse("verification:person"), {"name": "x"})
    yield "company", client.get(reverse("verification:company"))
    yield "company-error", client.post(reverse("verification:company"), {"uscc": "1"})
    log_in(client, operator)
    yield "queue", client.get(reverse("verification:queue"))


@pytest.mark.django_db
def test_every_aria_describedby_names_an_existing_id(client, applicant, company, operator):
    checked = 0
    for label, response in pages(client, applicant, company, operator):
        assert response.status_code == 200, label
        html = response.content.decode()
        assert missing_ids(html) == [], label
        checked += html.count("aria-describedby")
    assert checked >= 10  # the pages really have described inputs

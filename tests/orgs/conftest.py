"""Fixtures for company spaces: people, companies with members, and a logged-in client."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from chop.accounts.models import User
from chop.orgs.access import SESSION_KEY
from chop.orgs.models import Company, Membership, Role

_phones = itertools.count(13900000001)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 is deliberately slow; these tests create many users and never test hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    def make(name: str = "用户", login: str | None = None, **extra) -> User:
        return User.objects.create_user(
            login or str(next(_phones)), "secret-pass-123", name=name, **extra
        )

    return make


@pytest.fixture
def make_company(db, make_user):
    """``make_company(name, owner, **{role: user})``: a company with an owner and members."""

    def make(
        name: str = "示例公司", owner: User | None = None, members: dict | None = None
    ) -> Company:
        owner = owner or make_user("老板")
        company = Company.objects.create(name=name, created_by=owner)
        Membership.objects.create(company=company, user=owner, role=Role.OWNER)
        for user, role in (members or {}).items():
            Membership.objects.create(company=company, user=user, role=role)
        return company

    return make


@pytest.fixture
def login(db):
    """``login(user, company=None)``: a client signed in as ``user``, ``company`` the active space."""

    def make(user: User, company: Company | None = None) -> Client:
        c = Client()
        c.force_login(user)
        if company is not None:
            session = c.session
            session[SESSION_KEY] = company.pk
            session.save()
        return c

    return make


@pytest.fixture
def team(make_user, make_company):
    """One company with a person in every role, keyed by role value, plus ``company``."""
    people = {role: make_user(f"{role}-person") for role in Role.values if role != Role.OWNER}
    owner = make_user("owner-person")
    company = make_company("团队公司", owner=owner, members={u: r for r, u in people.items()})
    people[Role.OWNER] = owner
    ms = {r: Membership.objects.get(company=company, user=u) for r, u in people.items()}
    return {"company": company, "users": people, "m": ms}

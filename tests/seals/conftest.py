"""Fixtures for the seal studio: a verified company with its generated official seal."""

from __future__ import annotations

import itertools

import pytest

from tests.identity.test_identity_uscc import make_uscc

_bodies = itertools.count(1)


def next_uscc() -> str:
    """A valid, unused USCC (both check characters right): companies' USCCs are unique."""
    return make_uscc("91310115", f"MA{next(_bodies):06d}")


@pytest.fixture
def verified_company(make_company, make_user):
    """``verified_company(name=…, owner=…, members=…)``: a company marked verified, with its
    company certificate and generated official seal (as approval leaves it)."""
    from chop.orgs.models import Company
    from chop.seals.issuance import ensure_official_seal

    def make(name: str = "上海示例科技有限公司", owner=None, members=None, uscc=None):
        company = make_company(name, owner=owner, members=members)
        Company.objects.filter(pk=company.pk).update(status="verified", uscc=uscc or next_uscc())
        company.refresh_from_db()
        ensure_official_seal(company, by=owner)
        return company

    return make

"""Styled, translated 400/403/404/500 and CSRF pages with a way back (issue 8, item 9)."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import Client
from django.utils import translation


def _page(response) -> str:
    body = response.content.decode()
    assert 'class="card error-card"' in body and "chop/chop.css" in body
    return body


@pytest.mark.django_db
def test_404_is_styled_in_chinese_with_a_way_back(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = _page(response)
    assert "找不到这个页面" in body and 'href="/accounts/login/"' in body and "登录" in body
    assert '<html lang="zh-hans">' in body


@pytest.mark.django_db
def test_404_in_english_on_request(client, make_user):
    client.force_login(make_user())
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    body = _page(response)
    assert "This page does not exist" in body and "Back to the workbench" in body
    assert '<html lang="en">' in body


@pytest.mark.django_db
def test_400_for_a_bad_host(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "无法处理这个请求" in _page(response)
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en")
    assert "The request could not be understood" in _page(response)


@pytest.mark.django_db
def test_403_is_styled(make_user, make_company, login):
    """A member without the seal keeper's role asks for a seal's full-resolution file."""
    from django.core.files.base import ContentFile

    from chop.orgs.models import Role
    from chop.seals.models import Seal

    from ..verification.conftest import png_bytes

    member = make_user("成员")
    company = make_company(members={member: Role.MEMBER})
    seal = Seal.objects.create(company=company, kind=Seal.Kind.CONTRACT, name="合同专用章")
    seal.image.save("s.png", ContentFile(png_bytes(600, 600)))
    c = login(member, company)
    response = c.get(f"/seals/{seal.pk}/image.png?download=1")
    assert response.status_code == 403
    assert "您没有访问此页面的权限" in _page(response)
    response = c.get(f"/seals/{seal.pk}/image.png?download=1", HTTP_ACCEPT_LANGUAGE="en")
    assert "You do not have access to this page" in _page(response)


@pytest.mark.django_db
def test_csrf_failure_is_styled(make_user):
    c = Client(enforce_csrf_checks=True)
    response = c.post("/accounts/login/", {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    assert "表单未能提交" in _page(response)
    response = c.post("/accounts/login/", {"login": "a"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "The form could not be sent" in _page(response)


@pytest.mark.django_db
def test_500_is_styled(settings):
    settings.ROOT_URLCONF = "tests.security.urls_boom"
    c = Client(raise_request_exception=False)
    response = c.get("/boom/")
    assert response.status_code == 500
    assert "系统出了点问题" in _page(response)
    response = c.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Something went wrong on our side" in _page(response)


def test_500_renders_without_request_or_database():
    """No ``django_db`` mark here: any query while rendering would raise."""
    template = loader.get_template("500.html")
    for lang, text in (("zh-hans", "系统出了点问题"), ("en", "Something went wrong")):
        with translation.override(lang):
            html = template.render()
        assert text in html and 'href="/"' in html and 'href="/accounts/login/"' in html

"""The public verification page (验签, ``/verify-pdf/``): any PDF, no login, nothing kept.

Each kind of file a visitor may bring is checked for what the page says about it, and the rules
around it: the same upload limits as contracts, per-address limits (429 with Retry-After), only
the SHA-256 left behind, and a contract's evidence shown only to the holder of its code."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chop.accounts.models import RateCounter
from chop.evidence.models import VerificationCode
from tests.contracts.signing_support import signing_world, upload  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401
from tests.support.pdfsign_testing import make_pdf

from . import verify_support as vs

pytestmark = pytest.mark.django_db

URL = "/verify-pdf/"


def post(client: Client, data: bytes, name: str = "file.pdf", **extra):
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return client.post(URL, {"file": upload, **extra}, HTTP_ACCEPT_LANGUAGE="zh-hans")


def text(resp) -> str:
    return resp.content.decode()


@pytest.fixture
def signed(request, tmp_path):
    """A contract signed by both its parties on Chop, and the bytes of its final version.
    (``signing_world`` is imported from the contracts tests, so it is asked for by name.)"""
    contract, path = vs.chop_signed(request.getfixturevalue("signing_world"), tmp_path)
    return contract, path.read_bytes()


def test_the_page_opens_without_login_in_both_languages():
    resp = Client().get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 200
    assert "验签" in text(resp) or "验证" in text(resp)
    assert 'name="csrfmiddlewaretoken"' in text(resp) and 'enctype="multipart/form-data"' in text(
        resp
    )
    en = Client().get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert "Verify a signed PDF" in text(en)
    # every page's footer leads here, the login page included
    login = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert f'href="{URL}" data-testid="footer-verify">验签</a>' in text(login)


def test_a_chop_signed_contract_is_valid_and_trusted_with_its_provenance(signed):
    contract, data = signed
    seal_a = contract.company.seals.filter(kind="official").first()
    resp = post(Client(enforce_csrf_checks=False), data)
    assert resp.status_code == 200, text(resp)
    body = text(resp)
    assert 'data-verdict="valid"' in body
    assert body.count('data-testid="verify-signature"') == 2
    assert body.count('data-ok="1" data-trusted="1"') == 2
    assert body.count('data-testid="sig-provenance"') == 2
    assert seal_a.code in body  # the seal signed into the first signature
    assert "甲方科技有限公司" in body and "乙方贸易有限公司" in body  # certificate subjects
    assert "B-T" in body  # the platform signs at PAdES B-T
    assert body.count("可追溯到 Chop 根证书") == 2 and "无法追溯" not in body
    assert hashlib.sha256(data).hexdigest() in body
    # a file of a contract on Chop: its version number, never its title or parties' roles
    assert 'data-testid="verify-known"' in body
    assert contract.current_version().number == 3
    assert "此文件是 Chop 上某份合同的第 3 版" in body
    assert contract.title not in body and contract.number not in body


def test_a_pdf_signed_elsewhere_is_valid_but_not_trusted_and_has_no_provenance():
    resp = post(Client(), vs.foreign_signed())
    body = text(resp)
    assert resp.status_code == 200, body
    assert 'data-verdict="valid-untrusted"' in body
    assert 'data-ok="1" data-trusted="0"' in body
    assert "Elsewhere Signer" in body and "Elsewhere Trading Ltd" in body
    assert 'data-testid="sig-no-provenance"' in body and 'data-testid="sig-provenance"' not in body
    assert "无法追溯到 Chop 根证书" in body  # a self-made certificate, whatever pyHanko calls it
    assert 'data-testid="verify-known"' not in body


def test_a_tampered_copy_is_called_out(signed):
    _contract, data = signed
    bad = vs.tampered(data)
    assert bad != data and len(bad) == len(data)
    resp = post(Client(), bad)
    body = text(resp)
    assert resp.status_code == 200, body
    assert 'data-verdict="invalid"' in body
    assert 'class="fail" data-testid="check-intact"' in body
    # the broken signature is what fails; nothing is claimed about its certificate's chain
    assert "追溯到 Chop 根证书" not in body.split('data-testid="verify-signature"')[1]
    assert "签名覆盖的字节" in body  # the problem, in words
    # a changed file is no longer the contract's version
    assert 'data-testid="verify-known"' not in body


def test_an_unsigned_pdf_says_so():
    resp = post(Client(), make_pdf(1))
    body = text(resp)
    assert resp.status_code == 200
    assert 'data-verdict="unsigned"' in body and 'data-testid="verify-unsigned"' in body


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (vs.encrypted, "加密"),
        (lambda: b"this is not a pdf at all" * 10, "不是 PDF"),
        (vs.html_polyglot, "不是 PDF"),
        (vs.with_javascript, "自动执行"),
        (lambda: b"%PDF-1.7\n" + b"\x00garbage" * 50, "无法读取"),
    ],
    ids=["encrypted", "garbage", "html-polyglot", "javascript", "broken-pdf"],
)
def test_files_that_cannot_be_checked_are_refused_clearly_and_nothing_is_kept(
    make, words, settings
):
    before = set(Path(tempfile.gettempdir()).glob("chop-verify-*"))
    resp = post(Client(), make())
    body = text(resp)
    assert resp.status_code == 400
    assert 'data-testid="verify-error"' in body and words in body, body
    assert 'data-testid="verify-result"' not in body
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
    assert set(Path(tempfile.gettempdir()).glob("chop-verify-*")) == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(settings):
    settings.CHOP_CONTRACT_MAX_BYTES = 1024 * 1024  # the 50 MB rule, scaled down
    resp = post(Client(), make_pdf(1) + b"%" + b"x" * 1_300_000)
    assert resp.status_code == 400
    assert 'data-testid="verify-error"' in text(resp) and "上限为 1 MB" in text(resp)
    settings.CHOP_MAX_UPLOAD_BYTES = 100_000  # the request itself: 413 before any parsing
    resp = post(Client(), make_pdf(1) + b"%" + b"x" * 150_000)
    assert resp.status_code == 413


def test_the_file_is_not_kept_only_its_sha256_is_logged(signed, settings):
    _contract, data = signed
    media = Path(settings.MEDIA_ROOT)
    kept_before = sorted(p for p in media.rglob("*") if p.is_file())
    tmp = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    before = set(tmp.glob("chop-verify-*")) | set(tmp.glob("*.upload*"))
    # a large file takes Django's temporary-file path, a small one the in-memory path
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    resp = post(Client(), data, name="秘密合同.pdf")
    assert resp.status_code == 200
    assert sorted(p for p in media.rglob("*") if p.is_file()) == kept_before
    assert set(tmp.glob("chop-verify-*")) | set(tmp.glob("*.upload*")) == before
    sha = hashlib.sha256(data).hexdigest()
    keys = list(
        RateCounter.objects.filter(key__startswith="verify-pdf:").values_list("key", flat=True)
    )
    assert f"verify-pdf:file:{sha}" in keys
    assert not any("秘密" in k for k in keys)
    assert [k for k in keys if k.startswith("verify-pdf:ip:")] == ["verify-pdf:ip:127.0.0.1"]


def test_too_many_checks_from_one_address_get_429_with_retry_after(settings):
    settings.CHOP_VERIFY_PDF_PER_IP = 2
    client = Client()
    assert post(client, make_pdf(1)).status_code == 200
    assert post(client, make_pdf(1)).status_code == 200
    resp = post(client, make_pdf(1))
    assert resp.status_code == 429
    assert int(resp["Retry-After"]) >= 1
    assert "检查次数过多" in text(resp)
    en = Client().post(
        URL,
        {"file": SimpleUploadedFile("a.pdf", make_pdf(1))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert en.status_code == 429 and "Too many checks from your network" in text(en)
    # another address still gets through
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert post(other, make_pdf(1)).status_code == 200


def test_the_right_code_opens_the_evidence_and_a_wrong_one_does_not(signed):
    contract, data = signed
    code = VerificationCode.for_contract(contract).code
    sha = hashlib.sha256(data).hexdigest()
    client = Client()
    first = text(post(client, data))
    assert 'data-testid="code-form"' in first and 'data-testid="evidence-link"' not in first
    assert f'value="{sha}"' in first
    wrong = client.post(URL, {"action": "code", "sha256": sha, "code": "ABCDEFGHJKLM"})
    assert wrong.status_code == 400 and 'data-testid="code-wrong"' in text(wrong)
    assert "/evidence/ABCDEFGHJKLM/" not in text(wrong)
    right = client.post(URL, {"action": "code", "sha256": sha, "code": code.lower()})
    assert right.status_code == 200
    assert f'href="/evidence/{code}/"' in text(right)
    assert contract.title not in text(right)
    # the code of another contract does not open this one
    other = upload(contract.company, contract.created_by, title="另一份合同")
    other_code = VerificationCode.for_contract(other).code
    resp = client.post(URL, {"action": "code", "sha256": sha, "code": other_code})
    assert resp.status_code == 400 and f"/evidence/{other_code}/" not in text(resp)


def test_a_code_link_names_the_contract_and_the_upload_carries_it(signed):
    contract, data = signed
    code = VerificationCode.for_contract(contract).code
    client = Client()
    page = client.get(f"{URL}?code={code}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert 'data-testid="code-contract"' in text(page) and contract.title in text(page)
    assert f'name="code" value="{code}"' in text(page)
    # the upload made from that page comes back with the way to the evidence at once
    resp = post(client, data, code=code)
    assert resp.status_code == 200 and f'href="/evidence/{code}/"' in text(resp)
    # an unknown code names nothing
    unknown = client.get(f"{URL}?code=ZZZZZZZZZZZZ")
    assert 'data-testid="code-unknown"' in text(unknown) and contract.title not in text(unknown)
    # with a code of another contract, the file is still only "a contract's version"
    VerificationCode.objects.filter(contract=contract).delete()
    resp = post(client, data, code=code)
    assert 'data-testid="code-wrong"' in text(resp) and "/evidence/" not in text(resp)


def test_a_form_without_a_file_or_a_code_says_what_is_missing(signed):
    resp = Client().post(URL, {}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 400 and "请选择要核验的 PDF" in text(resp)
    sha = hashlib.sha256(signed[1]).hexdigest()
    resp = Client().post(URL, {"action": "code", "sha256": sha, "code": ""})
    assert resp.status_code == 400 and "请输入合同验证码" in text(resp)
    assert 'data-testid="code-form"' in text(resp)


def test_a_post_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    resp = client.post(URL, {"file": SimpleUploadedFile("a.pdf", make_pdf(1))})
    assert resp.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_checks_racing_from_one_address_are_counted_exactly(settings):
    """Six uploads at once against a limit of three: the database counter lets exactly three
    through on either backend, never more because they arrived together."""
    from tests.concurrency import at_once, errors

    settings.CHOP_VERIFY_PDF_PER_IP = 3
    data = make_pdf(1)

    def check(_i: int) -> int:
        return post(Client(), data).status_code

    results = at_once(6, check)
    assert not errors(results), errors(results)
    assert sorted(results) == [200, 200, 200, 429, 429, 429]
    counter = RateCounter.objects.get(key="verify-pdf:ip:127.0.0.1")
    assert counter.count == 6

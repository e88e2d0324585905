"""The contracts catalogue (src/chop/contracts/locale, zh_Hans) is complete and compiled, and the
pages speak Chinese by default."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

import chop.contracts
from tests.orgs.test_i18n import assert_catalogue_complete

# msgctxts: "Pages" and the party kinds ("Company", "Person") have other meanings in the project;
# so do "Decline" and "Reason" (a contract's, not an invitation's) and the list's "Pages"
CONTEXTS = (
    "contract document",
    "contract party kind",
    "contract",
    "pagination",
    "contract state",
    "party state",
    "version reason",
    "contract fields",
    "authorisation kind",
    "provenance",
)
LOCALE = Path(chop.contracts.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_contracts_string_is_translated_and_compiled(monkeypatch):
    assert_catalogue_complete(LOCALE, CONTEXTS, at_least=50, monkeypatch=monkeypatch)


@pytest.mark.django_db
def test_the_upload_page_is_chinese_by_default(acme, login):
    body = login(acme["member"], acme["company"]).get(reverse("contract_new")).content.decode()
    assert "上传合同" in body and "合同名称" in body
    body = login(acme["member"], acme["company"]).get(reverse("contracts")).content.decode()
    assert "上传一份合同开始签署" in body


def test_state_words_are_the_contracts_own_in_chinese():
    """The seals app's catalogue comes first and says 已吊销 for "Revoked"; a contract is
    withdrawn (已撤回) and a declined contract is 已拒签, not the project's 已拒绝."""
    from django.utils import translation

    from chop.contracts.models import Contract, DocumentVersion, Participant

    with translation.override("zh-hans"):
        assert str(Contract.State.REVOKED.label) == "已撤回"
        assert str(Contract.State.DECLINED.label) == "已拒签"
        assert str(Participant.State.DECLINED.label) == "已拒签"
        assert str(DocumentVersion.Reason.UPLOADED.label) == "上传"
    with translation.override("en"):
        assert str(Contract.State.REVOKED.label) == "Revoked"

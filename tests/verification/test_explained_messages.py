"""Engine answers reach people through ``chop.explain``: one catalogue, the reader's language."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from chop.sealtext import clean_seal_text
from chop.verification.forms import clean_id_number


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "手机号码应为 11 位，当前为 3 位。"),
        ("en", "A mobile number has 11 digits, this one has 3."),
    ],
)
def test_the_phone_code_button_explains_a_bad_number(client, applicant, language, expected):
    client.force_login(applicant)
    response = client.post(
        reverse("verification:send_phone_code"), {"phone": "138"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_form_errors_for_identifiers_come_from_the_catalogue():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        clean_id_number("110105194912310021")
    assert info.value.messages == ["校验码错误：最后一位应为 X，请检查是否输错。"]
    with translation.override("en"), pytest.raises(ValidationError) as info:
        clean_id_number("110105194912310021")
    assert info.value.messages == [
        "Check character mismatch: the last character should be X; check for a typo."
    ]


def test_seal_text_problems_come_from_the_catalogue():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        clean_seal_text("official", "示例\U0001f600公司")
    assert info.value.messages == ["印章字体无法显示这些字符：\U0001f600，请删除。"]
    assert info.value.code == "seal_glyph"

"""One normaliser per identifier: phones and e-mail addresses are parsed by ``chop.identity``, and
every caller (code targets, invitations, sign-in, verification) agrees with it.

Issue 9 §2: ``12012345678`` was accepted by invitations but could never register, and
``0086 138 0013 8000`` registered but could not be invited.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from chop.accounts.models import UserManager
from chop.accounts.targets import EMAIL, PHONE, parse_target
from chop.identity import validate_email, validate_mobile
from chop.orgs.models import Invitation
from chop.orgs.services import normalize_target

# (typed, normalised or None when every parser must refuse it)
PHONES = [
    ("13800138000", "13800138000"),
    ("12012345678", None),  # no mainland mobile starts with 12
    ("0086 138 0013 8000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("86 13800138000", "13800138000"),
    ("(+86)138.0013.8000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),  # full-width digits from a Chinese input method
    ("＋８６ １３８００１３８０００", "13800138000"),
    ("+1 415 555 0100", None),
    ("1380013800", None),
    ("138001380000", None),
    ("abc", None),
]

EMAILS = [
    ("li@example.com", "li@example.com"),
    ("  Li.Si@Example.COM ", "li.si@example.com"),
    ("LI＠EXAMPLE.COM", "li@example.com"),  # full-width at sign
    ("wang+chop@mail.example.cn", "wang+chop@mail.example.cn"),
    ("li@", None),
    ("@example.com", None),
    ("li@example", None),
    ("li@@example.com", None),
    ("li si@example.com", None),
    ("li@exa_mple.com", None),
]


@pytest.mark.parametrize(("typed", "expected"), PHONES)
def test_every_phone_parser_agrees(typed, expected):
    result = validate_mobile(typed)
    assert (result.normalized if result.valid else None) == expected
    if expected is None:
        with pytest.raises(ValidationError):
            parse_target(typed)
        with pytest.raises(ValidationError):
            normalize_target(typed)
        return
    assert (parse_target(typed).value, parse_target(typed).kind) == (expected, PHONE)
    assert normalize_target(typed) == (Invitation.Channel.SMS, expected)
    assert UserManager.normalize_login(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), EMAILS)
def test_every_email_parser_agrees(typed, expected):
    result = validate_email(typed)
    assert (result.normalized if result.valid else None) == expected
    if expected is None:
        with pytest.raises(ValidationError):
            parse_target(typed)
        with pytest.raises(ValidationError):
            normalize_target(typed)
        return
    assert (parse_target(typed).value, parse_target(typed).kind) == (expected, EMAIL)
    assert normalize_target(typed) == (Invitation.Channel.EMAIL, expected)
    # sign-in looks the account up by the same string the invitation and the account store
    assert UserManager.normalize_login(typed) == expected


@pytest.mark.django_db
def test_an_invitation_by_any_spelling_reaches_the_account(django_user_model):
    """Invitation matching compares normalised strings: the account registered with one spelling
    is the invitee of an invitation typed with another."""
    from chop.orgs.models import Company

    user = django_user_model.objects.create_user("0086 138 0013 8000", "pw-unused-123", name="Li")
    mailer = django_user_model.objects.create_user("Li.Si@Example.COM", "pw-unused-123", name="Si")
    assert (user.login, user.phone) == ("13800138000", "13800138000")
    assert (mailer.login, mailer.email) == ("li.si@example.com", "li.si@example.com")
    company = Company.objects.create(name="测试公司", created_by=user)
    for typed, person in (("+86 138-0013-8000", user), ("li.si@EXAMPLE.com", mailer)):
        channel, target = normalize_target(typed)
        invitation = Invitation.objects.create(
            company=company, channel=channel, target=target, role="member", invited_by=user
        )
        assert invitation.is_addressed_to(person)
        assert list(Invitation.open_for(person)) == [invitation]
        invitation.delete()

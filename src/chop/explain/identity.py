"""The identity engine's answers (``chop.identity``) in the reader's language.

Keys are ``"<subject>.<reason_code>"``: the same reason (``empty``, ``wrong_length``) means a
different sentence for an ID number, a credit code or a phone number. Parameters come from the
result's ``details`` (``length``, ``position``, ``character``, ``expected``), the deposit's
``attempts_left`` or the provider's own ``reason``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    # resident ID numbers (chop.identity.resident_id)
    "resident_id.ok": _("The ID number is well-formed."),
    "resident_id.empty": _("Enter an ID number."),
    "resident_id.legacy_15_digit": _(
        "15-digit first-generation ID numbers are no longer valid; enter the 18-character number."
    ),
    "resident_id.wrong_length": _("An ID number has 18 characters, this one has %(length)s."),
    "resident_id.illegal_character": _(
        "Character %(position)s of the ID number must be a digit (the last one may be X)."
    ),
    "resident_id.bad_area_code": _("The first two digits are not a province code."),
    "resident_id.bad_birth_date": _("Characters 7-14 are not a real date of birth."),
    "resident_id.birth_date_in_future": _("The date of birth is in the future."),
    "resident_id.birth_date_too_early": _("The date of birth is before 1900."),
    "resident_id.bad_check_digit": _(
        "Check character mismatch: the last character should be %(expected)s; check for a typo."
    ),
    # unified social credit codes (chop.identity.uscc)
    "uscc.ok": _("The credit code is well-formed."),
    "uscc.empty": _("Enter a credit code."),
    "uscc.wrong_length": _(
        "A unified social credit code has 18 characters, this one has %(length)s."
    ),
    "uscc.illegal_character": _("Character %(position)s “%(character)s” is not allowed."),
    "uscc.bad_authority": _("Character 1 is not a registration authority code."),
    "uscc.bad_category": _(
        "Character 2 is not an organisation category of the registration authority."
    ),
    "uscc.bad_division_code": _("Characters 3-8 are not an administrative division code."),
    "uscc.bad_org_code_check": _(
        "The organisation code (characters 9-17) fails its check: character 17 should be "
        "%(expected)s."
    ),
    "uscc.bad_check_digit": _(
        "Check character mismatch: the last character should be %(expected)s; check for a typo."
    ),
    # mobile numbers (chop.identity.phone)
    "phone.ok": _("The mobile number is well-formed."),
    "phone.empty": _("Enter a mobile number."),
    "phone.not_mainland": _("Only mainland China mobile numbers (+86) are supported."),
    "phone.illegal_character": _("A mobile number may contain only digits."),
    "phone.wrong_length": _("A mobile number has 11 digits, this one has %(length)s."),
    "phone.bad_prefix": _("A mobile number starts with 13 to 19."),
    # names sent to a provider (chop.identity.providers)
    "name.empty_name": _("Enter the name."),
    "name.name_too_long": _("The name is too long."),
    # micro-deposits (chop.identity.microdeposit)
    "deposit.ok": _("Amount correct: bank account verified."),
    "deposit.already_used": _("This check is already complete."),
    "deposit.expired": _("The micro-deposit has expired; start again."),
    "deposit.too_many_attempts": _("Too many wrong amounts; start a new micro-deposit."),
    "deposit.invalid_amount": _("Enter the amount received, e.g. 0.37 (less than ¥1)."),
    "deposit.wrong_amount": _("Wrong amount; %(attempts_left)s attempt(s) left."),
    # identity and registry providers
    "provider.verified": _("Verified by the provider."),
    "provider.refused": _("Not verified by the provider (%(reason)s)."),
    "provider.needs_review": _("The provider asks for a manual review (%(reason)s)."),
    "provider.operator_review": _("Submitted; a platform operator will check the documents."),
    "provider.error": _("The verification service failed (%(reason)s); try again later."),
    # payment providers (micro-deposit transfers)
    "transfer.sent": _("The micro-deposit has been sent."),
    "transfer.simulated": _("Simulated transfer: no money moved."),
    "transfer.refused": _("The bank refused the transfer (%(reason)s)."),
    "transfer.needs_review": _("Waiting for a platform operator to make the transfer."),
    "transfer.error": _("The payment service failed (%(reason)s); try again later."),
}

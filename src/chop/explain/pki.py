"""What the PKI's refusals (``chop.pki.errors``, namespace "pki") say to people.

Keyed by the stable codes the engine raises; ``tests/pki/test_errors.py`` checks that every code
raised anywhere in ``chop.pki`` has an entry here. Messages say what happened and what to do,
never key references, file paths or other internals that only the operator's log needs.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    # input
    "invalid": _("The certificate service could not accept this request."),
    "uscc_malformed": _(
        "A unified social credit code has 18 characters: digits and capital letters "
        "(without I, O, Z, S and V)."
    ),
    "uscc_check_failed": _(
        "This unified social credit code fails its check: please check it for typos."
    ),
    "name_empty": _("The name is empty."),
    "name_too_long": _("The name is longer than %(limit)s characters."),
    "id_number_empty": _("The ID number is empty."),
    "unknown_key_type": _("Unknown key type: choose one of %(expected)s."),
    "validity_not_positive": _("A certificate must be valid for at least one day."),
    "unknown_revocation_reason": _("Unknown revocation reason."),
    "root_not_revocable": _("The root certificate cannot be revoked."),
    "pkcs12_password_empty": _("Choose a password to protect the exported key."),
    "duplicate_serial": _(
        "The certificate could not be issued this time. Please try again; if it happens again, "
        "contact the platform operator."
    ),
    # certificates and keys
    "certificate_revoked": _("This certificate has been revoked and can no longer sign."),
    "certificate_expired": _(
        "This certificate expired on %(not_after)s and can no longer sign; a new one is needed."
    ),
    "ca_key_not_for_documents": _("The platform's CA keys sign certificates, not documents."),
    "ca_key_not_exportable": _("The platform's CA keys cannot be exported."),
    "key_not_exportable": _("This key is held in a hardware security module and cannot leave it."),
    # custody: the operator has to act
    "custody_failed": _("The signing key could not be used. Please contact the platform operator."),
    "custody_not_given": _(
        "The signing key is held in a key store the platform cannot reach now. "
        "Please contact the platform operator."
    ),
    "wrong_custody": _(
        "The signing key is held in a different key store. Please contact the platform operator."
    ),
    "key_missing": _("The signing key was not found. Please contact the platform operator."),
    "unsupported_key_algorithm": _(
        "The signing key uses an unsupported algorithm. Please contact the platform operator."
    ),
    "token_unavailable": _(
        "The hardware security module cannot be reached. Please contact the platform operator."
    ),
    "token_key_generation_failed": _(
        "The hardware security module could not create a key. Please contact the platform operator."
    ),
    "wrong_kek": _(
        "The platform's key-encryption key does not open the stored keys. "
        "Please contact the platform operator."
    ),
    "kek_empty": _("The platform's key-encryption key is empty. Please contact the operator."),
    "kek_file_empty": _(
        "The platform's key-encryption key file is empty. Please contact the operator."
    ),
    "kek_missing": _("The platform has no key-encryption key. Please contact the operator."),
    "envelope_malformed": _(
        "Stored encrypted data is unreadable. Please contact the platform operator."
    ),
    "envelope_unsupported": _(
        "Stored encrypted data is in an unsupported format. Please contact the platform operator."
    ),
    "envelope_purpose_mismatch": _(
        "Stored encrypted data belongs to something else. Please contact the platform operator."
    ),
    "envelope_corrupt": _(
        "Stored encrypted data is damaged. Please contact the platform operator."
    ),
}

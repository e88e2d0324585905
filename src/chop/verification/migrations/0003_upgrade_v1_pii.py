"""Convert personal data encrypted in the first format ("v1:") to chop.pki.envelope's format.

Commit db32dc4 switched ``pii.seal`` from its own scheme to the custody envelope (and widened the
columns in 0002) but left the stored values as they were, so a database seeded before it raised
CustodyError on every ID number after ``migrate``. This migration re-seals each old value. The
old scheme is re-implemented here, frozen, because ``pii`` no longer knows it:

    v1 value = "v1:" + base64(nonce(12) || AES-256-GCM ciphertext+tag)
    key      = HKDF-SHA256(CHOP_KEK bytes, salt=None, info=b"chop-pii/enc"), AAD b"chop-pii-v1"

Idempotent: only values starting with "v1:" are touched (envelopes are JSON and start with "{"),
so running it on a new or already converted database changes nothing. The look-up hashes do not
change (db32dc4 kept the match key). It needs the ``CHOP_KEK`` the old values were sealed with; a
wrong one stops the migration (and its transaction) with the row named.
"""

import base64

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import migrations

OLD_PREFIX = "v1:"
FIELDS = {
    "PersonVerification": ["id_number_sealed"],
    "CompanyVerification": ["legal_rep_id_sealed", "bank_account_sealed", "deposit_sealed"],
}


def _old_key(secret) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"chop-pii/enc").derive(raw)


def open_v1(secret, token: str) -> bytes:
    raw = base64.b64decode(token[len(OLD_PREFIX) :])
    return AESGCM(_old_key(secret)).decrypt(raw[:12], raw[12:], b"chop-pii-v1")


def forwards(apps, schema_editor):
    from chop.pki.envelope import derive_kek, encrypt

    secret = settings.CHOP_KEK
    kek = derive_kek(secret)
    for model_name, fields in FIELDS.items():
        model = apps.get_model("verification", model_name)
        for row in model.objects.only("pk", *fields).order_by("pk").iterator(chunk_size=500):
            changed = []
            for field in fields:
                value = getattr(row, field) or ""
                if not value.startswith(OLD_PREFIX):
                    continue
                try:
                    plain = open_v1(secret, value)
                except (InvalidTag, ValueError) as exc:
                    raise RuntimeError(
                        f"{model_name} {row.pk}: {field} cannot be opened with this CHOP_KEK; "
                        "run the migration with the key the data was sealed with"
                    ) from exc
                setattr(row, field, encrypt(kek, plain, purpose="pii").decode("ascii"))
                changed.append(field)
            if changed:
                row.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0002_sealed_envelopes"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]

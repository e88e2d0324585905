"""``chop rotate_kek``: move everything encrypted under ``CHOP_KEK`` to a new key-encryption key.

``python -m chop.pki rotate-kek`` re-wraps the CA's keys only; the personal data in the database
(ID numbers, bank accounts, deposit challenges, the look-up hash key) is encrypted under the same
KEK and would become unreadable. This command does both. The new KEK is read from a file
(``--new-kek-file``) or an environment variable (``--new-kek-env``, default ``CHOP_NEW_KEK``),
never from the command line, where it would land in shell history and process listings.

Order, and what a crash leaves behind (stop the web server and the task worker first, so nothing
encrypts new data under the old KEK meanwhile):

1. Check that the current ``CHOP_KEK`` opens the CA (unless the CA is already under the new KEK)
   and that the new KEK differs: nothing has been touched if this fails.
2. One database transaction re-encrypts every personal-data value and the stored match key under
   the new KEK. A crash here rolls back: everything is still under the old KEK.
3. The CA's key envelopes (in the database, ``chop.pkistate``) are re-wrapped with its
   configuration's check value in one transaction (``PlatformCA.rotate_kek``).

Every step skips what is already under the new KEK (envelopes carry a non-secret check value), so
after a crash at any point, run the same command again with the same old ``CHOP_KEK`` and new KEK:
it finishes the job. Only when it reports success, switch ``CHOP_KEK`` to the new value and start
the platform again.

The look-up hashes do not change: their key is stored encrypted, not derived from the KEK (see
``chop.verification.pii``), so hashes in cases and in the append-only evidence keep matching. The
command still recomputes each hash from the decrypted value and repairs any that disagree.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from chop.pki.custody import CustodyError
from chop.pki.envelope import decrypt as envelope_decrypt
from chop.pki.envelope import derive_kek, kek_check_value, kek_from_env_or_file
from chop.pki.envelope import encrypt as envelope_encrypt
from chop.verification import pii
from chop.verification.models import CompanyVerification, PersonVerification, StoredKey

# Encrypted column -> the hash column kept beside it (None: no look-up hash).
ENCRYPTED = {
    PersonVerification: {"id_number_encrypted": "id_number_hash"},
    CompanyVerification: {
        "legal_rep_id_encrypted": "legal_rep_id_hash",
        "bank_account_encrypted": None,
        "deposit_encrypted": None,
    },
}


class Command(BaseCommand):
    help = "Re-encrypt personal data and re-wrap the CA's keys under a new key-encryption key."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--new-kek-file", help="file holding the new key-encryption key")
        parser.add_argument(
            "--new-kek-env",
            default="CHOP_NEW_KEK",
            help="environment variable holding the new key-encryption key (default CHOP_NEW_KEK)",
        )

    def handle(self, *args, new_kek_file: str | None, new_kek_env: str, **options) -> None:
        old_secret = settings.CHOP_KEK
        new_secret = self._new_secret(new_kek_file, new_kek_env)
        old, new = derive_kek(old_secret), derive_kek(new_secret)
        if old == new:
            raise CommandError("the new key-encryption key is the current CHOP_KEK")
        ca = self._open_ca(old_secret, new)  # step 1: fails before anything changed
        try:
            counts = self._reencrypt_database(old_secret, old, new)  # step 2
        except CustodyError as exc:
            raise CommandError(f"nothing was changed in the database: {exc}") from exc
        rewrapped = ca.rotate_kek(new_secret) if ca is not None else 0  # step 3
        pii.clear_caches()
        self.stdout.write(
            f"Re-encrypted {counts['reencrypted']} personal-data values and {counts['keys']} stored "
            f"keys ({counts['skipped']} already under the new KEK); repaired "
            f"{counts['hashes_repaired']} look-up hashes; re-wrapped {rewrapped} CA key "
            f"envelopes.\nNow set CHOP_KEK to the new key (a local install without CHOP_KEK reads "
            f"{settings.VAR_DIR / 'kek'}) and restart the platform."
        )

    @staticmethod
    def _new_secret(path: str | None, env_name: str) -> bytes:
        if path:
            try:
                return kek_from_env_or_file(Path(path))
            except (OSError, CustodyError) as exc:
                raise CommandError(f"cannot read the new key-encryption key: {exc}") from exc
        value = os.environ.get(env_name, "")
        if not value:
            raise CommandError(f"no new key-encryption key: set {env_name} or pass --new-kek-file")
        return value.encode("utf-8")

    @staticmethod
    def _open_ca(old_secret, new: bytes):
        """The CA opened with the old KEK, or ``None`` when there is no CA or it is already under
        the new KEK (a rotation that got that far before)."""
        from chop.pki import PlatformCA
        from chop.pkistate.store import DatabaseCAStore, import_file_ca

        # A CA directory not yet moved into the database is moved now, so it is rotated too.
        import_file_ca(settings.CHOP_PKI_DIR)
        store = DatabaseCAStore()
        if not store.exists():
            return None
        if store.read_config().get("kek_check") == kek_check_value(new):
            return None
        try:
            return PlatformCA.load(store, old_secret)
        except CustodyError as exc:
            raise CommandError(f"nothing was changed: {exc}") from exc

    @staticmethod
    @transaction.atomic
    def _reencrypt_database(old_secret, old: bytes, new: bytes) -> dict[str, int]:
        counts = {"reencrypted": 0, "skipped": 0, "keys": 0, "hashes_repaired": 0}
        # The match key first: created from the old KEK if this database never had one (so the
        # hashes already stored stay valid), then read under whichever KEK it is encrypted with.
        row = StoredKey.objects.select_for_update().filter(name=pii.MATCH_KEY_NAME).first()
        if row is None:
            pii.load_match_key(old_secret)
        keys: dict[str, bytes] = {}
        for row in StoredKey.objects.select_for_update().order_by("pk"):
            purpose = f"secret:{row.name}"
            if pii.encrypted_under(row.encrypted, new):
                keys[row.name] = envelope_decrypt(new, row.encrypted.encode(), purpose=purpose)
                counts["skipped"] += 1
                continue
            keys[row.name] = envelope_decrypt(old, row.encrypted.encode(), purpose=purpose)
            row.encrypted = envelope_encrypt(new, keys[row.name], purpose=purpose).decode("ascii")
            row.save(update_fields=["encrypted"])
            counts["keys"] += 1
        match_key = keys[pii.MATCH_KEY_NAME]

        for model, columns in ENCRYPTED.items():
            fields = [*columns, *(h for h in columns.values() if h)]
            rows = model.objects.select_for_update().only("pk", *fields).order_by("pk")
            for obj in rows.iterator(chunk_size=500):
                changed = []
                for column, hash_column in columns.items():
                    token = getattr(obj, column)
                    if not token:
                        continue
                    if pii.encrypted_under(token, new):
                        value = pii.decrypt_with(new, token)
                        counts["skipped"] += 1
                    else:
                        value = pii.decrypt_with(old, token)
                        setattr(obj, column, pii.encrypt_with(new, value))
                        changed.append(column)
                        counts["reencrypted"] += 1
                    if hash_column:
                        expected = pii.match_hash_with(match_key, value)
                        if getattr(obj, hash_column) != expected:
                            setattr(obj, hash_column, expected)
                            changed.append(hash_column)
                            counts["hashes_repaired"] += 1
                if changed:
                    obj.save(update_fields=changed)
        return counts

"""Rename the encrypted personal-data columns ``*_sealed`` to ``*_encrypted``, and ``SealedKey``
to ``StoredKey`` (its ``sealed`` column to ``encrypted``).

In Chop a seal is a company's stamp; "sealed" for "encrypted" read as if these columns held seals.
Only names change: the values, their envelope format and the look-up hashes stay as they are.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0006_one_case_per_uscc"),
    ]

    operations = [
        migrations.RenameField(
            model_name="personverification",
            old_name="id_number_sealed",
            new_name="id_number_encrypted",
        ),
        migrations.RenameField(
            model_name="companyverification",
            old_name="legal_rep_id_sealed",
            new_name="legal_rep_id_encrypted",
        ),
        migrations.RenameField(
            model_name="companyverification",
            old_name="bank_account_sealed",
            new_name="bank_account_encrypted",
        ),
        migrations.RenameField(
            model_name="companyverification",
            old_name="deposit_sealed",
            new_name="deposit_encrypted",
        ),
        migrations.RenameModel(old_name="SealedKey", new_name="StoredKey"),
        migrations.RenameField(model_name="storedkey", old_name="sealed", new_name="encrypted"),
    ]

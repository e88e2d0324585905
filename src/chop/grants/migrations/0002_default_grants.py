"""Give every company seal that is already active its default grant, as new seals get one
(``chop.grants.signals``), so the people who stamped with it before grants existed still may,
now by a named, revocable grant."""

from django.db import migrations

DEFAULT_GRANT_ROLES = ["owner", "admin", "seal_keeper", "seal_user"]


def forwards(apps, schema_editor):
    Seal = apps.get_model("seals", "Seal")
    Grant = apps.get_model("grants", "Grant")
    seals = Seal.objects.filter(
        company__isnull=False, owner__isnull=True, status="active", certificate__isnull=False
    )
    for seal in seals.iterator():
        if Grant.objects.filter(seal=seal).exists():
            continue
        Grant.objects.create(
            company_id=seal.company_id,
            seal=seal,
            roles=DEFAULT_GRANT_ROLES,
            is_default=True,
            granted_by_id=seal.created_by_id,
            starts_at=seal.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [("grants", "0001_initial"), ("seals", "0004_signature_link")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

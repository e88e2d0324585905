"""One live person verification per ID number and per account.

A database that already holds duplicates (the same ID number approved on two accounts) cannot get
the constraint; the migration stops and names the cases, so an operator decides which one is the
person's before migrating again, rather than the migration picking one silently.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count

HOLDING = ("pending_provider", "pending_review", "approved")


def refuse_duplicates(apps, schema_editor):
    Person = apps.get_model("verification", "PersonVerification")
    live = Person.objects.filter(state__in=HOLDING)
    for field in ("id_number_hash", "applicant_id"):
        dupes = live.values(field).annotate(n=Count("id")).filter(n__gt=1)
        if dupes:
            ids = sorted(
                live.filter(**{f"{field}__in": [d[field] for d in dupes]}).values_list(
                    "id", flat=True
                )
            )
            raise RuntimeError(
                f"person verifications {ids} share {field} while approved or open; reject the "
                "ones that are not the person's own (operator console), then migrate again"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0004_sealed_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="personverification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", HOLDING)),
                fields=("id_number_hash",),
                name="one_live_person_case_per_id_number",
            ),
        ),
        migrations.AddConstraint(
            model_name="personverification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", HOLDING)),
                fields=("applicant",),
                name="one_live_person_case_per_account",
            ),
        ),
    ]

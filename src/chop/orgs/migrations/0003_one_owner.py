"""One owner per company, enforced by the database.

Before this constraint, simultaneous ownership transfers could leave a company with two owners;
such companies keep the owner who joined first and the others become administrators (what a
transfer makes of a previous owner), so the constraint can be added.
"""

from django.conf import settings
from django.db import migrations, models


def demote_extra_owners(apps, schema_editor):
    Membership = apps.get_model("orgs", "Membership")
    seen: set[int] = set()
    for m in Membership.objects.filter(role="owner").order_by("company_id", "joined_at", "pk"):
        if m.company_id in seen:
            m.role = "admin"
            m.save(update_fields=["role"])
        seen.add(m.company_id)


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_invitation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(demote_extra_owners, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=models.Q(("role", "owner")),
                fields=("company",),
                name="one_owner_per_company",
            ),
        ),
    ]

"""One open or approved case per USCC, and one open case per company, enforced by the database.

Simultaneous submissions used to slip past the service's check, so a database may already hold
duplicates. Of each group the approved case (else the earliest) stays; the later ones are closed as
rejected with a reason the applicant sees, so they can submit again if it was a mistake.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

LIVE = ["approved", "pending_authority", "pending_provider", "pending_review"]
OPEN = ["pending_authority", "pending_provider", "pending_review"]
REASON = (
    "同一统一社会信用代码或同一公司已有进行中的认证，本次申请已关闭。"
    " / Another verification of this credit code or company was already under way."
)


def close_duplicates(apps, schema_editor):
    Case = apps.get_model("verification", "CompanyVerification")
    Company = apps.get_model("orgs", "Company")

    def close_extras(cases):
        keep = None
        for case in cases:
            if keep is None:
                keep = case
                continue
            case.state = "rejected"
            case.reason = REASON
            case.decided_at = timezone.now()
            case.save(update_fields=["state", "reason", "decided_at"])
            company = Company.objects.get(pk=case.company_id)
            if (
                company.status == "pending"
                and not Case.objects.filter(company_id=company.pk, state__in=OPEN).exists()
            ):
                company.status = "rejected"  # as _release_company does for a rejection
                company.save(update_fields=["status"])

    live = Case.objects.filter(state__in=LIVE)
    for uscc in live.values_list("uscc", flat=True).distinct():
        group = live.filter(uscc=uscc)
        if group.count() > 1:
            # approved first, then by submission time
            close_extras(sorted(group, key=lambda c: (c.state != "approved", c.created_at, c.pk)))
    open_cases = Case.objects.filter(state__in=OPEN)
    for company_id in open_cases.values_list("company_id", flat=True).distinct():
        group = open_cases.filter(company_id=company_id).order_by("created_at", "pk")
        if group.count() > 1:
            close_extras(list(group))


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0005_one_identity_per_account"),
        ("orgs", "0002_invitation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(close_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="companyverification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", LIVE)),
                fields=("uscc",),
                name="one_live_case_per_uscc",
            ),
        ),
        migrations.AddConstraint(
            model_name="companyverification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", OPEN)),
                fields=("company",),
                name="one_open_case_per_company",
            ),
        ),
    ]

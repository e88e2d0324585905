"""``chop seed_demo``: the demo people and company, created once; re-running changes nothing.

The demo company also gets a draft contract, ``DEMO_CONTRACT_TITLE``: a 4-page purchase contract
whose last page carries 甲方（盖章） and 乙方（盖章）, so parties, positions by drag and by keyword
can be tried at once. The PDF lies beside its source in ``chop/platform/demo/`` (made with
``soffice --headless --convert-to pdf demo-contract.html``), so no converter is needed here.

Everyone gets the same password, from ``CHOP_DEMO_PASSWORD`` (default ``demo-pass-2026``). An
account that already exists keeps whatever password it has; the command says so when that is no
longer the demo password, rather than silently resetting a password someone chose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand
from django.db import transaction

from chop.audit.events import record
from chop.orgs.models import Company, Membership, Role
from chop.verification.demo import ensure_demo_case

DEFAULT_PASSWORD = "demo-pass-2026"
COMPANY_NAME = "上海示例科技有限公司"
DEMO_CONTRACT_TITLE = "办公设备采购合同（示例）"
DEMO_CONTRACT_PDF = Path(__file__).resolve().parents[2] / "demo" / "demo-contract.pdf"


@dataclass(frozen=True)
class DemoPerson:
    login: str
    name: str
    role: str | None  # role in the demo company; None: not a member
    staff: bool = False
    note: str = ""


PEOPLE = [
    DemoPerson("13800000001", "张伟", Role.OWNER, note="owner of the demo company"),
    DemoPerson("13800000002", "李娜", Role.SEAL_KEEPER, note="seal keeper"),
    DemoPerson("13800000003", "王芳", Role.MEMBER, note="member: asks for approval to stamp"),
    DemoPerson("13800000004", "赵磊", Role.SEAL_APPROVER, note="seal approver: /approvals/"),
    DemoPerson(
        "operator@chop.local", "平台运营", None, staff=True, note="platform operator, /admin/"
    ),
]


class Command(BaseCommand):
    help = "Create the demo people, company and platform operator (idempotent) and print logins."

    def handle(self, *args, **options) -> None:
        password = os.environ.get("CHOP_DEMO_PASSWORD") or DEFAULT_PASSWORD
        with transaction.atomic():
            users = {p.login: self._person(p, password) for p in PEOPLE}
            company = self._company(users)
        ensure_demo_case(company, users[PEOPLE[0].login])
        company.refresh_from_db()
        contract = self._contract(company, users[PEOPLE[1].login])

        out = self.stdout
        out.write(self.style.SUCCESS("Chop demo is ready."))
        out.write(f"  URL:      {settings.SITE_URL}/")
        out.write(f"  Admin:    {settings.SITE_URL}/admin/")
        out.write(f"  Company:  {COMPANY_NAME} ({company.get_status_display()})")
        out.write(
            f"  Operator console: {settings.SITE_URL}/operator/ (the demo company's "
            "verification waits there; approving it generates its official seal)"
        )
        out.write(
            f"  Seal studio: {settings.SITE_URL}/seals/new/ (make seals online), /seals/upload/ "
            "(upload a stamp photo for review), /seals/signature/ (a handwritten signature by QR)"
        )
        out.write(
            f"  Contract: {settings.SITE_URL}/contracts/{contract.pk}/ (a draft to add parties to, "
            "place seals on and send; signing needs the company verified first)"
        )
        out.write(
            f"  Authorisation: each seal's page links its grants and approvers; a member without a "
            f"grant requests approval on the signing page, approvers decide at "
            f"{settings.SITE_URL}/approvals/"
        )
        out.write(f"  Password: {password}  (for every demo login below)")
        for p in PEOPLE:
            user = users[p.login]
            warn = (
                ""
                if check_password(password, user.password)
                else "  [password was changed since; not reset]"
            )
            out.write(f"  {p.login:<22} {p.name:<6} {p.note}{warn}")

    def _person(self, p: DemoPerson, password: str):
        User = get_user_model()
        user = User.objects.filter(login=p.login).first()
        if user is None:
            user = User.objects.create_user(
                p.login, password, name=p.name, is_staff=p.staff, is_superuser=p.staff
            )
        return user

    def _company(self, users: dict) -> Company:
        owner = users[PEOPLE[0].login]
        company = (
            Company.objects.filter(
                name=COMPANY_NAME, memberships__user=owner, memberships__role=Role.OWNER
            )
            .order_by("pk")
            .first()
        )
        if company is None:
            company = Company.objects.create(name=COMPANY_NAME, created_by=owner)
            record("company.created", actor=owner, company=company, obj=company, seeded=True)
        for p in PEOPLE:
            if p.role is None:
                continue
            # An existing membership keeps its role: the demo may have been played with since.
            Membership.objects.get_or_create(
                company=company, user=users[p.login], defaults={"role": p.role}
            )
        return company

    def _contract(self, company: Company, keeper):
        """The demo draft, uploaded by the seal keeper, with its page previews rendered now
        (no worker needed to see it); created once."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from chop.contracts import documents, previews
        from chop.contracts.models import Contract

        existing = Contract.objects.filter(company=company, title=DEMO_CONTRACT_TITLE).first()
        if existing is not None:
            return existing
        upload = SimpleUploadedFile(
            "办公设备采购合同.pdf", DEMO_CONTRACT_PDF.read_bytes(), "application/pdf"
        )
        contract = documents.create_draft(
            company=company, user=keeper, title=DEMO_CONTRACT_TITLE, upload=upload
        )
        contract.number = "CG-2026-DEMO-001"
        contract.contract_type = "采购合同"
        contract.save(update_fields=["number", "contract_type", "updated_at"])
        previews.render_version(contract.current_version())
        return contract

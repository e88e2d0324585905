"""Real-name verification cases for people and companies, and the evidence of every decision."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import pii
from .states import COMPANY_TRANSITIONS, FINAL_STATES, OPEN_STATES, PERSON_TRANSITIONS, State, check


class Case(models.Model):
    """What person and company cases share: a state, a reason, and who decided when."""

    TRANSITIONS: dict[str, set[str]] = {}

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    reason = models.TextField(_("reason"), blank=True, help_text=_("why it was rejected"))
    last_error = models.CharField(_("last provider error"), max_length=400, blank=True)
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    def advance(self, target: str, *, by=None, reason: str = "") -> None:
        """Move to ``target`` (validated against the table) and save."""
        check(self.TRANSITIONS, self, target)
        self.state = target
        if target in FINAL_STATES:
            self.decided_at = timezone.now()
            self.decided_by = by
        if reason:
            self.reason = reason
        self.save()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class PersonVerification(Case):
    TRANSITIONS = PERSON_TRANSITIONS

    name = models.CharField(_("name"), max_length=60)
    id_number_encrypted = models.TextField()
    id_number_hash = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=24)
    phone = models.CharField(_("mobile number"), max_length=20)
    id_front = models.FileField(upload_to="verification/id/%Y/%m/")
    id_back = models.FileField(upload_to="verification/id/%Y/%m/")

    # States in which a case holds its identity: one such case per ID number and per account,
    # so one person cannot verify on two accounts (and collect seals through both).
    HOLDING_STATES = ("pending_provider", "pending_review", "approved")

    class Meta:
        verbose_name = _("person verification")
        verbose_name_plural = _("person verifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=models.Q(state__in=("pending_provider", "pending_review", "approved")),
                name="one_live_person_case_per_id_number",
            ),
            models.UniqueConstraint(
                fields=["applicant"],
                condition=models.Q(state__in=("pending_provider", "pending_review", "approved")),
                name="one_live_person_case_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.id_number_masked}"

    @property
    def id_number(self) -> str:
        return pii.decrypt(self.id_number_encrypted)

    def set_id_number(self, value: str, masked: str) -> None:
        self.id_number_encrypted = pii.encrypt(value)
        self.id_number_hash = pii.match_hash(value)
        self.id_number_masked = masked


class CompanyVerification(Case):
    TRANSITIONS = COMPANY_TRANSITIONS

    class Method(models.TextChoices):
        LEGAL_REP = "legal_rep", _("I am the legal representative")
        LETTER = "letter", _("Authorisation letter")
        DEPOSIT = "deposit", _("Bank micro-deposit")

    company = models.ForeignKey(
        "orgs.Company", on_delete=models.PROTECT, related_name="verifications"
    )
    company_name = models.CharField(_("company name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, db_index=True)
    legal_rep_name = models.CharField(_("legal representative"), max_length=60)
    legal_rep_id_encrypted = models.TextField()
    legal_rep_id_hash = models.CharField(max_length=64, db_index=True)
    legal_rep_id_masked = models.CharField(_("legal representative's ID number"), max_length=24)
    licence = models.FileField(_("business licence"), upload_to="verification/licence/%Y/%m/")
    method = models.CharField(_("proof of authority"), max_length=12, choices=Method.choices)
    letter = models.FileField(
        _("signed authorisation letter"), upload_to="verification/letter/%Y/%m/", blank=True
    )
    bank_account_name = models.CharField(_("account name"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account_encrypted = models.TextField(blank=True)
    bank_account_masked = models.CharField(_("account number"), max_length=40, blank=True)
    # The micro-deposit challenge (chop.identity.MicroDeposit) as encrypted JSON: the amount is
    # the secret the company reads off its statement, so it is protected like an ID number.
    deposit_encrypted = models.TextField(blank=True)
    deposit_reference = models.CharField(max_length=100, blank=True)
    deposit_sent_at = models.DateTimeField(null=True, blank=True)
    deposit_expires_at = models.DateTimeField(null=True, blank=True)
    deposit_tries_left = models.PositiveSmallIntegerField(default=0)
    registry_passed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("company verification")
        verbose_name_plural = _("company verifications")
        ordering = ["-created_at"]
        # Checked by the services first (with a friendly message); the database has the last
        # word, so two submissions racing past that check cannot both be accepted.
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=models.Q(state__in=sorted({State.APPROVED, *OPEN_STATES})),
                name="one_live_case_per_uscc",
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(state__in=sorted(OPEN_STATES)),
                name="one_open_case_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} {self.uscc}"

    @property
    def legal_rep_id(self) -> str:
        return pii.decrypt(self.legal_rep_id_encrypted)

    def set_legal_rep_id(self, value: str, masked: str) -> None:
        self.legal_rep_id_encrypted = pii.encrypt(value)
        self.legal_rep_id_hash = pii.match_hash(value)
        self.legal_rep_id_masked = masked

    def load_deposit(self):
        from chop.identity import MicroDeposit

        return MicroDeposit.from_dict(json.loads(pii.decrypt(self.deposit_encrypted)))

    def store_deposit(self, deposit) -> None:
        self.deposit_encrypted = pii.encrypt(json.dumps(deposit.to_dict()))
        self.deposit_expires_at = deposit.expires_at
        self.deposit_tries_left = deposit.attempts_left


class Evidence(models.Model):
    """One verification decision, kept as evidence: method, provider, result, time, operator.

    ``inputs`` holds SHA-256 hashes of what was decided on (uploaded images, the fields as
    submitted), so the evidence can later prove which material the decision saw. Append-only.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    case_type = models.CharField(_("case type"), max_length=10)  # person | company
    case_id = models.BigIntegerField(_("case"))
    step = models.CharField(_("step"), max_length=40)  # registry, identity, review, deposit, ...
    method = models.CharField(_("method"), max_length=40)
    provider = models.CharField(_("provider"), max_length=40)
    result = models.CharField(_("result"), max_length=20)
    detail = models.TextField(_("detail"), blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    inputs = models.JSONField(_("input hashes"), default=dict)

    class Meta:
        verbose_name = _("verification evidence")
        verbose_name_plural = _("verification evidence")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case_type", "case_id"])]

    @property
    def step_label(self) -> str:
        from .labels import STEPS, label

        return label(STEPS, self.step)

    @property
    def method_label(self) -> str:
        from .labels import METHODS, label

        return label(METHODS, self.method)

    @property
    def result_label(self) -> str:
        from .labels import RESULTS, label

        return label(RESULTS, self.result)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("evidence is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("evidence is append-only")


class StoredKey(models.Model):
    """A small secret kept in the database, encrypted under ``CHOP_KEK`` (chop.pki.custody
    envelope).

    Today one row: the key of the personal-data look-up hash (see ``pii``), which must outlive KEK
    rotations. ``chop rotate_kek`` re-encrypts these rows with the personal data.
    """

    name = models.CharField(max_length=40, unique=True)
    encrypted = models.TextField()

    def __str__(self) -> str:
        return self.name

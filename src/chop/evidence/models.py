"""Evidence reports and contract verification codes.

The stamping-records log keeps its own tables (added beside these by the ledger part).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy


def new_verification_code() -> str:
    """A contract's verification code (合同验证码): 12 characters from an alphabet without look-alike
    characters, shown to the contract's parties and printed on its evidence report. Holding it
    opens the contract's evidence summary; without it the public page says only whether a PDF is
    known."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class VerificationCode(models.Model):
    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.CASCADE, related_name="verification_code"
    )
    code = models.CharField(max_length=16, unique=True, default=new_verification_code)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"verification code of contract {self.contract_id}"

    @classmethod
    def for_contract(cls, contract) -> VerificationCode:
        """The contract's code, made the first time it is asked for (two callers at once get
        the same row: the unique contract decides)."""
        found = cls.objects.filter(contract=contract).first()
        if found is not None:
            return found
        obj, _created = cls.objects.get_or_create(contract=contract)
        return obj


class ReportState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("evidence report state", "Being prepared")
    READY = "ready", pgettext_lazy("evidence report state", "Ready")
    FAILED = "failed", pgettext_lazy("evidence report state", "Failed")


class EvidenceReport(models.Model):
    """One evidence report (出证报告) of a contract, made on demand by a background task: an A4
    PDF signed by the platform, with the same data embedded as JSON."""

    State = ReportState

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="evidence_reports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=8, choices=ReportState.choices, default=ReportState.PENDING)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)  # what the report states, as embedded
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ReportState.values), name="evidence_report_state_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="ready") | ~models.Q(sha256=""),
                name="evidence_report_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"evidence report {self.pk} of contract {self.contract_id}"


# ---------------------------------------------------------------------------------------------
# The stamping log (chop.ledger over these tables): every stamping record is a leaf of an
# RFC 6962 Merkle tree, whose complete-subtree hashes and signed tree heads are stored here.
# All three tables are append-only by database triggers (migration 0002): a leaf, a node or a
# head, once written, is never rewritten, and a rewrite by someone who lifts the triggers shows
# up as a failed proof against the heads already published.


class LogState(models.Model):
    """The one row the sequencer locks (``select_for_update``; SQLite's IMMEDIATE transaction
    is the lock there), holding the tree's size, so two appenders never race."""

    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"stamping log of {self.size} leaves"


class LogLeaf(models.Model):
    """A stamping record's place in the log: its index and the hash of its JSON as appended."""

    index = models.PositiveBigIntegerField(unique=True)
    record = models.OneToOneField(
        "contracts.StampRecord", on_delete=models.PROTECT, related_name="log_leaf"
    )
    leaf_hash = models.CharField(max_length=64)
    appended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"log leaf {self.index} (record {self.record_id})"


class LogNode(models.Model):
    """The hash of a complete subtree above the leaves: ``2**level`` leaves from
    ``index * 2**level`` (level 0, the leaves themselves, is :class:`LogLeaf`)."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="log_node_unique_position")
        ]

    def __str__(self) -> str:
        return f"log node ({self.level}, {self.index})"


class TreeHead(models.Model):
    """A signed tree head: the log's size and root at a moment, signed by the platform's log
    certificate and timestamped by the TSA (RFC 3161 token over the same canonical bytes)."""

    tree_size = models.PositiveBigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    signature = models.BinaryField()
    tsa_token = models.BinaryField()
    tsa_time = models.DateTimeField()
    signer_serial = models.CharField(max_length=64)  # hex serial of the head-signing certificate
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-tree_size"]

    def __str__(self) -> str:
        return f"tree head of size {self.tree_size}"

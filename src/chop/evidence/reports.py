"""Evidence reports: asked for on the contract's page, made by a background task.

``request_report`` writes a pending row and queues ``make_evidence_report`` for after the commit.
One pending report per contract at a time (the database decides: a partial unique constraint
would need a model change, so the contract row is locked while we look), and a person may ask
for at most ``PER_HOUR`` reports an hour. ``make`` collects the data, builds the signed PDF, stores
it, and records it with one conditional UPDATE (``state = pending``): a task that runs twice
stores once, the loser deletes its file again. A failure sets the row ``failed`` with a short
error the page shows; asking again makes a new report.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import EvidenceReport

log = logging.getLogger(__name__)

PER_HOUR = 10
STALE_AFTER = timedelta(minutes=30)  # a pending report older than this no longer blocks


class RequestRefused(Exception):
    """Why a report cannot be asked for now, in words for the page."""


def request_report(contract, user, *, request=None) -> EvidenceReport:
    """A new pending report of ``contract`` by ``user``, queued for after the commit."""
    from chop.accounts import ratelimit
    from chop.audit.events import record
    from chop.contracts.models import Contract

    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.is_draft:
            raise RequestRefused(_("A draft has no evidence yet: send it for signing first."))
        pending = EvidenceReport.objects.filter(
            contract=locked,
            state=EvidenceReport.State.PENDING,
            created_at__gt=timezone.now() - STALE_AFTER,
        )
        if pending.exists():
            raise RequestRefused(
                _("A report of this contract is being prepared. Wait for it, then ask again.")
            )
        window = ratelimit.hit(f"evidence-report:user:{user.pk}", limit=PER_HOUR, window=3600)
        if not window.allowed:
            raise RequestRefused(
                _("You asked for many reports in the last hour. Try again in %(minutes)s min.")
                % {"minutes": max(1, window.retry_after // 60)}
            )
        report = EvidenceReport.objects.create(contract=locked, requested_by=user)
        record(
            "evidence.report_requested",
            request=request,
            actor=user,
            company=locked.company,
            obj=locked,
            report=report.pk,
        )
        transaction.on_commit(partial(_enqueue, report.pk), robust=True)
    return report


def _enqueue(report_id: int) -> None:
    from .tasks import make_evidence_report

    try:
        make_evidence_report.enqueue(report_id)
    except Exception:
        log.exception("could not enqueue evidence report %s", report_id)
        fail(report_id, "queue")


def fail(report_id: int, code: str) -> None:
    EvidenceReport.objects.filter(pk=report_id, state=EvidenceReport.State.PENDING).update(
        state=EvidenceReport.State.FAILED, error=code[:300], finished_at=timezone.now()
    )


def make(report_id: int) -> bool:
    """Make, sign and store report ``report_id``; True if this call stored it. Raises
    ``report_pdf.ReportError`` (or anything unexpected) on failure, leaving the row pending for
    the task to mark failed."""
    from . import report_data, report_pdf

    report = (
        EvidenceReport.objects.select_related("contract__company", "contract__created_by")
        .filter(pk=report_id)
        .first()
    )
    if report is None or report.state != EvidenceReport.State.PENDING:
        return False
    _publish_log_head()
    data = report_data.collect(report.contract, report_id=report.pk)
    field = EvidenceReport._meta.get_field("file")
    name = field.generate_filename(report, f"evidence-{report.contract_id}-{report.pk}.pdf")
    with tempfile.TemporaryDirectory(prefix="chop-evidence-") as tmp:
        signed = report_pdf.build(data, Path(tmp))
        with open(signed, "rb") as fh:  # hashed in chunks, then streamed to storage
            digest = hashlib.sha256()
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
            fh.seek(0)
            stored = field.storage.save(name, File(fh))
    sha256 = digest.hexdigest()
    # The state change and its audit event commit together: a run killed between them leaves
    # the report pending for the retried task, never ready without its event or twice.
    with transaction.atomic():
        won = EvidenceReport.objects.filter(
            pk=report.pk, state=EvidenceReport.State.PENDING
        ).update(
            state=EvidenceReport.State.READY,
            file=stored,
            sha256=sha256,
            data=data,
            error="",
            finished_at=timezone.now(),
        )
        if won:
            from chop.audit.events import record

            record(
                "evidence.report_ready",
                actor=None,
                company=report.contract.company,
                obj=report.contract,
                report=report.pk,
                sha256=sha256,
            )
    if not won:
        field.storage.delete(stored)
        return False
    return True


def _publish_log_head() -> None:
    """Publish a tree head covering every stamping record so far, so the report carries each
    record's inclusion proof instead of "pending publication". A log that cannot publish now
    (say the TSA is unreachable) leaves the proofs pending; the report is still made."""
    from . import log

    try:
        log.publish_head()
    except Exception:
        logging.getLogger(__name__).exception("could not publish a log head for a report")

"""Background work of the evidence pages (django-tasks): the evidence report.

``make_evidence_report`` runs after the request's transaction commits. It takes an id and re-reads
the row, so a late or repeated run finds the report as it is (ready already: nothing to do). A
failure marks the report failed with a short code the page shows; asking again makes a new one.
"""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def make_evidence_report(report_id: int) -> bool:
    from . import reports

    try:
        return reports.make(report_id)
    except Exception as exc:
        log.exception("evidence report %s failed", report_id)
        reports.fail(report_id, getattr(exc, "code", type(exc).__name__))
        return False

"""Background tasks of the seals app (django-tasks): ink extraction of uploaded impressions.

Enqueued by ``upload.start_upload`` once the upload's transaction has committed; the worker
(``db_worker``) runs them. The task takes a seal id and re-reads the seal, so a late or repeated
run finds it already done and changes nothing.
"""

from __future__ import annotations

from django_tasks import task

from . import upload


@task()
def extract_uploaded_seal(seal_id: int) -> str:
    return upload.run_extraction(seal_id)

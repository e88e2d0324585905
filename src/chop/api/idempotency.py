"""``Idempotency-Key`` on POST and PATCH (IETF draft-ietf-httpapi-idempotency-key-header).

(company, key) → the request's fingerprint, then its status and body, for 24 hours:

* the first request inserts the row (state ``running``) before it runs: the unique constraint
  decides, on SQLite and PostgreSQL, which of twenty simultaneous requests runs;
* a request with the same key while the first runs gets 409;
* the same key with a different request (method, path or body) gets 422;
* a retry after it finished gets the stored status and body, marked ``Idempotent-Replayed``.

The operation and its stored answer commit in one transaction, so a process that dies after the
operation's effects committed cannot leave the key looking unfinished. Server errors (5xx) roll
the operation back and, like refusals that say "try again" (409, 429), are not stored: the row is
deleted so a retry runs again. A row left ``running`` by a process that died is taken over after
``STALE_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyRecord
from .problems import problem

HEADER = "HTTP_IDEMPOTENCY_KEY"
KEEP = dt.timedelta(hours=24)
# longer than any request may run (the server's timeout): CHOP_IDEMPOTENCY_STALE_SECONDS
STALE_AFTER = dt.timedelta(seconds=settings.CHOP_IDEMPOTENCY_STALE_SECONDS)
MAX_KEY = 255
_NOT_STORED = {409, 429}


def fingerprint(request: HttpRequest) -> str:
    """SHA-256 of what the request asks: method, path, query and the parsed body. A multipart
    body is hashed by field and file content, not its bytes, because a client's retry draws a new
    boundary; JSON is hashed canonically (key order and spacing do not count)."""
    h = hashlib.sha256()
    h.update(f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode())
    ctype = request.content_type or ""
    if ctype == "multipart/form-data" or ctype == "application/x-www-form-urlencoded":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                h.update(f"f:{name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                h.update(f"u:{name}:{upload.size}:".encode())
                for chunk in upload.chunks():
                    h.update(chunk)
                upload.seek(0)
                h.update(b"\n")
    else:
        raw = request.body
        try:
            canonical = json.dumps(
                json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
        except (ValueError, UnicodeDecodeError):
            canonical = raw
        h.update(b"b:" + canonical)
    return h.hexdigest()


def around(request: HttpRequest, company_id: int, call) -> HttpResponse:
    """Run ``call()`` (the view) at most once per (company, key); see the module docstring."""
    key = request.META.get(HEADER)
    if request.method not in ("POST", "PATCH") or key is None:
        return call()
    if not key or len(key) > MAX_KEY:
        return problem(
            400,
            "idempotency_key_invalid",
            _("Idempotency-Key must be 1 to %(max)d characters.") % {"max": MAX_KEY},
            request=request,
        )
    print_ = fingerprint(request)
    now = timezone.now()
    try:
        row = _insert(company_id, key, print_, now)
    except IntegrityError:
        # the key is taken; a row past its 24 hours no longer counts: drop it and try again
        # (only then, not before every insert: a fresh key is the common case)
        if not IdempotencyRecord.objects.filter(
            company_id=company_id, key=key, expires_at__lte=now
        ).delete()[0]:
            return _answer_existing(request, company_id, key, print_, call)
        try:
            row = _insert(company_id, key, print_, now)
        except IntegrityError:
            return _answer_existing(request, company_id, key, print_, call)
    return _run(request, row, call)


def _insert(company_id: int, key: str, print_: str, now) -> IdempotencyRecord:
    # One statement needs no transaction of its own in autocommit; inside an open one (a test's)
    # a savepoint keeps a refused insert from spoiling it.
    savepoint = (
        transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
    )
    with savepoint:
        return IdempotencyRecord.objects.create(
            company_id=company_id, key=key, fingerprint=print_, expires_at=now + KEEP
        )


def _answer_existing(request, company_id: int, key: str, print_: str, call) -> HttpResponse:
    row = IdempotencyRecord.objects.filter(company_id=company_id, key=key).first()
    if row is None:  # finished with an unstored answer between our insert and this read
        return around(request, company_id, call)
    if row.fingerprint != print_:
        return problem(
            422,
            "idempotency_key_reused",
            _(
                "This Idempotency-Key was used for a different request. Use a new key for a "
                "new request."
            ),
            request=request,
        )
    if row.state == IdempotencyRecord.State.RUNNING:
        if row.created_at < timezone.now() - STALE_AFTER:
            taken = IdempotencyRecord.objects.filter(
                pk=row.pk, state=IdempotencyRecord.State.RUNNING, created_at=row.created_at
            ).update(created_at=timezone.now())
            if taken:
                row.refresh_from_db()
                return _run(request, row, call)
        return problem(
            409,
            "idempotency_in_flight",
            _("A request with this Idempotency-Key is still running. Retry in a moment."),
            request=request,
            headers={"Retry-After": "1"},
        )
    response = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type)
    for name, value in row.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _run(request, row: IdempotencyRecord, call) -> HttpResponse:
    """Run the operation and store its answer in one transaction with what it changed: a
    process that dies in between leaves neither (the row stays ``running``, and a retry after
    ``STALE_AFTER`` runs it again), never a done operation whose retry would run it twice. A
    server error rolls the operation's changes back with it."""
    try:
        with transaction.atomic():
            response = call()
            if response.status_code >= 500:
                transaction.set_rollback(True)  # nothing half-written
            elif response.status_code not in _NOT_STORED and not response.streaming:
                IdempotencyRecord.objects.filter(pk=row.pk).update(
                    state=IdempotencyRecord.State.DONE,
                    status=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=response.content,
                    headers={k: response[k] for k in ("Location",) if k in response},
                )
                return response
    except BaseException:
        IdempotencyRecord.objects.filter(pk=row.pk).delete()
        raise
    IdempotencyRecord.objects.filter(pk=row.pk).delete()
    return response

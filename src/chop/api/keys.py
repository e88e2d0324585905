"""API keys: make one (shown once), find and check one, record its use.

A key reads ``chop_<prefix>_<secret>``. The prefix (8 characters) finds the row; the whole key's
SHA-256 is compared in constant time. Keys are 32 random bytes, so a plain hash is enough (no slow
password hash: there is nothing to guess).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from chop.accounts import ratelimit
from chop.orgs import permissions
from chop.orgs.access import membership_in
from chop.orgs.models import Membership

from .models import ApiKey

PREFIX_CHARS = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes: the prefix is read aloud


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def make(*, company, user, name: str, scopes: list[str], expires_at=None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the full key, which is never stored or shown again."""
    while True:
        prefix = "".join(secrets.choice(PREFIX_CHARS) for _ in range(8))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    raw = f"chop_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        company=company,
        name=name,
        prefix=prefix,
        key_hash=_hash(raw),
        scopes=sorted(set(scopes)),
        created_by=user,
        expires_at=expires_at,
    )
    return key, raw


@dataclass(frozen=True)
class Caller:
    """Who an API request acts as: the key, its company, and the member who made the key (whose
    membership the permission functions judge, as on the web pages)."""

    key: ApiKey
    company: object
    user: object
    membership: Membership

    def has_scope(self, scope: str) -> bool:
        return scope in self.key.scopes


class KeyRefused(Exception):
    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def authenticate(raw: str | None) -> Caller:
    """The caller for ``raw`` (the bearer token), or :class:`KeyRefused`."""
    from django.utils.translation import gettext as _

    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "chop" or len(parts[1]) != 8:
        raise KeyRefused("key_missing", _("Send an API key: Authorization: Bearer chop_…"))
    key = ApiKey.objects.select_related("company", "created_by").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw or "")):
        raise KeyRefused("key_invalid", _("This API key is not valid."))
    if key.revoked_at is not None:
        raise KeyRefused("key_revoked", _("This API key has been revoked."))
    if key.expires_at is not None and key.expires_at <= timezone.now():
        raise KeyRefused("key_expired", _("This API key has expired."))
    m = membership_in(key.created_by, key.company_id)
    if not permissions.can_manage_api_keys(m):
        raise KeyRefused(
            "key_orphaned",
            _(
                "The member who made this key can no longer manage the company's API keys, so "
                "the key no longer works. An owner or administrator can make a new one."
            ),
        )
    return Caller(key=key, company=key.company, user=key.created_by, membership=m)


def count_request(key: ApiKey, ip: str | None, *, limit: int, window: int) -> ratelimit.Window:
    """Count one request in the key's fixed rate window and, when it is within ``limit``,
    record the use (time, address, count): one UPDATE that answers the new count, atomic on its
    own on both databases, so a request costs the gate no transaction and no read. Refused
    requests are counted too (hammering does not reopen the window) but are not uses."""
    now = ratelimit.clock()
    start = ratelimit.window_start(now, window)
    ops = connection.ops
    qn = ops.quote_name
    count = qn("rate_count")
    same = f"{qn('rate_window_start')} = %s"
    new_count = f"(CASE WHEN {same} THEN {count} + 1 ELSE 1 END)"
    allowed = f"{new_count} <= %s"
    at = ops.adapt_datetimefield_value(start)
    sql = (
        f"UPDATE {qn(ApiKey._meta.db_table)} SET "
        f"{qn('use_count')} = {qn('use_count')} + (CASE WHEN {allowed} THEN 1 ELSE 0 END), "
        f"{qn('last_used_at')} = (CASE WHEN {allowed} THEN %s ELSE {qn('last_used_at')} END), "
        f"{qn('last_used_ip')} = (CASE WHEN {allowed} THEN %s ELSE {qn('last_used_ip')} END), "
        f"{count} = {new_count}, {qn('rate_window_start')} = %s "
        f"WHERE {qn('id')} = %s RETURNING {count}"
    )
    # every expression reads the row as it was: the window test is repeated, not chained
    params = [
        *(at, limit),
        *(at, limit, ops.adapt_datetimefield_value(now)),
        *(at, limit, ops.adapt_ipaddressfield_value(ip)),
        *(at, at, key.pk),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    n = int(row[0]) if row else limit + 1  # the key vanished meanwhile: refuse
    return ratelimit.Window(n <= limit, n, limit, start + dt.timedelta(seconds=window))

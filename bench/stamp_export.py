"""Stamping-records export: 100 000 records as CSV and as XLSX through the views, time and memory.

Measured in a fresh child process (``python -m bench.stamp_export <what>``) with its own scratch
SQLite database: 100 000 ``StampRecord`` rows for one company are inserted directly (foreign-key
checks off for the insert: the export reads only the record's own columns, so the contracts,
acts and seals they name need not exist), then the export view is requested as the signed-in
owner and its streamed body read to the end, as a browser download would.

Target: ≤ 10 s for 100 000 records. Reported: wall time of the whole request (count, audit event,
query and formatting), and in a second run the tracemalloc peak of Python allocations and the
growth of the process's maximum resident set, to show the memory stays flat (a few MB, not the
size of the file).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc

from . import Bench, child

ROWS = 100_000


def _setup(tmp: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "chop.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = f"{tmp}/media"
    os.environ["CHOP_VAR_DIR"] = tmp
    os.environ["CHOP_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _fill(company_id: int, user_id: int) -> None:
    """ROWS records, one INSERT ... executemany in one transaction."""
    from django.db import connection, transaction

    from chop.contracts.models import StampRecord

    fields = [f for f in StampRecord._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    names = ["张三", "李四", "王五", "赵六"]

    def row(i: int) -> list:
        at = start + dt.timedelta(minutes=5 * i)
        values = {
            "company_id": company_id,
            "contract_id": 1 + i // 2,
            "act_id": 1 + i,
            "signer_id": user_id,
            "signer_name": names[i % 4],
            "party_name": "基准测试有限公司",
            "seal_id": 1 + i % 3,
            "seal_code": f"S{1 + i % 3:015d}",
            "seal_kind": "official",
            "seal_name": "基准测试有限公司公章",
            "forms": '["single"]' if i % 5 else '["riding", "single"]',
            "pages": "[1, 2]",
            "contract_title": f"采购合同第 {i // 2} 号",
            "contract_number": f"HT-2026-{i // 2:06d}",
            "contract_type": "purchase",
            "base_sha256": f"{i:064x}",
            "signed_sha256": f"{i + 1:064x}",
            "authorisation_kind": "grant",
            "authorisation_id": 7,
            "intent_method": "password",
            "intent_at": at.isoformat(),
            "certificate_serial": str(10**20 + i),
            "tsa_time": at.isoformat(),
            "ip": "10.0.0.7",
            "device": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Chrome/126.0",
            "stamped_at": at.isoformat(),
        }
        return [values[f.attname] for f in fields]

    with connection.cursor() as cur:
        cur.execute("PRAGMA foreign_keys = OFF")
    with transaction.atomic(), connection.cursor() as cur:
        batch = 10_000
        for lo in range(0, ROWS, batch):
            cur.executemany(
                f'INSERT INTO "{StampRecord._meta.db_table}" ({cols}) VALUES ({marks})',
                [row(i) for i in range(lo, min(lo + batch, ROWS))],
            )


def _client():
    from django.test import Client

    from chop.accounts.models import User
    from chop.orgs.access import SESSION_KEY
    from chop.orgs.models import Company, Membership, Role

    user = User.objects.create_user("13900000000", "bench-pass-123", name="bench")
    company = Company.objects.create(name="基准测试有限公司", created_by=user)
    Membership.objects.create(company=company, user=user, role=Role.OWNER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = company.pk
    session.save()
    return client, company, user


def _export(client, fmt: str) -> tuple[int, int]:
    """Request the export and read the body to the end; (status, bytes)."""
    resp = client.get(f"/records/stamps/export.{fmt}")
    size = 0
    for chunk in resp.streaming_content:
        size += len(chunk)
    resp.close()
    return resp.status_code, size


def child_export(fmt: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="chop-bench-") as tmp:
        _setup(tmp)
        client, company, user = _client()
        _fill(company.pk, user.pk)
        _export(client, fmt)  # warm-up (imports, templates, SQLite page cache)
        t0 = time.perf_counter()
        status, size = _export(client, fmt)
        seconds = time.perf_counter() - t0
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        _export(client, fmt)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss
        return {
            "status": status,
            "seconds": seconds,
            "mb": size / 1024 / 1024,
            "tracemalloc_peak_mb": peak / 1024 / 1024,
            "maxrss_growth_mb": rss_growth / 1024,
        }


def run(bench: Bench) -> None:
    for fmt in ("csv", "xlsx"):
        r = child("bench.stamp_export", fmt)
        assert r["status"] == 200, r
        bench.add(
            f"stamp records: export {ROWS:,} as {fmt.upper()} through the view",
            r["seconds"] * 1000,
            target="≤ 10000 ms",
            note=(
                f"{r['mb']:.1f} MB file; Python peak {r['tracemalloc_peak_mb']:.1f} MB, "
                f"max RSS growth {r['maxrss_growth_mb']:.1f} MB"
            ),
        )


if __name__ == "__main__":
    print(json.dumps(child_export(sys.argv[1])))

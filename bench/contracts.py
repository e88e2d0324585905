"""Contract documents: a 50 MB upload's memory, and page previews of a 100-page contract.

Each figure is measured in a fresh child process (``python -m bench.contracts <what>``) with its
own SQLite database and media directory, so Django's setup and earlier benchmarks are not in it:

* upload: a 50 MB PDF (2 pages of text and 49 MB of padding, the size that matters) is posted
  through the upload view as a browser would (multipart body, Django's upload handlers spool it
  to a temporary file), checked, hashed and stored. Target: peak memory ≤ 200 MB. Reported:
  tracemalloc's peak of Python allocations during the request, and the growth of the process's
  maximum resident set (ru_maxrss, which includes pdfium's and zlib's C allocations) over the
  baseline taken after the request body was built.
* previews: ``previews.render_version`` for a 100-page contract (40 lines of text per page) at
  both widths (200 and 1000 px), storage writes included. Target ≤ 5 s; median of 3 runs, the
  stored images deleted between runs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

from . import Bench, child

MB = 1024 * 1024


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


def _company():
    from chop.accounts.models import User
    from chop.orgs.models import Company, Membership, Role

    user = User.objects.create_user("13900000000", "bench-pass-123", name="bench")
    company = Company.objects.create(name="基准测试有限公司", created_by=user)
    Membership.objects.create(company=company, user=user, role=Role.OWNER)
    return user, company


def _pages(n: int, **kw) -> bytes:
    from tests.support.pdfsign_testing import make_pdf

    texts = {
        i: [
            (
                60,
                780 - 18 * k,
                f"Clause {k}: the parties agree that line {k} of page {i + 1} binds.",
            )
            for k in range(40)
        ]
        for i in range(n)
    }
    return make_pdf(n, texts=texts, **kw)


def child_upload() -> dict:
    import resource
    import tracemalloc

    with tempfile.TemporaryDirectory() as tmp:
        _setup(tmp)
        from django.test import Client
        from django.test.client import MULTIPART_CONTENT, encode_multipart

        from chop.contracts.models import DocumentVersion
        from chop.orgs.access import SESSION_KEY

        user, company = _company()
        pdf = [_pages(2, padding=49 * MB)]
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = company.pk
        session.save()

        class Upload:
            name = "big.pdf"

            def read(self):
                return pdf.pop()  # the body holds the only copy once it is built

        body = encode_multipart("BoUnDaRy", {"title": "50 MB", "file": Upload()})
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        resp = client.generic(
            "POST",
            "/contracts/new/",
            body,
            content_type=f"{MULTIPART_CONTENT[:19]}; boundary=BoUnDaRy",
        )
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
        version = DocumentVersion.objects.get()
        return {
            "status": resp.status_code,
            "size_mb": version.size / MB,
            "tracemalloc_peak_mb": peak / MB,
            "maxrss_growth_mb": grown / 1024,
        }


def child_previews() -> dict:
    import shutil
    import statistics
    import time
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        _setup(tmp)
        from django.core.files.uploadedfile import SimpleUploadedFile

        from chop.contracts import documents, previews

        user, company = _company()
        contract = documents.create_draft(
            company=company,
            user=user,
            title="100 pages",
            upload=SimpleUploadedFile("c.pdf", _pages(100), "application/pdf"),
        )
        version = contract.current_version()
        root = Path(tmp, "media", "contracts", "previews", str(version.pk))
        times = []
        for _ in range(3):
            shutil.rmtree(root, ignore_errors=True)
            t0 = time.perf_counter()
            written = previews.render_version(version)
            times.append(time.perf_counter() - t0)
            assert written == 200, written
        size = sum(p.stat().st_size for p in root.rglob("*.png"))
        return {"median_s": statistics.median(times), "images": 200, "mb": size / MB}


def run(bench: Bench) -> None:
    up = child("bench.contracts", "upload")
    assert up["status"] == 302, up
    bench.add(
        "contracts: 50 MB PDF upload through the view, peak memory (MB)",
        max(up["tracemalloc_peak_mb"], up["maxrss_growth_mb"]),
        target="≤ 200 MB",
        note=(
            f"{up['size_mb']:.1f} MB stored; Python peak {up['tracemalloc_peak_mb']:.1f} MB, "
            f"max RSS growth {up['maxrss_growth_mb']:.1f} MB (value in the ms column is MB)"
        ),
    )
    pv = child("bench.contracts", "previews")
    bench.add(
        "contracts: previews of 100 pages at 200 + 1000 px",
        pv["median_s"] * 1000,
        target="≤ 5000 ms",
        note=f"{pv['images']} PNGs, {pv['mb']:.1f} MB",
    )


if __name__ == "__main__":
    what = sys.argv[1]
    result = {"upload": child_upload, "previews": child_previews}[what]()
    print(json.dumps(result))

"""The public verification page: a 3-signature contract PDF checked as a visitor's upload.

Target: the page's report of a 3-signature PDF in ≤ 200 ms. Measured in a fresh child process
(``python -m bench.verifypage page``) with its own SQLite database, against the engine's own
``chop.pdfsign.verify`` on the same file as the reference:

* engine: ``pdfsign.verify`` of the file on disk, trust root given (what any caller pays);
* page service: ``evidence.verifying.check_path`` — the upload rules (type, nothing active or
  encrypted, page count), the verification, the labels and the known-document lookup;
* page request: a multipart POST to ``/verify-pdf/`` through Django's test client, as a browser
  sends it — upload parsing, the rate-limit counters, the temporary copy and the template.

The three signatures are B-T (company, company, person) made by the engine with a test PKI whose
root stands in for the platform root, so the chain is built and trusted as for a Chop contract.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile

from . import Bench, child


def _setup(tmp: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "chop.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = f"{tmp}/media"
    os.environ["CHOP_VAR_DIR"] = tmp
    os.environ["CHOP_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["CHOP_VERIFY_PDF_PER_IP"] = "1000000"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _three_signatures():
    """A 4-page contract signed B-T by two companies and a person, and the test root."""
    from tests.support.pdfsign_testing import TestPKI, demo_seal, make_pdf

    from chop import pdfsign as ps

    pki = TestPKI("Chop Bench Verify")
    ts = pki.timestamper()
    a = pki.issue_company("甲方科技有限公司", "9144030071526726XG").signer()
    b = pki.issue_company("乙方贸易有限公司", "91110000600037341L").signer()
    p = pki.issue_person("张三", "11010519491231002X").signer()
    doc = make_pdf(4, texts={3: [(90, 200, "Party A (Seal)")]})
    for signer, mark in (
        (a, ps.KeywordMark(demo_seal(40), "Party A (Seal)")),
        (b, ps.SingleMark(demo_seal(38), 1, 130, 220)),
        (p, ps.SingleMark(demo_seal(18), 4, 150, 230)),
    ):
        out = io.BytesIO()
        ps.sign(doc, out, signer=signer, marks=[mark], options=ps.SignOptions(timestamper=ts))
        doc = out.getvalue()
    return doc, pki.root_certificate


def child_page() -> dict:
    import logging
    from pathlib import Path
    from types import SimpleNamespace

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        _setup(tmp)
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client

        import chop.seals.issuance as issuance
        from chop import pdfsign as ps
        from chop.evidence import verifying

        doc, root = _three_signatures()
        issuance.platform_ca = lambda: SimpleNamespace(root_certificate=root)  # the stand-in root
        path = Path(tmp, "three.pdf")
        path.write_bytes(doc)

        report = ps.verify(path, [root])
        assert report.verdict == "valid", report.summary
        result = verifying.check_path(path)
        assert result.verdict == "valid" and len(result.rows) == 3, result.verdict
        client = Client()

        def request():
            resp = client.post(
                "/verify-pdf/", {"file": SimpleUploadedFile("three.pdf", doc, "application/pdf")}
            )
            assert resp.status_code == 200 and b'data-verdict="valid"' in resp.content

        request()
        engine = Bench.median_ms(lambda: ps.verify(path, [root]), repeat=15)
        service = Bench.median_ms(lambda: verifying.check_path(path), repeat=15)
        page = Bench.median_ms(request, repeat=15)
        # the reference again after ours: on a shared machine the first figure may pay for load
        # that the others do not; the lower of its two medians is the fairer reference
        engine = min(engine, Bench.median_ms(lambda: ps.verify(path, [root]), repeat=15))
        return {
            "engine_ms": engine,
            "service_ms": service,
            "request_ms": page,
            "size_kb": len(doc) / 1024,
        }


def run(bench: Bench) -> None:
    r = child("bench.verifypage", "page")
    note = f"3 B-T signatures, {r['size_kb']:.0f} KB, trusted root; fresh process"
    bench.add(
        "verify page: service (upload rules + verify + labels)",
        r["service_ms"],
        target="≤200 ms",
        reference="pdfsign.verify",
        reference_ms=r["engine_ms"],
        note=note,
    )
    bench.add(
        "verify page: POST /verify-pdf/ (multipart, limits, page)",
        r["request_ms"],
        target="≤200 ms",
        reference="pdfsign.verify",
        reference_ms=r["engine_ms"],
        note=note,
    )


if __name__ == "__main__":
    import json

    from chop.pdfsign import install_fast_reader

    install_fast_reader()  # as the app does
    what = sys.argv[1] if len(sys.argv) > 1 else "page"
    print(json.dumps({"page": child_page}[what]()))

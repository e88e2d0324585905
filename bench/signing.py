"""One signing act over HTTP: the POST of the signing page's form for a 10-page contract at B-T.

Measured in a fresh child process (``python -m bench.signing act``) with its own SQLite database,
media directory and platform CA, like ``bench.contracts``. Each act is a fresh party on a fresh
contract (so every act signs the same 10-page document, as the first signer would), with its
intent already confirmed (a ``SigningIntent`` row made beforehand, as the confirmation step
leaves it): the figure is the act itself, from request to redirect — permission and state checks
under the contract's row lock, consuming the confirmation, copying the current version out of
storage, marking and signing with the company certificate, the built-in TSA's timestamp,
storing the new version, the act row, the party's move and the audit records.

Target: p50 ≤ 150 ms over ≥ 20 acts (2 warm-up acts not counted). Reference, in the same
process on the same file, seal and certificate: the bare ``chop.pdfsign.sign`` call; the ratio
says how much the web layer and the bookkeeping around the engine cost.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

from . import Bench, child

ACTS = 25
WARMUP = 2
PAGES = 10


def _setup(tmp: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "chop.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = f"{tmp}/media"
    os.environ["CHOP_VAR_DIR"] = tmp
    os.environ["CHOP_PKI_DIR"] = f"{tmp}/pki"
    os.environ["CHOP_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _pdf() -> bytes:
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
        for i in range(PAGES)
    }
    return make_pdf(PAGES, texts=texts)


def child_act() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        _setup(tmp)
        from datetime import timedelta

        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client
        from django.utils import timezone

        from chop import pdfsign as ps
        from chop.accounts.models import User
        from chop.contracts import documents, signing
        from chop.contracts.models import Participant, Position, SigningIntent
        from chop.orgs.access import SESSION_KEY
        from chop.orgs.models import Company, Membership, Role
        from chop.pki.tsa import timestamper_for
        from chop.seals.issuance import ensure_official_seal, platform_ca

        user = User.objects.create_user("13900000000", "bench-pass-123", name="bench")
        company = Company.objects.create(
            name="基准测试有限公司", created_by=user, status="verified", uscc="91310000MA1FL8XQ37"
        )
        Membership.objects.create(company=company, user=user, role=Role.OWNER)
        seal = ensure_official_seal(company, by=user)
        pdf = _pdf()

        def fresh_party() -> Participant:
            contract = documents.create_draft(
                company=company,
                user=user,
                title="基准合同",
                upload=SimpleUploadedFile("c.pdf", pdf, "application/pdf"),
            )
            party = Participant.objects.create(
                contract=contract,
                position=0,
                kind="company",
                company=company,
                user=user,
                name=company.name,
                uscc=company.uscc,
                state="to_sign",
            )
            Participant.objects.create(
                contract=contract,
                position=1,
                kind="company",
                name="乙方有限公司",
                uscc="91440300MA5G2PLX9T",
                contact="13900000009",
            )
            Position.objects.create(
                participant=party, form="single", page=PAGES, x_mm=120, y_mm=220
            )
            contract.state = "signing"
            contract.save(update_fields=["state"])
            now = timezone.now()
            SigningIntent.objects.create(
                participant=party,
                user=user,
                method="password",
                confirmed_at=now,
                expires_at=now + timedelta(minutes=10),
            )
            return party

        parties = [fresh_party() for _ in range(ACTS + WARMUP)]
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = company.pk
        session.save()
        times = []
        for i, party in enumerate(parties):
            url = f"/contracts/{party.contract_id}/sign/"
            t0 = time.perf_counter()
            resp = client.post(url, {"party": party.pk, "seal": seal.pk})
            elapsed = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 302, resp.content[:2000]
            if i >= WARMUP:
                times.append(elapsed)

        # the reference: the bare engine call on the same file, seal and certificate
        ca = platform_ca()
        look = signing.appearance(seal)
        src = os.path.join(tmp, "ref.pdf")
        with open(src, "wb") as fh:
            fh.write(pdf)
        signer = ca.signer(int(seal.certificate.serial))
        tsa = timestamper_for(None, ca)

        def bare() -> None:
            ps.sign(
                src,
                os.path.join(tmp, "ref-out.pdf"),
                signer=signer,
                marks=[ps.SingleMark(look, page=PAGES, x_mm=120, y_mm=220)],
                options=ps.SignOptions(timestamper=tsa, level="B-T", field_name="ref"),
            )

        ref = Bench.median_ms(bare, repeat=ACTS, warmup=WARMUP)
        times.sort()
        return {
            "p50": statistics.median(times),
            "p90": times[int(round(0.9 * (len(times) - 1)))],
            "n": len(times),
            "reference": ref,
        }


def run(bench: Bench) -> None:
    r = child("bench.signing", "act")
    bench.add(
        "signing: one act over HTTP, 10 pages, B-T (p50)",
        r["p50"],
        target="≤ 150 ms",
        reference="chop.pdfsign.sign alone",
        reference_ms=r["reference"],
        note=f"p90 {r['p90']:.1f} ms over {r['n']} acts; intent confirmed beforehand",
    )


if __name__ == "__main__":
    from chop.pdfsign import install_fast_reader

    install_fast_reader()
    result = {"act": child_act}[sys.argv[1]]()
    print(json.dumps(result))

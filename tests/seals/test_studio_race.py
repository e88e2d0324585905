"""The studio under concurrency, with real threads on the real database (SQLite file or
PostgreSQL): one form submitted several times at once makes one seal; two legal-representative
designs at once leave exactly one active legal-representative seal."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from chop.orgs.models import Role
from chop.seals import studio
from chop.seals.models import Seal

N = 6


def _race(fn, n: int) -> list[str]:
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            result = fn(i)
        except studio.StudioError:
            result = "refused"
        except Exception as exc:  # anything else would be a 500
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


@pytest.fixture
def keeper_company(verified_company, make_user):
    keeper = make_user("keeper")
    return verified_company(members={keeper: Role.SEAL_KEEPER}), keeper


@pytest.mark.django_db(transaction=True)
def test_one_form_submitted_at_once_makes_one_seal(keeper_company):
    company, keeper = keeper_company
    kind = studio.KINDS["contract"]
    spec = studio.build_spec(kind, {"name": company.name, "size_mm": 40.0, "star": True})
    token = studio.new_form_token(company, keeper)
    code = studio.code_from_token(token, company, keeper)

    def submit(_i):
        seal, created = studio.create_seal(
            company=company, user=keeper, kind=kind, spec=spec, code=code
        )
        return f"{'created' if created else 'found'}:{seal.pk}"

    outcomes = _race(submit, N)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert sum(o.startswith("created") for o in outcomes) == 1
    assert len({o.split(":")[1] for o in outcomes}) == 1  # everyone lands on the same seal
    seals = Seal.objects.filter(company=company, origin="template")
    assert seals.count() == 1 and seals.get().code == code
    # no stray image files from the submits that lost
    folder = Path(seals.get().image.path).parent
    assert len(list(folder.glob("contract-*.png"))) == 1


@pytest.mark.django_db(transaction=True)
def test_two_legal_rep_designs_at_once_leave_one_active_seal(keeper_company, make_user):
    from chop.seals.issuance import ensure_legal_rep_seal

    company, keeper = keeper_company
    rep = make_user("张三")
    old = ensure_legal_rep_seal(company, rep, "张三", "110101199003071234", by=rep)
    kind = studio.KINDS["legal_rep_rect"]
    spec = studio.build_spec(kind, {"width_mm": 20.0, "height_mm": 10.0}, legal_rep_name="张三")

    def submit(_i):
        code = studio.code_from_token(studio.new_form_token(company, keeper), company, keeper)
        seal, _created = studio.create_seal(
            company=company, user=keeper, kind=kind, spec=spec, code=code
        )
        return "made"

    outcomes = _race(submit, 2)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert "made" in outcomes
    active = Seal.objects.filter(company=company, kind="legal_rep", status="active")
    assert active.count() == 1
    assert active.get().certificate == old.certificate and active.get().owner == rep
    old.refresh_from_db()
    assert old.status == "revoked"

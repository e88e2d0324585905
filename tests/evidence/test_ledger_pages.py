# ruff: noqa: F811  (pytest fixtures imported from the contracts tests)
"""The stamping log's pages: a record's proof (HTML and JSON), the tree heads, publishing on
demand and bundle export, for the owner, administrators and seal keepers of the record's company
only; and one sequencer at a time when many append at once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from chop import ledger
from chop.contracts.models import StampRecord
from chop.evidence import log
from chop.evidence.models import LogLeaf, TreeHead
from tests.concurrency import at_once
from tests.contracts.conftest import _commit_work_per_request  # noqa: F401
from tests.contracts.signing_support import root_pem, signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401

from .ledger_support import stamp

pytestmark = pytest.mark.django_db


def _trust():
    from cryptography import x509

    return x509.load_pem_x509_certificate(root_pem())


def _bundle(resp) -> dict:
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/json")
    return json.loads(b"".join(resp.streaming_content))


def test_the_keeper_sees_the_proof_of_a_record_once_a_head_covers_it(signing_world, login):
    w = signing_world
    _contract, act = stamp(w)
    rec = StampRecord.objects.get(act=act)
    client = login(w["a_keeper"], w["a"])
    url = reverse("stamp_proof", args=[rec.pk])
    page = client.get(url).content.decode()
    assert "Waiting to enter the log" in page or "等待" in page
    log.publish_head()
    resp = client.get(url)
    assert resp.status_code == 200
    assert b'data-testid="proof-ok"' in resp.content
    assert b'data-testid="publish-now"' not in resp.content  # keepers do not sign heads
    data = client.get(url, {"format": "json"}).json()
    head = ledger.TreeHead.from_json(data["head"])
    proof = [bytes.fromhex(h) for h in data["proof"]]
    digest = ledger.leaf_hash_of(data["record"])
    assert ledger.verify_inclusion(
        data["leaf"]["index"], head.tree_size, digest, proof, head.root_hash
    )
    assert data["record"]["id"] == rec.pk and data["verified"]["included"] is True


def test_members_and_other_companies_get_nothing(signing_world, login):
    w = signing_world
    _contract, act = stamp(w)
    rec = StampRecord.objects.get(act=act)
    for user, company in ((w["a_member"], w["a"]), (w["b_owner"], w["b"])):
        client = login(user, company)
        assert client.get(reverse("stamp_proof", args=[rec.pk])).status_code == 404
        assert client.get(reverse("ledger_bundle")).status_code == 404 or company == w["b"]
    member = login(w["a_member"], w["a"])
    assert member.get(reverse("ledger_heads")).status_code == 404
    assert member.post(reverse("ledger_publish")).status_code == 404
    # B's owner may export B's bundle: it holds none of A's records
    b_bundle = _bundle(login(w["b_owner"], w["b"]).get(reverse("ledger_bundle")))
    assert b_bundle["records"] == []


def test_an_admin_publishes_a_head_and_sees_it_listed(signing_world, login):
    w = signing_world
    stamp(w)
    stamp(w)
    keeper = login(w["a_keeper"], w["a"])
    assert keeper.post(reverse("ledger_publish")).status_code == 404
    assert TreeHead.objects.count() == 0
    owner = login(w["a_owner"], w["a"])
    empty = owner.get(reverse("ledger_heads")).content.decode()
    assert 'data-testid="no-heads"' in empty
    resp = owner.post(reverse("ledger_publish"), follow=True)
    head = TreeHead.objects.get()
    assert head.tree_size == 2
    from chop.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="ledger.head_published")
    assert (event.actor, event.company, event.data["size"]) == (w["a_owner"], w["a"], 2)
    page = resp.content.decode()
    assert head.root_hash[:20] in page and 'data-testid="heads-table"' in page
    assert LogLeaf.objects.count() == 2


def test_bundles_of_a_contract_and_of_a_date_range_verify_offline(signing_world, login, tmp_path):
    from chop.ledger.__main__ import main

    w = signing_world
    first, _ = stamp(w)
    second, _ = stamp(w)
    client = login(w["a_owner"], w["a"])
    everything = _bundle(client.get(reverse("ledger_bundle")))
    from chop.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="ledger.bundle_exported", company=w["a"]).count() == 1
    assert [r["leaf"]["contract"] for r in everything["records"]] == [first.pk, second.pk]
    assert ledger.verify_bundle(everything, trust=_trust()).ok

    one = _bundle(client.get(reverse("ledger_bundle"), {"contract": second.pk}))
    assert [r["leaf"]["contract"] for r in one["records"]] == [second.pk]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(one))
    (tmp_path / "root.pem").write_bytes(root_pem())
    assert main(["verify", str(path), "--trust", str(tmp_path / "root.pem")]) == 0

    today = timezone.localdate()
    same_day = _bundle(client.get(reverse("ledger_bundle"), {"from": today, "to": today}))
    assert len(same_day["records"]) == 2
    yesterday = today - dt.timedelta(days=1)
    none = _bundle(client.get(reverse("ledger_bundle"), {"to": yesterday.isoformat()}))
    assert none["records"] == [] and ledger.verify_bundle(none, trust=_trust()).ok
    assert client.get(reverse("ledger_bundle"), {"from": "yesterday"}).status_code == 400


def test_the_publish_log_command_appends_and_publishes(signing_world):
    from io import StringIO

    from django.core.management import call_command

    stamp(signing_world)
    out = StringIO()
    call_command("publish_log", "--now", stdout=out)
    head = TreeHead.objects.get()
    assert f"tree head of size 1: {head.root_hash}" in out.getvalue()
    call_command("publish_log", stdout=StringIO())  # enqueued (run at once in tests): no new head
    assert TreeHead.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_appenders_at_once_take_turns_and_number_every_record_once(signing_world, monkeypatch):
    import chop.evidence.signals

    monkeypatch.setattr(chop.evidence.signals, "enqueue_append", lambda: None)  # left pending
    for _ in range(6):
        stamp(signing_world)
    assert LogLeaf.objects.count() == 0
    results = at_once(4, lambda i: log.append_pending(limit=2))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 6
    indexes = sorted(LogLeaf.objects.values_list("index", flat=True))
    assert indexes == list(range(6))
    heads = at_once(3, lambda i: log.publish_head().tree_size)
    assert heads == [6, 6, 6] and TreeHead.objects.count() == 1
    t = log.tree()
    leaves = [
        bytes.fromhex(h)
        for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    assert t.root() == ledger.root_from_leaves(leaves)
    assert TreeHead.objects.get().root_hash == t.root().hex()

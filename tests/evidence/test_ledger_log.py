# ruff: noqa: F811  (pytest fixtures imported from the contracts tests)
"""The stamping log in the app: records appended after their act commits, one sequencer at a
time, signed and timestamped heads, and bundles that the offline verifier accepts, until someone
with database access rewrites a record or a hash."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import DatabaseError, connection, transaction

from chop import ledger
from chop.contracts.models import StampRecord
from chop.evidence import ledger_views as log_views
from chop.evidence import log
from chop.evidence.models import LogLeaf, LogNode, TreeHead
from tests.contracts.conftest import _commit_work_per_request  # noqa: F401
from tests.contracts.signing_support import root_pem, signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401

from .ledger_support import stamp

pytestmark = pytest.mark.django_db


def _bundle(records=None) -> dict:
    records = StampRecord.objects.all() if records is None else records
    return json.loads("".join(log.stream_bundle(records)))


def _trust():
    from cryptography import x509

    return x509.load_pem_x509_certificate(root_pem())


def test_a_record_is_appended_once_its_act_commits(
    signing_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _contract, act = stamp(signing_world)
    rec = StampRecord.objects.get(act=act)
    leaf = LogLeaf.objects.get(record=rec)
    assert leaf.index == 0
    assert leaf.leaf_hash == ledger.leaf_hash_of(rec.leaf()).hex()
    assert log.append_pending() == 0  # nothing left: appending again does nothing


def test_heads_are_signed_timestamped_and_only_grow(signing_world):
    for _ in range(3):
        stamp(signing_world)
    assert log.append_pending() == 3
    first = log.publish_head()
    assert first.tree_size == 3
    assert log.publish_head().pk == first.pk  # nothing new: the same head
    stamp(signing_world)
    second = log.publish_head()
    assert second.tree_size == 4
    t = log.tree()
    assert t.root(3).hex() == first.root_hash and t.root(4).hex() == second.root_hash
    proof = t.consistency_proof(3, 4)
    assert ledger.verify_consistency(
        3, 4, proof, bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash)
    )
    # the stored subtree hashes give the same root as hashing every leaf again
    leaves = [bytes.fromhex(h) for h in LogLeaf.objects.values_list("leaf_hash", flat=True)]
    assert ledger.root_from_leaves(leaves).hex() == second.root_hash
    head = log.head_of(second)
    _time, tsa_cert = ledger.check_timestamp(head.tsa_token, head.to_sign())
    assert "Time Stamping" in tsa_cert.subject.rfc4514_string()


def test_a_bundle_verifies_offline_and_matches_the_signed_pdf(signing_world, tmp_path):
    from tests.contracts.signing_support import latest_file

    contract, _act = stamp(signing_world)
    stamp(signing_world)
    bundle = _bundle()
    report = ledger.verify_bundle(
        bundle, trust=_trust(), pdfs=[("signed.pdf", latest_file(contract, tmp_path).read_bytes())]
    )
    assert report.ok, report.lines
    assert report.records_ok == 2
    assert any("signed.pdf: the signed PDF of record" in line for line in report.lines)


def test_the_cli_checks_a_bundle_and_names_an_altered_record(signing_world, tmp_path, capsys):
    from chop.ledger.__main__ import main

    stamp(signing_world)
    stamp(signing_world)
    bundle = _bundle()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    (tmp_path / "root.pem").write_bytes(root_pem())
    assert main(["verify", str(path), "--trust", str(tmp_path / "root.pem")]) == 0
    assert "2 record(s) proved; all checks pass" in capsys.readouterr().out

    second = bundle["records"][1]
    second["leaf"]["ip"] = "203.0.113.9"  # edited in the exported file
    path.write_text(json.dumps(bundle))
    assert main(["verify", str(path), "--trust", str(tmp_path / "root.pem")]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  record {second['leaf']['id']} (leaf 1): its data does not hash" in out
    assert f"OK    record {bundle['records'][0]['leaf']['id']} (leaf 0)" in out


def _lift(table: str, drops: list[str]) -> None:
    """What an attacker with database access does first: lift the append-only triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the test's open transaction holds deferred foreign-key checks: run them first
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for sql in drops:
                cursor.execute(sql)


def test_tampering_with_a_stored_record_is_named_by_the_verifier(signing_world):
    import importlib

    contracts_0006 = importlib.import_module("chop.contracts.migrations.0006_stamp_record")
    for _ in range(3):
        stamp(signing_world)
    assert ledger.verify_bundle(_bundle(), trust=_trust()).ok
    victim = StampRecord.objects.order_by("pk")[1]

    _lift(contracts_0006.TABLE, contracts_0006.SQLITE_DROP)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {contracts_0006.TABLE} SET ip = %s WHERE id = %s", ["198.51.100.1", victim.pk]
        )
    report = ledger.verify_bundle(_bundle(), trust=_trust())
    assert not report.ok
    assert report.failures == [
        f"record {victim.pk} (leaf 1): its data does not hash to the leaf the log holds (altered)"
    ]
    # the record's proof page says so too
    victim = StampRecord.objects.get(pk=victim.pk)
    assert log_views._proof_data(victim)["verified"] == {
        "record_matches_leaf": False,
        "included": False,
    }


def test_rewriting_a_leaf_hash_breaks_the_proofs_against_published_heads(signing_world):
    import importlib

    m = importlib.import_module("chop.evidence.migrations.0002_stamping_log")
    for _ in range(3):
        stamp(signing_world)
    log.publish_head()
    victim = StampRecord.objects.order_by("pk")[2]
    # The attacker rewrites the record *and* its leaf hash so the two agree again...
    import importlib as il

    c = il.import_module("chop.contracts.migrations.0006_stamp_record")
    _lift(c.TABLE, c.SQLITE_DROP)
    _lift("evidence_logleaf", m.SQLITE_DROP)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {c.TABLE} SET ip = %s WHERE id = %s", ["198.51.100.1", victim.pk])
    victim = StampRecord.objects.get(pk=victim.pk)
    forged = ledger.leaf_hash_of(victim.leaf()).hex()
    LogLeaf.objects.filter(record=victim).update(leaf_hash=forged)
    report = ledger.verify_bundle(_bundle(), trust=_trust())
    # ...but the signed, timestamped head still commits to the old hash: the victim's proof
    # fails, and so do the others', whose paths now pass through the forged hash.
    assert f"record {victim.pk} (leaf 2): its inclusion proof fails against the head of size 3" in (
        report.failures
    )
    assert len(report.failures) == 3 and report.records_ok == 0


def test_rewriting_history_breaks_consistency_between_heads(signing_world):
    for _ in range(2):
        stamp(signing_world)
    log.publish_head()
    stamp(signing_world)
    log.publish_head()
    bundle = _bundle()
    assert ledger.verify_bundle(bundle, trust=_trust()).ok
    bundle["consistency"][0]["proof"][0] = "00" * 32
    report = ledger.verify_bundle(bundle, trust=_trust())
    assert report.failures == ["heads 2 → 3: NOT consistent: the log was rewritten"]


def test_a_head_with_a_forged_root_is_refused(signing_world):
    stamp(signing_world)
    bundle = _bundle()
    bundle["heads"][0]["root_hash"] = "11" * 32
    report = ledger.verify_bundle(bundle, trust=_trust())
    assert any(
        "tree head of size 1" in f and "signature does not match" in f for f in report.failures
    )


def test_the_log_tables_are_append_only(signing_world):
    stamp(signing_world)
    log.publish_head()
    for model in (LogLeaf, TreeHead):
        with pytest.raises(DatabaseError), transaction.atomic():
            model.objects.update(created_at=None) if model is TreeHead else model.objects.update(
                leaf_hash="00"
            )
        with pytest.raises(DatabaseError), transaction.atomic():
            model.objects.all().delete()
    assert LogNode.objects.count() == 0  # one leaf: no node above it yet


def test_the_verifier_runs_offline_without_django(signing_world, tmp_path):
    """``python -m chop.ledger verify`` in a fresh process with no Django settings: the bundle,
    the root and the signed PDF are all it needs."""
    import os
    import subprocess
    import sys

    from tests.contracts.signing_support import latest_file

    contract, _act = stamp(signing_world)
    (tmp_path / "bundle.json").write_text(json.dumps(_bundle()))
    (tmp_path / "root.pem").write_bytes(root_pem())
    pdf = latest_file(contract, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    args = [sys.executable, "-m", "chop.ledger", "verify", "bundle.json", "--trust", "root.pem"]
    done = subprocess.run(
        [*args, "--pdf", str(pdf)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 record(s) proved; all checks pass" in done.stdout
    assert f"{pdf}: the signed PDF of record" in done.stdout
    other = tmp_path / "other.pdf"
    other.write_bytes(pdf.read_bytes() + b"\n% appended\n")
    done = subprocess.run(
        [*args, "--pdf", str(other)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "is the signed PDF of no verified record here" in done.stdout


def test_a_bundle_carries_the_first_head_of_each_record_and_the_newest(signing_world):
    for _ in range(4):
        stamp(signing_world)
        log.publish_head()  # heads of sizes 1, 2, 3, 4
    second = StampRecord.objects.order_by("pk")[1]
    bundle = _bundle(StampRecord.objects.filter(pk=second.pk))
    assert [h["tree_size"] for h in bundle["heads"]] == [2, 4]
    assert [(c["first"], c["second"]) for c in bundle["consistency"]] == [(2, 4)]
    report = ledger.verify_bundle(bundle, trust=_trust())
    assert report.ok, report.lines
    head2 = TreeHead.objects.get(tree_size=2)
    since = f"in the log since {head2.tsa_time.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
    assert any(f"record {second.pk} (leaf 1)" in line and since in line for line in report.lines)


def test_a_records_proof_for_the_evidence_report(signing_world):
    _contract, act = stamp(signing_world)
    stamp(signing_world)
    rec = StampRecord.objects.get(act=act)
    assert log.proof_for(rec) is None  # no head yet: "pending publication"
    log.publish_head()
    proof = log.proof_for(rec)
    assert (proof["leaf_index"], proof["tree_size"]) == (0, 2)
    assert ledger.verify_inclusion(
        0,
        2,
        ledger.leaf_hash_of(rec.leaf()),
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(proof["root_hash"]),
    )
    json.dumps(proof)  # plain JSON, as the report embeds it


def test_an_append_already_waiting_in_the_database_queue_is_not_queued_again(settings):
    """Every stamping record asks for an append; one queued and not started takes them all, so
    at many stamps a second the queue keeps one, not one per stamp."""
    from django_tasks_db.models import DBTaskResult

    from chop.evidence.log_tasks import append_to_log, enqueue_append

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    appends = DBTaskResult.objects.filter(task_path=append_to_log.module_path)
    enqueue_append()
    enqueue_append()
    assert appends.count() == 1
    appends.update(status="RUNNING")  # a worker took it: records after this need another
    enqueue_append()
    enqueue_append()
    assert appends.count() == 2 and appends.filter(status="READY").count() == 1

"""What the CA in the database costs a signing act: one query (the certificate's entry, for
revocation and expiry), whatever the index holds; certificates and keys stay loaded."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chop.contracts import signing
from tests.grants.test_autosign import authorise, world  # noqa: F401  (fixture)
from tests.grants.test_autosign_end_to_end import _contract

pytestmark = pytest.mark.django_db


def test_an_auto_sign_act_reads_the_ca_once(world, login):  # noqa: F811
    client = login(world["owner"], world["company"])
    authorise(client, world["seal"], world["owner"])
    _first, party = _contract(world)
    signing.sign_auto(party, seal=world["seal"])  # warm: the signer and the TSA are loaded
    _second, party = _contract(world)

    with CaptureQueriesContext(connection) as queries:
        signing.sign_auto(party, seal=world["seal"])

    ca_queries = [q["sql"] for q in queries if "pkistate" in q["sql"]]
    if os.environ.get("CHOP_PRINT_QUERIES"):
        print(f"\nstatements in one sign_auto: {len(queries)}, of them the CA's: {len(ca_queries)}")
    assert len(ca_queries) == 1, ca_queries

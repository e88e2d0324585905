"""Copy recipients (抄送): on completion each is sent their own link to the signed PDF, which
works without an account, for that contract and address only, for 30 days."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.core import signing
from django.test import Client

from chop.contracts import notify
from chop.contracts.models import Contract

from .signing_support import add_party, send, sign_as, upload

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://\S+/contracts/copy/([^/\s]+)/")


def _completed(w, outbox, copy_to):
    contract = upload(w["a"], w["a_owner"], pages=1, title="租赁合同")
    contract.copy_recipients = copy_to
    contract.save()
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    pb = add_party(contract, company=w["b"])
    send(contract, w["a_owner"])
    sign_as(pa, w["a_keeper"])
    outbox.clear()
    sign_as(pb, w["b_owner"])
    contract.refresh_from_db()
    assert contract.state == Contract.State.COMPLETED
    return contract


def _links(outbox, address):
    return [LINK.search(body).group(1) for to, _s, body in outbox if to == address]


def test_each_copy_recipient_gets_a_working_link(signing_world, sent):
    w = signing_world
    contract = _completed(w, sent, ["finance@example.com", "13900001111"])
    final = contract.current_version()
    for address in ["finance@example.com", "13900001111"]:
        [token] = _links(sent, address)
        r = Client().get(f"/contracts/copy/{token}/")
        assert r.status_code == 200
        assert r["Content-Type"] == "application/pdf"
        assert r["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in r["Content-Disposition"]
        body = b"".join(r.streaming_content)
        assert hashlib.sha256(body).hexdigest() == final.sha256 and final.number == 3


def test_no_copy_is_sent_before_completion(signing_world, sent):
    w = signing_world
    contract = upload(w["a"], w["a_owner"], pages=1)
    contract.copy_recipients = ["finance@example.com"]
    contract.save()
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    add_party(contract, company=w["b"])
    send(contract, w["a_owner"])
    sign_as(pa, w["a_keeper"])
    assert not [m for m in sent if m[0] == "finance@example.com"]
    token = notify.copy_token(contract, "finance@example.com")
    r = Client().get(f"/contracts/copy/{token}/")
    assert r.status_code == 404  # not completed: nothing to hand out yet
    assert b"finance" not in r.content


def test_forged_expired_and_dropped_links_are_refused(signing_world, sent, monkeypatch):
    w = signing_world
    contract = _completed(w, sent, ["finance@example.com"])
    [token] = _links(sent, "finance@example.com")
    # another address forged into a token signed with another salt: invalid
    forged = signing.dumps({"c": contract.pk, "to": "x@example.com"}, salt="chop.contracts.invite")
    r = Client().get(f"/contracts/copy/{forged}/")
    assert r.status_code == 404
    assert "copy-unavailable" in r.content.decode()
    # a properly signed token for an address not on the copy list
    other = notify.copy_token(contract, "x@example.com")
    assert Client().get(f"/contracts/copy/{other}/").status_code == 404
    # expired: 31 days later
    real_time = signing.time.time
    monkeypatch.setattr(
        signing.time,
        "time",
        lambda: real_time() + datetime.timedelta(days=31).total_seconds(),
    )
    r = Client().get(f"/contracts/copy/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404
    assert "expired" in r.content.decode()

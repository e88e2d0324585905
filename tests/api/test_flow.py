"""The whole flow over HTTP only, as an integrator's system does it, against a live server.

Set-up (the only part that is not the API): company A (the initiator) and company B (the
counterparty), each verified with its seals and certificates, each with an active auto-sign
authorisation (A for its official seal, B for its contract seal), an API key and a webhook
endpoint at a receiver this test runs on 127.0.0.1.

Then, with ``requests`` and the keys alone: A uploads a PDF that names the parties' signing
places, adds itself and B, places B by keyword (the hits come back) and itself by coordinates,
sends; A auto-signs, B finds its seal and auto-signs (retried with the same Idempotency-Key: the
stored answer, no second stamp); the contract is completed; every webhook that arrived, at both
endpoints, verifies with the ``standardwebhooks`` package; A asks for the evidence report, polls
until it is ready and downloads it; A downloads the final PDF and has ``POST /verify`` check it.
The final PDF is checked again by pdfsig (valid and trusted against the platform root in an NSS
database) and by pyHanko's own validator with the platform root as the only trust anchor.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from standardwebhooks import Webhook

from tests.contracts.conftest import pdf_pages
from tests.contracts.signing_support import official_seal, root_certificate, root_pem
from tests.grants.authorisation_support import autosign
from tests.seals.conftest import verified_company  # noqa: F401
from tests.seals.test_pages import _uploaded

pytestmark = pytest.mark.django_db(transaction=True)

B_PLACE = "乙方（盖章）"


class Receiver:
    """An HTTP server on 127.0.0.1 that answers 204 and keeps every request it got."""

    def __init__(self):
        self.got: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.got.append(
                        {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.got if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.CHOP_WEBHOOK_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def parties(verified_company, make_user, make_key, receiver):  # noqa: F811
    from chop.api.models import WebhookEndpoint
    from chop.api.webhooks.secrets import new_secret

    out = {}
    for name, company_name in (("a", "甲方科技有限公司"), ("b", "乙方贸易有限公司")):
        owner = make_user(f"{company_name[:2]}老板")
        company = verified_company(company_name, owner=owner)
        if name == "a":
            seal = official_seal(company)
        else:
            seal = _uploaded(company, kind="contract", name="合同专用章", by=owner)
        autosign(seal, owner, daily_cap=10)
        _key, raw = make_key(company, owner)
        endpoint = WebhookEndpoint.objects.create(
            company=company,
            url=f"{receiver.url}/{name}",
            secret=new_secret(),
            created_by=owner,
        )
        out[name] = {
            "company": company,
            "owner": owner,
            "seal": seal,
            "raw": raw,
            "endpoint": endpoint,
        }
    return out


class Client:
    """One integrator's HTTP client: its key on every call, an Idempotency-Key on every POST."""

    def __init__(self, base: str, raw: str):
        self.base = base + "/api/v1"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {raw}", "Accept-Language": "en"})

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.base + path, timeout=60, **kw)

    def post(self, path: str, *, key: str | None = None, **kw) -> requests.Response:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        return self.session.post(self.base + path, headers=headers, timeout=120, **kw)


def ok(resp: requests.Response, status: int) -> dict:
    assert resp.status_code == status, (resp.request.method, resp.url, resp.status_code, resp.text)
    return resp.json()


def _contract_pdf() -> bytes:
    """Two pages; the last names both parties' signing places."""
    return pdf_pages(
        2,
        texts={
            0: [(60, 760, "采购合同"), (60, 720, "甲乙双方就采购事宜达成如下协议。")],
            1: [(60, 300, "甲方（盖章）"), (320, 300, B_PLACE)],
        },
    )


def _wait(predicate, seconds: float = 30.0, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while True:
        found = predicate()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(step)


def test_from_upload_to_a_verified_evidenced_pdf_over_the_api_only(
    live_server, parties, receiver, tmp_path, nss_db
):
    a_info, b_info = parties["a"], parties["b"]
    a = Client(live_server.url, a_info["raw"])
    b = Client(live_server.url, b_info["raw"])

    # A: the contract from a PDF, its parties, their places, sent
    contract = ok(
        a.post(
            "/contracts",
            data={"title": "采购合同（接口）", "contract_type": "采购合同", "order": "sequential"},
            files={"file": ("合同.pdf", _contract_pdf(), "application/pdf")},
        ),
        201,
    )
    cid = contract["id"]
    assert contract["state"] == "draft" and contract["versions"][0]["page_count"] == 2

    mine = ok(a.post(f"/contracts/{cid}/participants", json={"kind": "initiator"}), 201)
    theirs = ok(
        a.post(
            f"/contracts/{cid}/participants",
            json={
                "kind": "company",
                "name": b_info["company"].name,
                "uscc": b_info["company"].uscc,
                "contact": b_info["owner"].phone,
            },
        ),
        201,
    )
    assert theirs["company_id"] == b_info["company"].pk

    placed = ok(
        a.post(
            f"/contracts/{cid}/participants/{theirs['id']}/positions",
            json={"form": "keyword", "keyword": B_PLACE},
        ),
        201,
    )
    assert placed["position"]["form"] == "keyword" and placed["position"]["keyword"] == B_PLACE
    assert [h["page"] for h in placed["hits"]] == [2], placed["hits"]
    own_place = ok(
        a.post(
            f"/contracts/{cid}/participants/{mine['id']}/positions",
            json={"form": "single", "page": 2, "x_mm": 30, "y_mm": 180},
        ),
        201,
    )
    assert own_place["position"]["page"] == 2 and own_place["hits"] == []

    sent = ok(a.post(f"/contracts/{cid}/send"), 200)
    assert sent["state"] == "signing"

    # A stamps first (in order), under its own auto-sign authorisation
    a_act = ok(
        a.post(f"/contracts/{cid}/auto-sign", json={"seal_id": a_info["seal"].pk}),
        201,
    )
    assert a_act["act"]["participant_id"] == mine["id"]
    assert a_act["act"]["authorisation_kind"] == "autosign"
    assert a_act["contract"]["state"] == "signing"

    # B: sees the contract it is a party to, picks its contract seal, stamps
    seen = ok(b.get(f"/contracts/{cid}"), 200)
    b_party = next(p for p in seen["participants"] if p["company_id"] == b_info["company"].pk)
    assert b_party["state"] == "to_sign"
    seals = ok(b.get("/seals", params={"kind": "contract"}), 200)["items"]
    (b_seal,) = [s for s in seals if s["status"] == "active"]
    key = uuid.uuid4().hex
    body = {"seal_id": b_seal["id"], "participant_id": b_party["id"]}
    first = b.post(f"/contracts/{cid}/auto-sign", key=key, json=body)
    b_act = ok(first, 201)
    assert b_act["contract"]["state"] == "completed"
    assert b_act["act"]["seal_id"] == b_info["seal"].pk

    # a retry of the same request (a lost answer): the stored answer, not a second stamp
    again = b.post(f"/contracts/{cid}/auto-sign", key=key, json=body)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == b_act
    from chop.contracts.models import SigningAct, StampRecord

    assert SigningAct.objects.filter(contract_id=cid).count() == 2
    assert StampRecord.objects.filter(contract_id=cid).count() == 2

    done = ok(a.get(f"/contracts/{cid}"), 200)
    assert done["state"] == "completed" and done["finished_at"]
    assert {p["state"] for p in done["participants"]} == {"signed"}

    # A: the evidence report, asked for, polled until ready, downloaded
    asked = ok(a.post(f"/contracts/{cid}/evidence"), 202)
    report = _wait(
        lambda: (r := ok(a.get(f"/evidence/{asked['id']}"), 200))["state"] != "pending" and r,
        seconds=120,
        step=0.5,
    )
    assert report and report["state"] == "ready", report
    evidence = a.get(f"/evidence/{asked['id']}/file")
    assert evidence.status_code == 200
    assert evidence.headers["Content-Type"].startswith("application/pdf")
    assert evidence.content.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(evidence.content).hexdigest() == report["sha256"]

    # A: the final PDF, verified by the platform over the API...
    final = a.get(f"/contracts/{cid}/file")
    assert final.status_code == 200 and final.content.startswith(b"%PDF")
    path = tmp_path / "final.pdf"
    path.write_bytes(final.content)
    verdict = ok(
        a.post("/verify", files={"file": ("final.pdf", final.content, "application/pdf")}), 200
    )
    assert verdict["verdict"] == "valid", verdict
    assert len(verdict["signatures"]) == 2

    # ... by pdfsig, offline, trusting the platform root only ...
    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db(root_pem()), "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
    )
    text = out.stdout + out.stderr
    assert len(re.findall(r"Signature Validation: Signature is Valid\.", text)) == 2, text
    assert len(re.findall(r"Certificate Validation: Certificate is Trusted\.", text)) == 2, text

    # ... and by pyHanko's validator, the platform root the only trust anchor
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.pdfsign.verify import _load_roots

    reader = PdfFileReader(io.BytesIO(final.content), strict=False)
    assert len(reader.embedded_signatures) == 2
    for sig in reader.embedded_signatures:
        status = validate_pdf_signature(
            sig,
            signer_validation_context=ValidationContext(
                trust_roots=_load_roots([root_certificate()])
            ),
            diff_policy=DEFAULT_DIFF_POLICY,
        )
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()

    # the webhooks: both companies' endpoints got the contract's events, and every single
    # delivery verifies with the standardwebhooks package under that endpoint's secret
    def types(name: str) -> set[str]:
        return {json.loads(r["body"])["type"] for r in receiver.at(f"/{name}")}

    a_wanted = {"contract.sent", "stamp.applied", "contract.completed", "evidence.ready"}
    b_wanted = {"stamp.applied", "contract.completed"}
    assert _wait(lambda: a_wanted <= types("a") and b_wanted <= types("b")), (
        types("a"),
        types("b"),
    )
    for name in ("a", "b"):
        verifier = Webhook(parties[name]["endpoint"].secret)
        deliveries = receiver.at(f"/{name}")
        assert deliveries
        for r in deliveries:
            payload = verifier.verify(r["body"], r["headers"])
            assert set(payload) == {"type", "timestamp", "data"}
            assert payload["data"].get("contract_id", cid) == cid
            assert "http" not in r["body"].decode() and "token" not in r["body"].decode()
        completed = [
            json.loads(r["body"])
            for r in deliveries
            if json.loads(r["body"])["type"] == "contract.completed"
        ]
        assert len(completed) == 1 and completed[0]["data"]["contract_id"] == cid
    # one stamp.applied per stamp, each to the stamping company only
    assert sum(json.loads(r["body"])["type"] == "stamp.applied" for r in receiver.at("/a")) == 1
    assert sum(json.loads(r["body"])["type"] == "stamp.applied" for r in receiver.at("/b")) == 1


@pytest.mark.django_db(transaction=False)
def test_a_key_with_only_the_stamping_scope_gets_the_act_it_made(
    verified_company,  # noqa: F811
    make_user,
    make_key,
    api_client,
):
    """An ERP's auto-sign key needs no other scope: the answer to the stamp it made is a 201 with
    the act and the contract, never a refusal after the stamp is in the PDF."""
    from chop.contracts.models import Position, SigningAct
    from tests.contracts.signing_support import add_party, send, upload

    a_owner, b_owner = make_user("甲方老板"), make_user("乙方老板")
    a = verified_company("甲方科技有限公司", owner=a_owner)
    b = verified_company("乙方贸易有限公司", owner=b_owner)
    seal = official_seal(b)
    autosign(seal, b_owner)
    contract = upload(a, a_owner)
    contract.order = "parallel"  # B signs now, before A
    contract.save()
    add_party(contract, company=a)
    party = add_party(contract, company=b)
    for p, x in ((contract.participants.get(company=a), 30), (party, 120)):
        Position.objects.create(participant=p, form="single", page=2, x_mm=x, y_mm=200)
    send(contract, a_owner)
    _key, raw = make_key(b, b_owner, scopes=["stamping"])
    api = api_client(raw, "en")

    resp = api.post(
        f"/api/v1/contracts/{contract.pk}/auto-sign",
        {"seal_id": seal.pk},
        headers={"Idempotency-Key": "erp-stamp-1"},
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["act"]["participant_id"] == party.pk
    assert body["contract"]["id"] == contract.pk and body["contract"]["state"] == "signing"
    assert SigningAct.objects.filter(contract=contract).count() == 1

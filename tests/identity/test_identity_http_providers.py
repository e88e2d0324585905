"""HTTP providers against a real local server: success, refusal, timeouts, 5xx, malformed replies.

The rule under test throughout: nothing but a well-formed, matching "verified" reply is VERIFIED.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time

import pytest
from identity_http_stub import Reply, Seen, StubServer, echo

from chop.identity import (
    CompanyClaim,
    Outcome,
    PersonClaim,
    TransferRequest,
    TransferStatus,
    provider_from_config,
)

ID = "11010519491231002X"
USCC = "9144030071526726XG"


def http(kind: str, stub: StubServer, **options):
    config = {"backend": "http", "url": stub.url, "token": "t0ken", "timeout": 0.2,
              "retries": 2, "backoff": 0.01, **options}  # fmt: skip
    return provider_from_config(kind, config)


def person(**changes) -> PersonClaim:
    return PersonClaim(**{"name": "张三", "id_number": ID, "phone": None, **changes})


def test_verified_reply_is_verified_and_request_is_as_documented(stub: StubServer) -> None:
    stub.reply_with(echo(result="verified", reference="TX-1"))
    result = http("identity", stub).verify_person(
        person(id_number="110105 19491231 002x", phone="+86 138-0013-8000")
    )
    assert result.status is Outcome.VERIFIED and result.verified
    assert result.reference == "TX-1" and result.attempts == 1 and result.provider == "http"
    [seen] = stub.seen
    body = seen.json
    assert body["kind"] == "person" and body["name"] == "张三"
    assert body["id_number"] == ID and body["phone"] == "13800138000"  # normalised before sending
    assert seen.headers["Authorization"] == "Bearer t0ken"
    assert seen.headers["Idempotency-Key"] == body["request_id"]
    assert seen.headers["Content-Type"].startswith("application/json")


def test_refused_reply_carries_the_reason(stub: StubServer) -> None:
    stub.reply_with(echo(result="refused", reason="name_mismatch", message="姓名与号码不一致"))
    result = http("identity", stub).verify_person(person())
    assert result.status is Outcome.REFUSED and not result.verified
    assert result.reason_code == "name_mismatch"
    assert "姓名与号码不一致" in result.message_zh


def test_provider_may_ask_for_review(stub: StubServer) -> None:
    stub.reply_with(echo(result="needs_review", reason="photo_required"))
    result = http("identity", stub).verify_person(person())
    assert result.status is Outcome.NEEDS_REVIEW and result.reason_code == "photo_required"


def test_locally_invalid_claims_are_refused_without_a_request(stub: StubServer) -> None:
    stub.reply_with(echo(result="verified", reference="TX"))
    provider = http("identity", stub)
    for claim, reason in [
        (person(id_number="110105194912310021"), "bad_check_digit"),
        (person(name="  "), "empty_name"),
        (person(phone="12345"), "wrong_length"),
    ]:
        result = provider.verify_person(claim)
        assert result.status is Outcome.REFUSED and result.reason_code == reason
        assert result.provider == "local"
    registry = http("registry", stub)
    result = registry.verify_company(CompanyClaim("某某公司", "9144030071526726XH"))
    assert result.status is Outcome.REFUSED and result.reason_code == "bad_check_digit"
    assert stub.seen == []


def test_timeout_is_retried_then_error(stub: StubServer) -> None:
    stub.reply_with(lambda r: Reply(200, {"request_id": r.json["request_id"], "result": "verified",
                                          "reference": "late"}, delay=0.6))  # fmt: skip
    started = time.monotonic()
    result = http("identity", stub, retries=1).verify_person(person())
    elapsed = time.monotonic() - started
    assert result.status is Outcome.ERROR and result.retryable
    assert result.reason_code == "timeout" and result.attempts == 2
    assert elapsed < 2.0
    # Both tries reached the server with the same idempotency key.
    deadline = time.monotonic() + 1
    while len(stub.seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len({s.headers["Idempotency-Key"] for s in stub.seen}) == 1


def test_5xx_is_retried_and_a_later_success_counts(stub: StubServer) -> None:
    stub.reply_with(lambda r: Reply(503, b"busy"), echo(result="verified", reference="TX-2"))
    result = http("identity", stub).verify_person(person())
    assert result.status is Outcome.VERIFIED and result.attempts == 2
    assert stub.seen[0].json["request_id"] == stub.seen[1].json["request_id"]


def test_persistent_5xx_ends_in_error_after_all_retries(stub: StubServer) -> None:
    stub.reply_with(
        lambda r: Reply(500, {"request_id": r.json["request_id"], "result": "verified"})
    )
    result = http("registry", stub, retries=2).verify_company(CompanyClaim("某某公司", USCC))
    assert result.status is Outcome.ERROR and result.reason_code == "server_error"
    assert result.attempts == 3 and len(stub.seen) == 3
    assert "500" in result.message_en


@pytest.mark.parametrize("status", [201, 202, 204, 301, 302, 400, 401, 403, 404, 429])
def test_other_statuses_are_errors_without_retry(stub: StubServer, status: int) -> None:
    headers = {"Location": "http://127.0.0.1:9/elsewhere"} if 300 <= status < 400 else {}
    stub.reply_with(lambda r: Reply(status, {"request_id": r.json["request_id"],
                                             "result": "verified", "reference": "x"}, headers))  # fmt: skip
    result = http("identity", stub).verify_person(person())
    assert result.status is Outcome.ERROR and result.reason_code == "unexpected_status"
    assert len(stub.seen) == 1


def test_connection_refused_is_retried_then_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens there
    provider = provider_from_config(
        "identity",
        {"backend": "http", "url": f"http://127.0.0.1:{port}/", "token": "t", "timeout": 0.2,
         "retries": 1, "backoff": 0.01},
    )  # fmt: skip
    result = provider.verify_person(person())
    assert result.status is Outcome.ERROR and result.reason_code == "connection_failed"
    assert result.attempts == 2


def _raw(body: bytes):
    return lambda r: Reply(200, body)


def _json(fields: dict | None = None, *, echo_id: bool = True, drop: str | None = None):
    def respond(r: Seen) -> Reply:
        data = {"request_id": r.json["request_id"], "result": "verified", "reference": "TX"}
        if not echo_id:
            data["request_id"] = "someone-else"
        data.update(fields or {})
        if drop:
            data.pop(drop)
        return Reply(200, data)

    return respond


MALFORMED = {
    "not json": _raw(b"verified"),
    "html error page": _raw(b"<html><body>OK</body></html>"),
    "empty body": _raw(b""),
    "json array": _raw(b'["verified"]'),
    "json string": _raw(b'"verified"'),
    "not utf-8": _raw('{"result": "verified"}'.encode("utf-16")),
    "request_id missing": _json(drop="request_id"),
    "request_id of another request": _json(echo_id=False),
    "result missing": _json(drop="result"),
    "result not a string": _json({"result": True}),
    "result unknown": _json({"result": "ok"}),
    "result in capitals": _json({"result": "VERIFIED"}),
    "verified without reference": _json(drop="reference"),
    "reference not a string": _json({"reference": 12345}),
    "reference empty": _json({"reference": "  "}),
    "reference too long": _json({"reference": "x" * 129}),
    "refused without reason": _json({"result": "refused"}),
    "message not a string": _json({"message": ["a"]}),
    "duplicate keys": lambda r: Reply(
        200,
        b'{"request_id": "'
        + r.json["request_id"].encode()
        + b'", "result": "refused", "result": "verified", "reference": "x"}',
    ),  # fmt: skip
    "NaN constant": lambda r: Reply(
        200,
        b'{"request_id": "'
        + r.json["request_id"].encode()
        + b'", "result": "verified", "reference": "x", "score": NaN}',
    ),  # fmt: skip
    "too large": _json({"padding": "x" * 70_000}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_replies_are_errors_never_verified(stub: StubServer, case: str) -> None:
    stub.reply_with(MALFORMED[case])
    result = http("identity", stub).verify_person(person())
    assert result.status is Outcome.ERROR, case
    assert result.reason_code in {"malformed_reply", "reply_too_large"}
    assert len(stub.seen) == 1  # a malformed reply is not retried: retrying would not fix it


def test_registry_sends_the_legal_representative_and_reads_refusals(stub: StubServer) -> None:
    stub.reply_with(echo(result="refused", reason="legal_representative_mismatch"))
    result = http("registry", stub).verify_company(
        CompanyClaim(" 深圳示例科技有限公司 ", "9144030071526726xg", "李四")
    )
    assert result.status is Outcome.REFUSED
    assert result.reason_code == "legal_representative_mismatch"
    body = stub.seen[0].json
    assert body == {"kind": "company", "name": "深圳示例科技有限公司", "uscc": USCC,
                    "legal_representative": "李四", "request_id": body["request_id"]}  # fmt: skip


def test_registry_verified(stub: StubServer) -> None:
    stub.reply_with(echo(result="verified", reference="GSXT-9"))
    result = http("registry", stub, name="vendor-x").verify_company(CompanyClaim("某某公司", USCC))
    assert result.verified and result.reference == "GSXT-9" and result.provider == "vendor-x"
    evidence = result.as_evidence()
    assert evidence["status"] == "verified" and evidence["provider"] == "vendor-x"
    json.dumps(evidence)  # storable as JSON


# --- payment -------------------------------------------------------------------------------------


def transfer(amount: int = 37) -> TransferRequest:
    return TransferRequest(
        "req-1", "深圳示例科技有限公司", "6222 0000 1111 2345", amount, "招商银行"
    )


def test_payment_sent_requires_the_exact_amount_echo(stub: StubServer) -> None:
    stub.reply_with(echo(result="sent", reference="BANK-1", amount_fen=37))
    result = http("payment", stub).send_micro_deposit(transfer())
    assert result.status is TransferStatus.SENT and result.sent and not result.simulated
    assert result.reference == "BANK-1"
    body = stub.seen[0].json
    assert body["request_id"] == "req-1" and stub.seen[0].headers["Idempotency-Key"] == "req-1"
    assert body["amount_fen"] == 37 and body["currency"] == "CNY"
    assert body["account_number"] == "6222 0000 1111 2345" and body["bank_name"] == "招商银行"
    assert "amount" not in json.dumps(result.as_evidence())


@pytest.mark.parametrize(
    "fields",
    [
        {"result": "sent", "reference": "B", "amount_fen": 38},
        {"result": "sent", "reference": "B", "amount_fen": 37.0},
        {"result": "sent", "reference": "B", "amount_fen": "37"},
        {"result": "sent", "reference": "B", "amount_fen": True},
        {"result": "sent", "reference": "B"},
        {"result": "sent", "amount_fen": 37},
        {"result": "verified", "reference": "B", "amount_fen": 37},
    ],
)
def test_payment_malformed_or_mismatched_replies_are_errors(stub: StubServer, fields) -> None:
    stub.reply_with(echo(**fields))
    result = http("payment", stub).send_micro_deposit(transfer())
    assert result.status is TransferStatus.ERROR and result.reason_code == "malformed_reply"


def test_payment_refused(stub: StubServer) -> None:
    stub.reply_with(echo(result="refused", reason="account_name_mismatch"))
    result = http("payment", stub).send_micro_deposit(transfer())
    assert result.status is TransferStatus.REFUSED
    assert result.reason_code == "account_name_mismatch"


def test_payment_retry_after_5xx_reuses_the_request_id(stub: StubServer) -> None:
    stub.reply_with(lambda r: Reply(502), echo(result="sent", reference="B", amount_fen=37))
    result = http("payment", stub).send_micro_deposit(transfer())
    assert result.sent and result.attempts == 2
    assert [s.headers["Idempotency-Key"] for s in stub.seen] == ["req-1", "req-1"]


# --- HMAC ----------------------------------------------------------------------------------------

SECRET = "s3cret-shared-with-the-adapter"


def _hmac(message: str) -> str:
    return hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_server(result: str = "verified", *, tamper: str | None = None):
    """Checks the request signature exactly as documented and signs the reply."""

    def respond(r: Seen) -> Reply:
        ts = r.headers["X-Chop-Timestamp"]
        expected = _hmac(f"{ts}\nPOST\n{r.path}\n{hashlib.sha256(r.raw).hexdigest()}")
        if r.headers.get("X-Chop-Signature") != expected or r.headers["X-Chop-Key-Id"] != "chop-1":
            return Reply(401, b"bad signature")
        request_id = r.json["request_id"]
        body = json.dumps({"request_id": request_id, "result": result, "reference": "H1"}).encode()
        now = str(int(time.time()))
        signed_id = "other-request" if tamper == "replay" else request_id
        signature = _hmac(f"{now}\n{signed_id}\n{hashlib.sha256(body).hexdigest()}")
        headers = {"X-Chop-Timestamp": now, "X-Chop-Signature": signature}
        if tamper == "unsigned":
            headers = {}
        if tamper == "old":
            old = str(int(time.time()) - 3600)
            headers = {"X-Chop-Timestamp": old,
                       "X-Chop-Signature": _hmac(f"{old}\n{request_id}\n{hashlib.sha256(body).hexdigest()}")}  # fmt: skip
        if tamper == "body":
            body = body.replace(b"H1", b"H2")
        return Reply(200, body, headers)

    return respond


def hmac_provider(stub: StubServer):
    return provider_from_config(
        "identity",
        {"backend": "http", "url": stub.url + "?v=1", "key_id": "chop-1", "secret": SECRET,
         "timeout": 0.5, "retries": 0},
    )  # fmt: skip


def test_hmac_signed_request_and_reply_verify(stub: StubServer) -> None:
    stub.reply_with(signed_server())
    result = hmac_provider(stub).verify_person(person())
    assert result.verified and result.reference == "H1"
    assert "Authorization" not in stub.seen[0].headers
    assert stub.seen[0].path == "/verify?v=1"


@pytest.mark.parametrize("tamper", ["unsigned", "replay", "old", "body"])
def test_hmac_bad_reply_signatures_are_errors(stub: StubServer, tamper: str) -> None:
    stub.reply_with(signed_server(tamper=tamper))
    result = hmac_provider(stub).verify_person(person())
    assert result.status is Outcome.ERROR and result.reason_code == "bad_signature"

"""HTTP providers: one small JSON protocol for identity, registry and payment services.

Real verification vendors (公安 data resellers, registry data vendors, banks) each have their own
API; an operator puts a small adapter in front of the one they contract with, speaking this
protocol, and points Chop at it. Keeping the vendor specifics out of Chop keeps Chop's side small
enough to be checked strictly.

Request
=======
``POST <url>`` with a UTF-8 JSON object body and these headers::

    Content-Type: application/json; charset=utf-8
    Accept: application/json
    Idempotency-Key: <request_id>        same value on every retry of one request
    Authorization: Bearer <token>        when auth is "bearer"

Bodies, by kind (``phone`` and ``legal_representative`` only when known)::

    {"request_id": "…", "kind": "person", "name": "张三",
     "id_number": "11010519491231002X", "phone": "13800138000"}
    {"request_id": "…", "kind": "company", "name": "某某科技有限公司",
     "uscc": "9144030071526726XG", "legal_representative": "张三"}
    {"request_id": "…", "kind": "micro_deposit", "account_name": "某某科技有限公司",
     "account_number": "6222…", "bank_name": "招商银行深圳分行", "amount_fen": 37,
     "currency": "CNY", "memo": "Chop 对公账户验证"}

``request_id`` is a fresh random hex string per request; retries reuse it, so a payment service
MUST treat a repeated ``request_id`` as the same transfer (never pay twice) and answer as before.

HMAC authentication (auth "hmac") replaces the bearer token with::

    X-Chop-Key-Id: <key_id>
    X-Chop-Timestamp: <unix seconds>
    X-Chop-Signature: hex(HMAC-SHA256(secret, "<timestamp>\\nPOST\\n<path[?query]>\\n<sha256 hex of body>"))

and then the reply must be signed too, binding it to the request (a replayed "verified" reply for
another person is rejected)::

    X-Chop-Timestamp: <unix seconds>     within 300 s of Chop's clock
    X-Chop-Signature: hex(HMAC-SHA256(secret, "<timestamp>\\n<request_id>\\n<sha256 hex of reply body>"))

Reply
=====
HTTP 200 with a JSON object (at most 64 KiB). Unknown extra fields are ignored::

    {"request_id": "<echoed>", "result": "verified",     "reference": "<provider transaction id>"}
    {"request_id": "<echoed>", "result": "refused",      "reason": "name_mismatch", "message": "…"}
    {"request_id": "<echoed>", "result": "needs_review", "reason": "…", "message": "…"}
    {"request_id": "<echoed>", "result": "sent", "reference": "…", "amount_fen": 37}    (payment)
    {"request_id": "<echoed>", "result": "refused", "reason": "account_closed"}         (payment)

* ``verified`` means **every** field sent matched the source (with a phone: name, number and phone;
  with a legal representative: name, code and representative). Anything short of that is
  ``refused`` with a reason such as ``name_mismatch``, ``not_found``, ``phone_mismatch``,
  ``deregistered``, ``legal_representative_mismatch``, ``account_name_mismatch``.
* ``reference`` (non-empty string, ≤ 128 chars) is required for ``verified`` and ``sent``;
  ``reason`` (non-empty string, ≤ 64 chars) for ``refused``; ``message`` (≤ 500 chars) is optional;
  a ``sent`` reply must echo the exact ``amount_fen``.

Chop's side
===========
* Timeouts, connection failures and HTTP 5xx are retried (``retries`` times, exponential backoff
  from ``backoff`` seconds); other statuses, including 3xx (redirects are not followed: personal
  data must not be forwarded to a place nobody configured) and 4xx, are ERROR at once.
* Any reply that does not match the above exactly (not JSON, duplicate keys, wrong types, missing
  fields, unknown ``result``, another ``request_id``, bad signature) is ERROR, never success.
* URLs must be ``https``, except loopback addresses or when ``allow_http`` is set (an adapter on
  the same private network).
* Nothing personal is logged: log lines carry the URL, the reason and the attempt number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .base import (
    CompanyClaim,
    IdentityProvider,
    Outcome,
    PaymentProvider,
    PersonClaim,
    ProviderConfigError,
    RegistryProvider,
    TransferRequest,
    TransferResult,
    TransferStatus,
    VerificationResult,
)

__all__ = [
    "HttpError",
    "HttpIdentityProvider",
    "HttpPaymentProvider",
    "HttpRegistryProvider",
    "HttpSettings",
    "JsonClient",
]

log = logging.getLogger("chop.identity.http")

MAX_REPLY_BYTES = 64 * 1024
MAX_CLOCK_SKEW = 300
USER_AGENT = "chop-identity/1"
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Connection settings, validated by :func:`chop.identity.providers.provider_from_config`."""

    url: str
    auth: str = "bearer"  # "bearer" | "hmac" | "none"
    token: str | None = None
    key_id: str | None = None
    secret: str | None = None
    timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.5
    name: str = "http"
    allow_http: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProviderConfigError(f"url must be an http(s) URL, got {self.url!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and not self.allow_http:
            raise ProviderConfigError(
                "url must use https (personal data); set allow_http for an adapter on a private network"
            )
        if parts.username or parts.password:
            raise ProviderConfigError("put credentials in token/secret, not in the url")
        if self.auth == "bearer" and not self.token:
            raise ProviderConfigError("auth 'bearer' needs a token")
        if self.auth == "hmac" and not (self.key_id and self.secret):
            raise ProviderConfigError("auth 'hmac' needs key_id and secret")
        if self.auth not in ("bearer", "hmac", "none"):
            raise ProviderConfigError(f"auth must be bearer, hmac or none, got {self.auth!r}")
        if not 0 < self.timeout <= 120:
            raise ProviderConfigError("timeout must be between 0 and 120 seconds")
        if not 0 <= self.retries <= 10:
            raise ProviderConfigError("retries must be between 0 and 10")
        if not 0 <= self.backoff <= 60:
            raise ProviderConfigError("backoff must be between 0 and 60 seconds")

    def __repr__(self) -> str:  # credentials stay out of logs
        return f"HttpSettings(url={self.url!r}, auth={self.auth!r}, timeout={self.timeout}, retries={self.retries})"


@dataclass(frozen=True, slots=True)
class HttpError:
    """Why a call produced no usable reply; always reported as ERROR."""

    reason_code: str
    detail: str
    retryable: bool


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


class JsonClient:
    """POSTs one JSON request with retries; returns the reply object or an :class:`HttpError`."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.session.trust_env = False  # no proxy from the environment for personal data
        self._sleep = sleep
        self._clock = clock
        parts = urlsplit(settings.url)
        self._path = parts.path or "/"
        if parts.query:
            self._path += "?" + parts.query

    def _headers(self, body: bytes, request_id: str) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": request_id,
        }
        s = self.settings
        if s.auth == "bearer":
            headers["Authorization"] = f"Bearer {s.token}"
        elif s.auth == "hmac":
            assert s.secret is not None and s.key_id is not None
            timestamp = str(int(self._clock()))
            headers["X-Chop-Key-Id"] = s.key_id
            headers["X-Chop-Timestamp"] = timestamp
            headers["X-Chop-Signature"] = _sign(
                s.secret, f"{timestamp}\nPOST\n{self._path}\n{_sha256_hex(body)}"
            )
        return headers

    def _check_reply_signature(self, headers: Any, raw: bytes, request_id: str) -> HttpError | None:
        s = self.settings
        if s.auth != "hmac":
            return None
        assert s.secret is not None
        timestamp = headers.get("X-Chop-Timestamp", "")
        signature = headers.get("X-Chop-Signature", "")
        if not timestamp.isdigit() or not signature:
            return HttpError("bad_signature", "reply is not signed", False)
        if abs(self._clock() - int(timestamp)) > MAX_CLOCK_SKEW:
            return HttpError("bad_signature", "reply timestamp outside the allowed skew", False)
        expected = _sign(s.secret, f"{timestamp}\n{request_id}\n{_sha256_hex(raw)}")
        if not hmac.compare_digest(expected, signature.strip().lower()):
            return HttpError("bad_signature", "reply signature does not match", False)
        return None

    def _once(self, body: bytes, request_id: str) -> dict[str, Any] | HttpError:
        s = self.settings
        try:
            with self.session.post(
                s.url,
                data=body,
                headers=self._headers(body, request_id),
                timeout=(s.timeout, s.timeout),
                allow_redirects=False,
                stream=True,
            ) as resp:
                if resp.status_code >= 500:
                    return HttpError("server_error", f"HTTP {resp.status_code}", True)
                if resp.status_code != 200:
                    return HttpError("unexpected_status", f"HTTP {resp.status_code}", False)
                raw = b""
                for chunk in resp.iter_content(chunk_size=16384):
                    raw += chunk
                    if len(raw) > MAX_REPLY_BYTES:
                        return HttpError(
                            "reply_too_large", f"more than {MAX_REPLY_BYTES} bytes", False
                        )
                reply_headers = resp.headers
        except requests.Timeout:
            return HttpError("timeout", f"no reply within {s.timeout} s", True)
        except requests.ConnectionError as exc:
            # A read timeout while streaming the body surfaces as ConnectionError too.
            return HttpError("connection_failed", type(exc).__name__, True)
        except requests.RequestException as exc:
            return HttpError("transport_error", type(exc).__name__, False)
        bad_signature = self._check_reply_signature(reply_headers, raw, request_id)
        if bad_signature:
            return bad_signature
        try:
            data = json.loads(
                raw.decode("utf-8"),
                object_pairs_hook=_unique_keys,
                parse_constant=_reject_constant,
            )
        except (UnicodeDecodeError, ValueError) as exc:
            return HttpError("malformed_reply", f"not JSON: {exc}", False)
        if not isinstance(data, dict):
            return HttpError("malformed_reply", "reply is not a JSON object", False)
        if data.get("request_id") != request_id:
            return HttpError("malformed_reply", "request_id missing or not echoed", False)
        return data

    def call(self, payload: dict[str, Any]) -> tuple[dict[str, Any] | HttpError, int]:
        """POST ``payload`` (a ``request_id`` is added); returns (reply or error, attempts made)."""
        request_id = payload.get("request_id") or secrets.token_hex(16)
        payload = {**payload, "request_id": request_id}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        attempts = 0
        outcome: dict[str, Any] | HttpError = HttpError("not_called", "", False)
        for attempt in range(self.settings.retries + 1):
            if attempt:
                self._sleep(self.settings.backoff * 2 ** (attempt - 1))
            attempts += 1
            outcome = self._once(body, request_id)
            if not isinstance(outcome, HttpError):
                return outcome, attempts
            log.warning(
                "provider %s (%s): %s (%s), attempt %d of %d",
                self.settings.name,
                self.settings.url,
                outcome.reason_code,
                outcome.detail,
                attempts,
                self.settings.retries + 1,
            )
            if not outcome.retryable:
                break
        return outcome, attempts


_ERROR_ZH = {
    "timeout": "核验服务超时",
    "connection_failed": "无法连接核验服务",
    "server_error": "核验服务暂时故障",
    "unexpected_status": "核验服务返回了意外的状态",
    "reply_too_large": "核验服务的回复过大",
    "malformed_reply": "核验服务的回复格式不正确",
    "bad_signature": "核验服务的回复签名无效",
    "transport_error": "与核验服务通信失败",
}


class _Malformed(Exception):
    """A reply field is wrong; the message says which (no personal data)."""


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _Malformed(f"missing field {key!r}")
        return None
    if type(value) is not str or not value.strip():
        raise _Malformed(f"field {key!r} must be a non-empty string")
    if len(value) > limit:
        raise _Malformed(f"field {key!r} is longer than {limit}")
    return value.strip()


class _HttpProviderMixin:
    settings: HttpSettings
    client: JsonClient

    def _error(self, error: HttpError, attempts: int) -> VerificationResult:
        return VerificationResult(
            Outcome.ERROR,
            self.settings.name,
            error.reason_code,
            f"{_ERROR_ZH.get(error.reason_code, '核验服务出错')}，请稍后重试（{error.detail}）",
            f"The verification service failed: {error.reason_code} ({error.detail}); try again later",
            attempts=attempts,
        )

    def _verification(self, payload: dict[str, Any]) -> VerificationResult:
        reply, attempts = self.client.call(payload)
        if isinstance(reply, HttpError):
            return self._error(reply, attempts)
        try:
            result = reply.get("result")
            if type(result) is not str:
                raise _Malformed("missing or non-string field 'result'")
            message = _text(reply, "message", 500, required=False) or ""
            if result == "verified":
                reference = _text(reply, "reference", 128, required=True)
                return VerificationResult(
                    Outcome.VERIFIED,
                    self.settings.name,
                    "ok",
                    "核验通过",
                    "Verified by the provider",
                    reference=reference,
                    attempts=attempts,
                )
            if result == "refused":
                reason = _text(reply, "reason", 64, required=True)
                return VerificationResult(
                    Outcome.REFUSED,
                    self.settings.name,
                    reason or "",
                    f"核验未通过：{message or reason}",
                    f"Not verified: {message or reason}",
                    reference=_text(reply, "reference", 128, required=False),
                    attempts=attempts,
                )
            if result == "needs_review":
                reason = _text(reply, "reason", 64, required=False) or "provider_review"
                return VerificationResult(
                    Outcome.NEEDS_REVIEW,
                    self.settings.name,
                    reason,
                    f"核验服务要求人工审核：{message or reason}",
                    f"The provider asks for a manual review: {message or reason}",
                    reference=_text(reply, "reference", 128, required=False),
                    attempts=attempts,
                )
            raise _Malformed(f"unknown result {result[:32]!r}")
        except _Malformed as exc:
            log.warning("provider %s: malformed reply: %s", self.settings.name, exc)
            return self._error(HttpError("malformed_reply", str(exc), False), attempts)


class HttpIdentityProvider(_HttpProviderMixin, IdentityProvider):
    backend = "http"

    def __init__(self, settings: HttpSettings, **client_options: Any) -> None:
        self.settings = settings
        self.client = JsonClient(settings, **client_options)

    def _verify_person(self, claim: PersonClaim) -> VerificationResult:
        payload: dict[str, Any] = {
            "kind": "person",
            "name": claim.name,
            "id_number": claim.id_number,
        }
        if claim.phone:
            payload["phone"] = claim.phone
        return self._verification(payload)


class HttpRegistryProvider(_HttpProviderMixin, RegistryProvider):
    backend = "http"

    def __init__(self, settings: HttpSettings, **client_options: Any) -> None:
        self.settings = settings
        self.client = JsonClient(settings, **client_options)

    def _verify_company(self, claim: CompanyClaim) -> VerificationResult:
        payload: dict[str, Any] = {"kind": "company", "name": claim.name, "uscc": claim.uscc}
        if claim.legal_representative:
            payload["legal_representative"] = claim.legal_representative
        return self._verification(payload)


class HttpPaymentProvider(PaymentProvider):
    backend = "http"

    def __init__(self, settings: HttpSettings, **client_options: Any) -> None:
        self.settings = settings
        self.client = JsonClient(settings, **client_options)

    def _error(self, error: HttpError, attempts: int) -> TransferResult:
        return TransferResult(
            TransferStatus.ERROR,
            self.settings.name,
            None,
            error.reason_code,
            f"打款服务出错，请稍后重试（{error.reason_code}: {error.detail}）",
            f"The payment service failed: {error.reason_code} ({error.detail}); try again later",
            attempts=attempts,
        )

    def send_micro_deposit(self, request: TransferRequest) -> TransferResult:
        payload: dict[str, Any] = {
            "request_id": request.request_id,
            "kind": "micro_deposit",
            "account_name": request.account_name,
            "account_number": request.account_number,
            "amount_fen": request.amount_fen,
            "currency": "CNY",
            "memo": request.memo,
        }
        if request.bank_name:
            payload["bank_name"] = request.bank_name
        reply, attempts = self.client.call(payload)
        if isinstance(reply, HttpError):
            return self._error(reply, attempts)
        try:
            result = reply.get("result")
            if type(result) is not str:
                raise _Malformed("missing or non-string field 'result'")
            message = _text(reply, "message", 500, required=False) or ""
            if result == "sent":
                reference = _text(reply, "reference", 128, required=True)
                amount = reply.get("amount_fen")
                if type(amount) is not int:
                    raise _Malformed("field 'amount_fen' must be an integer")
                if amount != request.amount_fen:
                    raise _Malformed("field 'amount_fen' does not match the amount requested")
                return TransferResult(
                    TransferStatus.SENT,
                    self.settings.name,
                    reference,
                    "ok",
                    "已打款",
                    "Transfer sent",
                    attempts=attempts,
                )
            if result == "refused":
                reason = _text(reply, "reason", 64, required=True) or ""
                return TransferResult(
                    TransferStatus.REFUSED,
                    self.settings.name,
                    _text(reply, "reference", 128, required=False),
                    reason,
                    f"打款被拒绝：{message or reason}",
                    f"Transfer refused: {message or reason}",
                    attempts=attempts,
                )
            raise _Malformed(f"unknown result {result[:32]!r}")
        except _Malformed as exc:
            log.warning("provider %s: malformed reply: %s", self.settings.name, exc)
            return self._error(HttpError("malformed_reply", str(exc), False), attempts)

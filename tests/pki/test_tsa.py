"""The built-in RFC 3161 TSA: in-process for pyHanko, over HTTP, and checked by openssl."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from datetime import UTC, datetime, timedelta

import requests
from asn1crypto import algos, core, tsp
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from chop.pki import LocalTimeStamper, timestamper_for
from chop.pki.tsa import TimeStampResp

from .conftest import to_asn1


def root_only(ca_root) -> ValidationContext:
    """Trust nothing but the given root; intermediates must come from the token itself."""
    return ValidationContext(trust_roots=[to_asn1(ca_root)], revocation_mode="soft-fail")


def validate_token(token, digest: bytes, vc: ValidationContext) -> TimestampSignatureStatus:
    kwargs = asyncio.run(
        validate_tst_signed_data(token["content"], vc, expected_tst_imprint=lambda _md: digest)
    )
    return TimestampSignatureStatus(**kwargs)


def test_in_process_token_validates_against_the_tsa_cert(ca):
    ts = ca.timestamper()
    assert isinstance(ts, LocalTimeStamper) and ca.timestamper() is ts
    digest = hashlib.sha256(b"signature value").digest()
    token = asyncio.run(ts.async_timestamp(digest, "sha256"))

    status = validate_token(token, digest, root_only(ca.root_certificate))
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.serial_number == ca.tsa_certificate.serial_number
    assert abs(status.timestamp - datetime.now(UTC)) < timedelta(seconds=30)

    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["policy"].dotted == ca.config["tsa_policy"]
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["tsa"].chosen.native["common_name"] == "Chop Time Stamping Authority"
    signed_attrs = token["content"]["signer_infos"][0]["signed_attrs"]
    assert "signing_certificate_v2" in {a["type"].native for a in signed_attrs}

    # a token for another digest is not intact for ours
    other = validate_token(token, hashlib.sha256(b"x").digest(), root_only(ca.root_certificate))
    assert not other.intact


def test_token_not_trusted_under_another_root(ca, p256_ca):
    digest = hashlib.sha256(b"doc").digest()
    token = asyncio.run(ca.timestamper().async_timestamp(digest, "sha256"))
    status = validate_token(token, digest, root_only(p256_ca.root_certificate))
    assert status.intact and not status.trusted


def test_p256_tsa(p256_ca):
    digest = hashlib.sha384(b"doc").digest()
    token = asyncio.run(p256_ca.timestamper().async_timestamp(digest, "sha384"))
    status = validate_token(token, digest, root_only(p256_ca.root_certificate))
    assert status.intact and status.valid and status.trusted
    algo = token["content"]["signer_infos"][0]["signature_algorithm"]["algorithm"].native
    assert "ecdsa" in algo


def test_http_tsa_with_pyhanko_client(ca, server):
    ts = timestamper_for(f"{server}/pki/tsa", ca)
    assert isinstance(ts, HTTPTimeStamper)
    digest = hashlib.sha256(b"over http").digest()
    token = asyncio.run(ts.async_timestamp(digest, "sha256"))
    status = validate_token(token, digest, root_only(ca.root_certificate))
    assert status.intact and status.valid and status.trusted
    assert isinstance(timestamper_for(None, ca), LocalTimeStamper)
    assert isinstance(timestamper_for("", ca), LocalTimeStamper)


def test_http_tsa_verified_by_openssl(ca, server, tmp_path):
    data = tmp_path / "contract.bin"
    data.write_bytes(b"contract" * 100)
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(ca.root_certificate.public_bytes(pem))
    (tmp_path / "issuing.pem").write_bytes(ca.issuing_certificate.public_bytes(pem))
    subprocess.run(
        ["openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", tmp_path / "q.tsq"],
        check=True,
        capture_output=True,
    )
    reply = requests.post(
        f"{server}/pki/tsa",
        data=(tmp_path / "q.tsq").read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=10,
    )
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/timestamp-reply"
    (tmp_path / "r.tsr").write_bytes(reply.content)
    verify = subprocess.run(
        ["openssl", "ts", "-verify", "-data", data, "-in", tmp_path / "r.tsr"]
        + ["-CAfile", tmp_path / "root.pem", "-untrusted", tmp_path / "issuing.pem"],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stderr
    assert "Verification: OK" in verify.stdout
    # a different file does not verify against that reply
    data.write_bytes(b"tampered")
    bad = subprocess.run(
        ["openssl", "ts", "-verify", "-data", data, "-in", tmp_path / "r.tsr"]
        + ["-CAfile", tmp_path / "root.pem", "-untrusted", tmp_path / "issuing.pem"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0


def _request(md: str, digest: bytes, *, cert_req: bool = True) -> bytes:
    return tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": md}),
                    "hashed_message": digest,
                }
            ),
            "nonce": core.Integer(42),
            "cert_req": cert_req,
        }
    ).dump()


def test_bad_requests_are_rejected_not_crashed(ca):
    tsa = ca.tsa()
    cases = [
        (_request("sha1", hashlib.sha1(b"x").digest()), "bad_alg"),
        (_request("sha256", b"short"), "bad_data_format"),
        (b"\x30\x03\x02\x01", "bad_data_format"),
        (b"not der at all", "bad_data_format"),
    ]
    for body, fail in cases:
        resp = TimeStampResp.load(tsa.respond_der(body))
        assert resp["status"]["status"].native == "rejection"
        assert fail in resp["status"]["fail_info"].native
        assert not resp["time_stamp_token"]
    # openssl agrees the rejection is a well-formed TimeStampResp
    shown = subprocess.run(
        ["openssl", "ts", "-reply", "-in", "/dev/stdin", "-text"],
        input=tsa.respond_der(cases[0][0]),
        capture_output=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert (
        b"Status: Rejected" in shown.stdout
        and b"unrecognized or unsupported algorithm" in shown.stdout
    )


def test_cert_req_false_omits_certificates_and_keeps_nonce(ca, tmp_path):
    digest = hashlib.sha256(b"y").digest()
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(ca.root_certificate.public_bytes(pem))
    (tmp_path / "chain.pem").write_bytes(
        ca.issuing_certificate.public_bytes(pem) + ca.tsa_certificate.public_bytes(pem)
    )
    for cert_req, has_certs in ((False, False), (True, True)):
        der = ca.tsa().respond_der(_request("sha256", digest, cert_req=cert_req))
        resp = TimeStampResp.load(der)
        assert resp["status"]["status"].native == "granted"
        signed = resp["time_stamp_token"]["content"]
        assert bool(signed["certificates"]) is has_certs
        info = signed["encap_content_info"]["content"].parsed
        assert info["nonce"].native == 42
        # the signature stays valid when the certificates are left out: openssl finds the TSA
        # certificate among the untrusted ones instead
        (tmp_path / "r.tsr").write_bytes(der)
        verify = subprocess.run(
            ["openssl", "ts", "-verify", "-digest", digest.hex(), "-in", tmp_path / "r.tsr"]
            + ["-CAfile", tmp_path / "root.pem", "-untrusted", tmp_path / "chain.pem"],
            capture_output=True,
            text=True,
        )
        assert verify.returncode == 0, verify.stderr


def test_sync_entry_points_work_inside_a_running_event_loop(ca, company):
    """An ASGI view calling the sync API must not hit "asyncio.run() cannot be called"."""
    digest = hashlib.sha256(b"z").digest()

    async def from_async_code():
        reply = ca.tsa().respond_der(_request("sha256", digest))
        path = ca.validate_chain(company.serial)
        return reply, path

    reply, path = asyncio.run(from_async_code())
    assert TimeStampResp.load(reply)["status"]["status"].native == "granted"
    assert len(path) == 3


# --- the pre-encoded fast path against pyHanko's generic CMS signer ---------------------------


def _pyhanko_twin(tsa, signer=None):
    """An authority over the same key that always builds through pyHanko."""
    from chop.pki.tsa import TimeStampAuthority

    twin = TimeStampAuthority(signer or tsa.signer, tsa.policy, tsa.accuracy_seconds)
    twin._builder = None
    return twin


def _pinned(
    *authorities, when=datetime(2026, 12, 6, 8, 0, 0, tzinfo=UTC), serial=0x8123456789ABCDEF
):
    """Give the authorities the same clock and serial so their tokens can be compared."""
    for a in authorities:
        a._now = lambda: when
        a._serial = lambda: serial


def _fast_and_pyhanko(ca):
    """The CA's TSA on its fast path, and its pyHanko twin, pinned to one time and serial."""
    from chop.pki.tsa import TimeStampAuthority

    fast = TimeStampAuthority(ca.tsa().signer, ca.config["tsa_policy"])
    assert fast._builder is not None
    slow = _pyhanko_twin(fast)
    _pinned(fast, slow)
    return fast, slow


def _tokens(fast, slow, body: bytes):
    return [TimeStampResp.load(a.respond_der(body))["time_stamp_token"] for a in (fast, slow)]


def test_fast_token_is_byte_identical_to_pyhankos(ca):
    """RSA PKCS#1 v1.5 is deterministic: same TSTInfo, same attributes, so the very same bytes."""
    fast, slow = _fast_and_pyhanko(ca)
    digest = hashlib.sha256(b"same").digest()
    for cert_req in (True, False):
        body = _request("sha256", digest, cert_req=cert_req)
        assert fast.respond_der(body) == slow.respond_der(body)
    # the other paths too: in-process through pyHanko's TimeStamper (random nonce), sha512
    for md, data in (("sha256", b"a"), ("sha512", b"b")):
        req = tsp.TimeStampReq.load(_request(md, hashlib.new(md, data).digest()))
        a, b = (asyncio.run(x.async_respond(req)).dump() for x in (fast, slow))
        assert a == b


def test_fast_token_structure_matches_pyhankos_p256(p256_ca):
    """ECDSA signatures are randomised: every field but the signature is the same, both verify."""
    fast, slow = _fast_and_pyhanko(p256_ca)
    digest = hashlib.sha384(b"doc").digest()
    tokens = _tokens(fast, slow, _request("sha384", digest))
    a, b = (t["content"] for t in tokens)
    for field in ("version", "digest_algorithms", "encap_content_info", "certificates"):
        assert a[field].dump() == b[field].dump(), field
    sa, sb = a["signer_infos"][0], b["signer_infos"][0]
    for field in ("version", "sid", "digest_algorithm", "signed_attrs", "signature_algorithm"):
        assert sa[field].dump() == sb[field].dump(), field
    assert sa["signature"].native != sb["signature"].native
    for token in tokens:
        status = validate_token(token, digest, root_only(p256_ca.root_certificate))
        assert status.intact and status.valid and status.trusted


def test_fast_token_parses_fully_and_carries_what_rfc3161_asks(ca):
    digest = hashlib.sha256(b"parse").digest()
    der = ca.tsa().respond_der(_request("sha256", digest))
    resp = TimeStampResp.load(der)
    resp.native  # noqa: B018 - every field decodes
    assert resp.dump(force=True) == der  # and asn1crypto encodes it to the same DER
    signed = resp["time_stamp_token"]["content"]
    assert signed["version"].native == "v3"
    assert {c.chosen.subject.native["common_name"] for c in signed["certificates"]} == {
        "Chop Root CA",
        "Chop Issuing CA",
        "Chop Time Stamping Authority",
    }
    info = signed["encap_content_info"]["content"].parsed
    assert signed["encap_content_info"]["content_type"].native == "tst_info"
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 42
    assert info["accuracy"]["seconds"].native == 1
    assert info["ordering"].native is False
    assert info["gen_time"].native.microsecond == 0
    attrs = {a["type"].native: a["values"][0] for a in signed["signer_infos"][0]["signed_attrs"]}
    assert set(attrs) == {
        "content_type",
        "message_digest",
        "signing_certificate_v2",
        "cms_algorithm_protection",
    }
    assert attrs["message_digest"].native == hashlib.sha256(info.dump()).digest()
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(ca.tsa().certificate.dump()).digest()
    # serials differ from token to token
    again = TimeStampResp.load(ca.tsa().respond_der(_request("sha256", digest)))
    serial = again["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert serial["serial_number"].native != info["serial_number"].native


def test_in_process_fast_token_verified_by_openssl_with_the_root_only(ca, tmp_path):
    """The token carries its chain: openssl needs nothing but the platform root."""
    digest = hashlib.sha256(b"openssl").digest()
    (tmp_path / "root.pem").write_bytes(
        ca.root_certificate.public_bytes(serialization.Encoding.PEM)
    )
    req = tsp.TimeStampReq.load(_request("sha256", digest))
    resp = asyncio.run(ca.tsa().async_respond(req))
    (tmp_path / "r.tsr").write_bytes(resp.dump())
    verify = subprocess.run(
        ["openssl", "ts", "-verify", "-digest", digest.hex(), "-in", tmp_path / "r.tsr"]
        + ["-CAfile", tmp_path / "root.pem"],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stderr
    assert "Verification: OK" in verify.stdout
    wrong = hashlib.sha256(b"other").digest()
    bad = subprocess.run(
        ["openssl", "ts", "-verify", "-digest", wrong.hex(), "-in", tmp_path / "r.tsr"]
        + ["-CAfile", tmp_path / "root.pem"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0


def test_keys_not_in_memory_or_other_mechanisms_keep_pyhankos_path(ca):
    """A signer without an in-memory key (as over PKCS#11), or one asking for RSASSA-PSS, is
    served by pyHanko's generic CMS signer, and its tokens still validate."""
    import copy

    from chop.pki.tsa import TimeStampAuthority

    remote = copy.copy(ca.tsa().signer)
    remote.signing_key = None  # what a PKCS#11 signer looks like here; it signs by itself
    pss = copy.copy(ca.tsa().signer)
    pss.prefer_pss = True
    digest = hashlib.sha256(b"fallback").digest()
    for signer, algo in ((remote, "sha256_rsa"), (pss, "rsassa_pss")):
        tsa = TimeStampAuthority(signer, ca.config["tsa_policy"])
        assert tsa._builder is None
        token = asyncio.run(LocalTimeStamper(tsa).async_timestamp(digest, "sha256"))
        assert (
            token["content"]["signer_infos"][0]["signature_algorithm"].native["algorithm"] == algo
        )
        status = validate_token(token, digest, root_only(ca.root_certificate))
        assert status.intact and status.valid and status.trusted
        resp = TimeStampResp.load(tsa.respond_der(_request("sha256", digest, cert_req=False)))
        assert not resp["time_stamp_token"]["content"]["certificates"]

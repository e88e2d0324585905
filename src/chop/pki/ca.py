"""The platform CA: root, issuing CA, TSA certificate, end-entity issuance and revocation.

Hierarchy::

    Chop Root CA            (self-signed, 20 years, signs only the issuing CA and the root CRL)
    └── Chop Issuing CA     (10 years, pathLen 0)
        ├── Chop Time Stamping Authority   (timeStamping EKU, critical)
        ├── company certificates           (O = name, serialNumber = USCC)
        └── person certificates            (CN = name, serialNumber = hashed ID number)

CA and TSA keys always live in the encrypted-file custody (cryptography's certificate, CRL and
OCSP builders need an in-memory key); end-entity keys live in whichever custody the CA was given
(encrypted files by default, or a PKCS#11 token).
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
    ObjectIdentifier,
)

from chop.asyncrun import run_sync

from .custody import (
    KEY_TYPES,
    CustodyError,
    EncryptedFileCustody,
    KeyCustody,
    PrivateKey,
    PublicKey,
    WrongKEKError,
    derive_kek,
    kek_check_value,
)
from .names import company_name, person_id_hash, person_name
from .storage import CAStore

__all__ = [
    "CertificateExpiredError",
    "CertificateRevokedError",
    "CertificateStatus",
    "Credential",
    "PlatformCA",
    "REVOCATION_REASONS",
]

# RFC 9336 id-kp-documentSigning and Microsoft Document Signing (what Acrobat looks for).
EKU_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
EKU_MS_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
# emailProtection too: NSS (poppler's pdfsig, Firefox's PDF viewer) verifies PDF signers as
# e-mail signers and rejects a certificate whose EKU lacks it ("Unknown issue with Certificate").
SIGNING_EKUS = [ExtendedKeyUsageOID.EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING, EKU_MS_DOCUMENT_SIGNING]

ROOT_DAYS = 20 * 365
ISSUING_DAYS = 10 * 365
TSA_DAYS = 5 * 365
END_ENTITY_DAYS = 2 * 365
ISSUING_CRL_HOURS = 24
ROOT_CRL_DAYS = 30
OCSP_VALID_HOURS = 24

REVOCATION_REASONS: dict[str, x509.ReasonFlags] = {}
for _flag in x509.ReasonFlags:
    if _flag is not x509.ReasonFlags.remove_from_crl:
        REVOCATION_REASONS[_flag.name] = _flag
        REVOCATION_REASONS[_flag.value] = _flag


class CertificateRevokedError(CustodyError):
    """Refusing to hand out a signer for a revoked certificate."""


class CertificateExpiredError(CustodyError):
    """Refusing to hand out a signer for an expired certificate (its signatures would not verify)."""


@dataclass(frozen=True)
class Credential:
    """An issued certificate and where its key is."""

    serial: int
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # issuing CA, root
    key_ref: str

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "x")


@dataclass(frozen=True)
class CertificateStatus:
    """Revocation status as the CA sees it now (``status`` is good, revoked or unknown)."""

    serial: int
    status: str
    revoked_at: datetime | None = None
    reason: str | None = None

    @property
    def is_revoked(self) -> bool:
        return self.status == "revoked"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _sig_hash(key: PrivateKey) -> hashes.HashAlgorithm:
    return hashes.SHA256()


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


class PlatformCA:
    """Facade over the CA directory, the key custodies, CRL/OCSP and the TSA.

    Instances are safe to share between threads; build one per process and reuse it, because it
    caches unwrapped keys and signers (signing a thousand contracts unwraps a key once).
    """

    def __init__(
        self,
        store: CAStore,
        kek: bytes | str,
        *,
        ee_custody: KeyCustody | None = None,
    ):
        self.store = store
        self.config = store.read_config()
        derived = derive_kek(kek)
        if kek_check_value(derived) != self.config["kek_check"]:
            raise WrongKEKError(
                f"the key-encryption key does not open the CA in {store.directory} "
                "(check CHOP_KEK / --kek-file)"
            )
        self.file_custody = EncryptedFileCustody(store.blob_store(), kek)
        self.ee_custody: KeyCustody = ee_custody or self.file_custody
        # A process killed mid-write (e.g. during issuance) leaves temp files that nothing refers
        # to, some of them encrypted key envelopes: clear them whenever a CA is opened.
        store.clean_temporary()
        self.file_custody.store.clean_temporary()
        self._signers: dict[int, Any] = {}
        self._lock = threading.RLock()
        self._crl_cache: dict[str, tuple[tuple[Any, ...], datetime, bytes]] = {}
        self._timestamper: Any = None
        self._tsa: Any = None
        self._pepper: bytes | None = None
        self.root_certificate = store.get_certificate(int(self.config["root_serial"]))
        self.issuing_certificate = store.get_certificate(int(self.config["issuing_serial"]))
        self.tsa_certificate = store.get_certificate(int(self.config["tsa_serial"]))

    # ---------------------------------------------------------------- construction
    @classmethod
    def init(
        cls,
        directory: Path | str,
        kek: bytes | str,
        *,
        root_name: str = "Chop Root CA",
        issuing_name: str = "Chop Issuing CA",
        tsa_name: str = "Chop Time Stamping Authority",
        organization: str = "Chop",
        key_type: str = "rsa2048",
        site_url: str = "http://127.0.0.1:8000",
        ee_custody: KeyCustody | None = None,
    ) -> PlatformCA:
        """Create a new CA in ``directory`` (which must not already hold one)."""
        if key_type not in KEY_TYPES:
            raise ValueError(f"unknown key type {key_type!r}; expected one of {KEY_TYPES}")
        store = CAStore(directory)
        if store.exists():
            raise FileExistsError(f"{store.directory} already holds a CA")
        store.create()
        custody = EncryptedFileCustody(store.blob_store(), kek)
        site_url = site_url.rstrip("/")
        now = _now()

        def ca_name(cn: str) -> x509.Name:
            return x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                    x509.NameAttribute(NameOID.COMMON_NAME, cn),
                ]
            )

        root_ref, root_pub = custody.generate(key_type, "root")
        root_key = custody.private_key(root_ref)
        root_subject = ca_name(root_name)
        root = (
            x509.CertificateBuilder()
            .subject_name(root_subject)
            .issuer_name(root_subject)
            .public_key(root_pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=ROOT_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_pub), critical=False)
            .sign(root_key, _sig_hash(root_key))
        )

        issuing_ref, issuing_pub = custody.generate(key_type, "issuing")
        issuing = (
            x509.CertificateBuilder()
            .subject_name(ca_name(issuing_name))
            .issuer_name(root_subject)
            .public_key(issuing_pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=ISSUING_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_pub), critical=False)
            .add_extension(_aki(root), critical=False)
            .add_extension(_crl_dp(f"{site_url}/pki/root.crl"), critical=False)
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(f"{site_url}/pki/root.cer"),
                        )
                    ]
                ),
                critical=False,
            )
            .sign(root_key, _sig_hash(root_key))
        )

        config: dict[str, Any] = {
            "version": 1,
            "key_type": key_type,
            "site_url": site_url,
            "organization": organization,
            "root_serial": str(root.serial_number),
            "issuing_serial": str(issuing.serial_number),
            "root_key_ref": root_ref,
            "issuing_key_ref": issuing_ref,
            "kek_check": custody.kek_check,
            # A UUID-derived OID (X.667 arc 2.25) is unique without registering an arc of our own.
            "tsa_policy": f"2.25.{uuid.uuid4().int}",
            "crl_numbers": {"root": 0, "issuing": 0},
        }
        # The pepper that keys person ID hashes; secret, so it is sealed like a private key.
        custody.seal_secret("id-pepper", secrets.token_bytes(32))
        store.put_certificate(root)
        store.put_certificate(issuing)
        for cert, kind, ref, issuer in (
            (root, "root", root_ref, "root"),
            (issuing, "issuing", issuing_ref, "root"),
        ):
            store.update_entry(
                cert.serial_number,
                **_entry_fields(cert, kind=kind, key_ref=ref, key_type=key_type, issuer=issuer),
            )

        # The TSA certificate is issued like an end-entity certificate, by the issuing CA.
        tsa_ref, tsa_pub = custody.generate(key_type, "tsa")
        tsa = _end_entity_certificate(
            ca_name(tsa_name),
            tsa_pub,
            issuing=issuing,
            issuing_key=custody.private_key(issuing_ref),
            site_url=site_url,
            valid_days=TSA_DAYS,
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
        )
        store.put_certificate(tsa)
        store.update_entry(
            tsa.serial_number,
            **_entry_fields(tsa, kind="tsa", key_ref=tsa_ref, key_type=key_type, issuer="issuing"),
        )
        config["tsa_key_ref"] = tsa_ref
        config["tsa_serial"] = str(tsa.serial_number)
        # ca.json last: until it exists the directory is not a CA, so a crash mid-way can be
        # retried rather than leaving a half-made CA that loads.
        store.write_config(config)
        return cls(store, kek, ee_custody=ee_custody)

    @classmethod
    def load(
        cls, directory: Path | str, kek: bytes | str, *, ee_custody: KeyCustody | None = None
    ) -> PlatformCA:
        """Open an existing CA; raises :class:`WrongKEKError` for the wrong KEK."""
        return cls(CAStore(directory), kek, ee_custody=ee_custody)

    @classmethod
    def open_or_init(
        cls, directory: Path | str, kek: bytes | str, **init_kwargs: Any
    ) -> PlatformCA:
        """Load the CA in ``directory``, creating it first if there is none (demo and dev setups)."""
        store = CAStore(directory)
        if store.exists():
            return cls.load(directory, kek, ee_custody=init_kwargs.get("ee_custody"))
        return cls.init(directory, kek, **init_kwargs)

    def rotate_kek(self, new_kek: bytes | str) -> int:
        """Re-wrap every key under a new KEK (e.g. after an operator leaves); returns the count.

        ``ca.json`` records the new KEK's check value only after every envelope was re-wrapped,
        so if this is interrupted, load with the old KEK and run it again to finish.
        """
        with self.store.locked():
            count = self.file_custody.rotate_kek(new_kek)
            config = self.store.read_config()
            config["kek_check"] = kek_check_value(derive_kek(new_kek))
            self.store.write_config(config)
            self.config = config
        return count

    # ---------------------------------------------------------------- properties
    @property
    def directory(self) -> Path:
        return self.store.directory

    @property
    def site_url(self) -> str:
        return str(self.config["site_url"])

    @property
    def key_type(self) -> str:
        return str(self.config["key_type"])

    @property
    def chain(self) -> list[x509.Certificate]:
        """What relying parties need above an end-entity certificate: issuing CA, root."""
        return [self.issuing_certificate, self.root_certificate]

    def _ca_key(self, which: str) -> PrivateKey:
        return self.file_custody.private_key(self.config[f"{which}_key_ref"])

    def _custody_for(self, key_ref: str) -> KeyCustody:
        for custody in (self.ee_custody, self.file_custody):
            if custody.owns(key_ref):
                return custody
        raise CustodyError(
            f"key {key_ref} is held by a custody backend this CA was not given "
            "(load the CA with ee_custody=Pkcs11Custody(...))"
        )

    # ---------------------------------------------------------------- issuance
    def _issue(
        self,
        subject: x509.Name,
        public_key: PublicKey,
        *,
        key_ref: str,
        key_type: str,
        kind: str,
        valid_days: int,
        eku: list[ObjectIdentifier],
        eku_critical: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Credential:
        cert = _end_entity_certificate(
            subject,
            public_key,
            issuing=self.issuing_certificate,
            issuing_key=self._ca_key("issuing"),
            site_url=self.site_url,
            valid_days=valid_days,
            eku=eku,
            eku_critical=eku_critical,
        )
        self.store.put_certificate(cert)
        self.store.update_entry(
            cert.serial_number,
            **_entry_fields(cert, kind=kind, key_ref=key_ref, key_type=key_type, issuer="issuing"),
            **(extra or {}),
        )
        return Credential(cert.serial_number, cert, self.chain, key_ref)

    def _new_key(
        self, key_type: str | None, label: str, custody: KeyCustody | None, valid_days: int
    ) -> tuple[str, tuple[str, PublicKey]]:
        # Checked before generating: a rejected request must not leave an orphan key behind
        # (harmless as a file, clutter on an HSM).
        if valid_days <= 0:
            raise ValueError("valid_days must be positive")
        key_type = key_type or self.key_type
        custody = custody or self.ee_custody
        return key_type, custody.generate(key_type, label)

    def issue_company(
        self,
        name: str,
        uscc: str,
        *,
        key_type: str | None = None,
        valid_days: int = END_ENTITY_DAYS,
        custody: KeyCustody | None = None,
    ) -> Credential:
        """Certify a company: a fresh key pair, O/CN = name, serialNumber = USCC (validated)."""
        subject = company_name(name, uscc)
        code = subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
        key_type, (key_ref, pub) = self._new_key(key_type, f"company-{code}", custody, valid_days)
        return self._issue(
            subject,
            pub,
            key_ref=key_ref,
            key_type=key_type,
            kind="company",
            valid_days=valid_days,
            eku=SIGNING_EKUS,
            extra={"uscc": code},
        )

    def person_id_hash(self, id_number: str) -> str:
        """The pseudonymous ``serialNumber`` a person with this ID number gets (stable per CA)."""
        if self._pepper is None:
            self._pepper = self.file_custody.unseal_secret("id-pepper")
        return person_id_hash(self._pepper, id_number)

    def issue_person(
        self,
        name: str,
        id_number: str,
        *,
        key_type: str | None = None,
        valid_days: int = END_ENTITY_DAYS,
        custody: KeyCustody | None = None,
    ) -> Credential:
        """Certify a person: CN = name, serialNumber = keyed hash of the ID number."""
        id_hash = self.person_id_hash(id_number)
        subject = person_name(name, id_hash)
        key_type, (key_ref, pub) = self._new_key(
            key_type, f"person-{id_hash[4:16]}", custody, valid_days
        )
        return self._issue(
            subject,
            pub,
            key_ref=key_ref,
            key_type=key_type,
            kind="person",
            valid_days=valid_days,
            eku=SIGNING_EKUS,
            extra={"id_hash": id_hash},
        )

    # ---------------------------------------------------------------- lookup
    def certificate(self, serial: int) -> x509.Certificate:
        return self.store.get_certificate(serial)

    def credential(self, serial: int) -> Credential:
        entry = self._entry(serial)
        return Credential(serial, self.certificate(serial), self.chain, entry["key_ref"])

    def _entry(self, serial: int) -> dict[str, Any]:
        entry = self.store.entry(serial)
        if entry is None:
            raise KeyError(f"this CA did not issue a certificate with serial {serial:x}")
        return entry

    def issued(self) -> list[dict[str, Any]]:
        """The index: one dict per certificate (non-secret fields only)."""
        return sorted(self.store.read_index().values(), key=lambda e: e["issued_at"])

    # ---------------------------------------------------------------- signing
    def signer(self, serial: int) -> Any:
        """A pyHanko ``Signer`` for the certificate, chain attached; cached per serial.

        Refused for revoked certificates, so a revoked seal cannot be used even by a process
        that signed with it before (the cache entry is dropped on revocation).
        """
        with self._lock:
            cached = self._signers.get(serial)
        status = self.status(serial)
        if status.is_revoked:
            with self._lock:
                self._signers.pop(serial, None)
            raise CertificateRevokedError(f"certificate {serial:x} is revoked ({status.reason})")
        entry = self._entry(serial)
        if datetime.fromisoformat(entry["not_after"]) < _now():
            with self._lock:
                self._signers.pop(serial, None)
            raise CertificateExpiredError(
                f"certificate {serial:x} expired on {entry['not_after']}; issue a new one"
            )
        if cached is not None:
            return cached
        if entry["kind"] in ("root", "issuing"):
            raise CustodyError("CA keys sign certificates only, not documents")
        key_ref = entry["key_ref"]
        signer = self._custody_for(key_ref).signer(key_ref, self.certificate(serial), self.chain)
        with self._lock:
            self._signers[serial] = signer
        return signer

    def tsa(self) -> Any:
        """The built-in :class:`~chop.pki.tsa.TimeStampAuthority` (shared, lazily built)."""
        from .tsa import TimeStampAuthority

        with self._lock:
            if self._tsa is None:
                signer = self.file_custody.signer(
                    self.config["tsa_key_ref"], self.tsa_certificate, self.chain
                )
                self._tsa = TimeStampAuthority(signer, self.config["tsa_policy"])
            return self._tsa

    def timestamper(self) -> Any:
        """pyHanko ``TimeStamper`` that stamps in-process with the built-in TSA."""
        from .tsa import LocalTimeStamper

        with self._lock:
            if self._timestamper is None:
                self._timestamper = LocalTimeStamper(self.tsa())
            return self._timestamper

    # ---------------------------------------------------------------- export
    def export_pkcs12(
        self,
        serial: int,
        password: bytes | str,
        *,
        friendly_name: str | None = None,
        legacy: bool = False,
    ) -> bytes:
        """The key, certificate and chain as a password-protected PKCS#12.

        Default encryption is AES-256-CBC with PBKDF2 (what current OpenSSL, Java and pyHanko
        read). ``legacy=True`` uses PBE-SHA1-3DES with a SHA-1 MAC instead, for older Windows
        and macOS keychains that cannot import the modern format. Only software keys can be
        exported; HSM keys raise :class:`KeyNotExportable`.
        """
        if isinstance(password, str):
            password = password.encode("utf-8")
        if not password:
            raise ValueError("a PKCS#12 export needs a non-empty password")
        entry = self._entry(serial)
        if entry["kind"] in ("root", "issuing"):
            raise CustodyError("CA keys are not exportable")
        key = self._custody_for(entry["key_ref"]).private_key(entry["key_ref"])
        cert = self.certificate(serial)
        label = friendly_name or cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        encryption: serialization.KeySerializationEncryption
        if legacy:
            encryption = (
                serialization.PrivateFormat.PKCS12.encryption_builder()
                .kdf_rounds(50_000)
                .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                .hmac_hash(hashes.SHA1())
                .build(password)
            )
        else:
            encryption = serialization.BestAvailableEncryption(password)
        return pkcs12.serialize_key_and_certificates(
            str(label).encode("utf-8"), key, cert, self.chain, encryption
        )

    # ---------------------------------------------------------------- revocation
    def status(self, serial: int) -> CertificateStatus:
        entry = self.store.entry(serial)
        if entry is None:
            return CertificateStatus(serial, "unknown")
        if entry.get("status") == "revoked":
            return CertificateStatus(
                serial,
                "revoked",
                datetime.fromisoformat(entry["revoked_at"]),
                entry.get("reason", "unspecified"),
            )
        return CertificateStatus(serial, "good")

    def revoke(self, serial: int, reason: str = "unspecified") -> CertificateStatus:
        """Mark a certificate revoked (idempotent: a second call keeps the first time/reason)."""
        flag = REVOCATION_REASONS.get(reason)
        if flag is None:
            raise ValueError(f"unknown revocation reason {reason!r}")
        entry = self._entry(serial)
        if entry["kind"] == "root":
            raise ValueError("the root cannot revoke itself; distrust it instead")

        def mark(e: dict[str, Any]) -> None:
            if e.get("status") != "revoked":  # first revocation wins (time and reason)
                e.update(status="revoked", revoked_at=_iso(_now()), reason=flag.name)

        self.store.modify_entry(serial, mark, create=False)
        with self._lock:
            self._signers.pop(serial, None)
        return self.status(serial)

    def discard(self, serial: int) -> CertificateStatus:
        """Undo an issuance whose certificate was never handed out (the caller's transaction
        failed after issuing): revoke it, so relying parties and OCSP call it revoked, and
        delete its private key where the custody allows, so it can never sign."""
        status = self.revoke(serial, "cessation_of_operation")
        key_ref = self._entry(serial).get("key_ref")
        if key_ref:
            self._custody_for(key_ref).destroy(key_ref)
        return status

    def _revoked_by(self, issuer: str) -> list[dict[str, Any]]:
        return sorted(
            (
                e
                for e in self.store.read_index().values()
                if e.get("issuer") == issuer and e.get("status") == "revoked"
            ),
            key=lambda e: int(e["serial"]),
        )

    def crl(self, issuer: str = "issuing") -> bytes:
        """The current DER CRL of ``issuer`` ("issuing" for end entities, "root" for the CA).

        Re-signed (with a new CRL number) when the revocation list changed or half of the
        validity period passed; otherwise the cached CRL is returned.
        """
        if issuer not in ("issuing", "root"):
            raise ValueError("issuer is 'issuing' or 'root'")
        revoked = self._revoked_by(issuer)
        fingerprint = tuple((e["serial"], e["revoked_at"], e.get("reason")) for e in revoked)
        validity = (
            timedelta(hours=ISSUING_CRL_HOURS)
            if issuer == "issuing"
            else timedelta(days=ROOT_CRL_DAYS)
        )
        now = _now()
        with self._lock:
            cached = self._crl_cache.get(issuer)
            if cached and cached[0] == fingerprint and now < cached[1] + validity / 2:
                return cached[2]
            with self.store.locked():
                config = self.store.read_config()
                number = int(config["crl_numbers"][issuer]) + 1
                config["crl_numbers"][issuer] = number
                self.store.write_config(config)
            cert = self.issuing_certificate if issuer == "issuing" else self.root_certificate
            key = self._ca_key(issuer)
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(cert.subject)
                .last_update(now)
                .next_update(now + validity)
                .add_extension(x509.CRLNumber(number), critical=False)
                .add_extension(_aki(cert), critical=False)
            )
            for e in revoked:
                rc = (
                    x509.RevokedCertificateBuilder()
                    .serial_number(int(e["serial"]))
                    .revocation_date(datetime.fromisoformat(e["revoked_at"]))
                )
                reason = REVOCATION_REASONS[e.get("reason", "unspecified")]
                if reason is not x509.ReasonFlags.unspecified:
                    rc = rc.add_extension(x509.CRLReason(reason), critical=False)
                builder = builder.add_revoked_certificate(rc.build())
            der = builder.sign(key, _sig_hash(key)).public_bytes(serialization.Encoding.DER)
            self._crl_cache[issuer] = (fingerprint, now, der)
            return der

    def ocsp_respond(self, request_der: bytes) -> bytes:
        """Answer a DER OCSP request for any certificate this CA issued (RFC 6960).

        The issuing CA answers for end entities, the root for the issuing CA; both sign their
        responses directly, so no delegated responder certificate is needed.
        """
        try:
            req = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return _ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        responder = None
        for which, cert in (("issuing", self.issuing_certificate), ("root", self.root_certificate)):
            if (
                _key_hash(cert, req.hash_algorithm) == req.issuer_key_hash
                and _name_hash(cert, req.hash_algorithm) == req.issuer_name_hash
            ):
                responder = (which, cert)
                break
        if responder is None:
            return _ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        which, issuer_cert = responder
        entry = self.store.entry(req.serial_number)
        now = _now()
        revoked_at = reason = None
        if entry is None or entry.get("issuer") != which:
            cert_status = ocsp.OCSPCertStatus.UNKNOWN
        elif entry.get("status") == "revoked":
            cert_status = ocsp.OCSPCertStatus.REVOKED
            revoked_at = datetime.fromisoformat(entry["revoked_at"])
            reason = REVOCATION_REASONS[entry.get("reason", "unspecified")]
        else:
            cert_status = ocsp.OCSPCertStatus.GOOD
        # Answer by the CertID the client sent (not a re-derived one), so clients that hash
        # with SHA-1 or SHA-256 both find their response.
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=req.issuer_name_hash,
                issuer_key_hash=req.issuer_key_hash,
                serial_number=req.serial_number,
                algorithm=req.hash_algorithm,
                cert_status=cert_status,
                this_update=now,
                next_update=now + timedelta(hours=OCSP_VALID_HOURS),
                revocation_time=revoked_at,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer_cert)
        )
        for ext in req.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                builder = builder.add_extension(ext.value, critical=False)
        key = self._ca_key(which)
        return builder.sign(key, _sig_hash(key)).public_bytes(serialization.Encoding.DER)

    # ---------------------------------------------------------------- validation
    def validation_context(
        self,
        *,
        moment: datetime | None = None,
        revocation_mode: str = "hard-fail",
        in_process: bool = True,
        **kwargs: Any,
    ) -> Any:
        """A pyhanko_certvalidator ``ValidationContext`` trusting the platform root.

        With ``in_process`` (default), CRL and OCSP "fetches" are answered by this CA directly
        (no network, no running server), so B-LT signing can embed fresh revocation data and
        hard-fail validation works offline. With a ``moment`` in the past, fetching is not
        allowed by certvalidator, so the current CRLs are supplied up front instead.
        """
        from pyhanko_certvalidator import ValidationContext

        from .fetchers import in_process_fetchers

        certs = [_to_asn1(c) for c in (self.issuing_certificate, self.tsa_certificate)]
        args: dict[str, Any] = {
            "trust_roots": [_to_asn1(self.root_certificate)],
            "other_certs": certs,
            "revocation_mode": revocation_mode,
        }
        if moment is not None or not in_process:
            args["crls"] = [self.crl("issuing"), self.crl("root")]
            if moment is not None:
                args["moment"] = moment
        else:
            args["allow_fetching"] = True
            args["fetchers"] = in_process_fetchers(self)
        args.update(kwargs)
        return ValidationContext(**args)

    def validate_chain(self, serial: int, **context_kwargs: Any) -> Any:
        """Validate a certificate up to the root with revocation checks; returns the path."""
        from pyhanko_certvalidator import CertificateValidator

        ctx = self.validation_context(**context_kwargs)
        validator = CertificateValidator(_to_asn1(self.certificate(serial)), validation_context=ctx)
        return run_sync(validator.async_validate_path())


# -------------------------------------------------------------------- helpers
def _end_entity_certificate(
    subject: x509.Name,
    public_key: PublicKey,
    *,
    issuing: x509.Certificate,
    issuing_key: PrivateKey,
    site_url: str,
    valid_days: int,
    eku: list[ObjectIdentifier],
    eku_critical: bool,
) -> x509.Certificate:
    """A signing certificate from the issuing CA: digitalSignature + nonRepudiation, CRL DP and
    OCSP/caIssuers AIA pointing at the platform, never outliving the issuing CA."""
    if valid_days <= 0:
        raise ValueError("valid_days must be positive")
    now = _now()
    not_after = min(now + timedelta(days=valid_days), issuing.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuing.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_aki(issuing), critical=False)
        .add_extension(_crl_dp(f"{site_url}/pki/issuing.crl"), critical=False)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{site_url}/pki/ocsp"),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(f"{site_url}/pki/issuing.cer"),
                    ),
                ]
            ),
            critical=False,
        )
        .sign(issuing_key, _sig_hash(issuing_key))
    )


def _to_asn1(cert: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _aki(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _crl_dp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def _entry_fields(
    cert: x509.Certificate, *, kind: str, key_ref: str, key_type: str, issuer: str
) -> dict[str, Any]:
    return {
        "serial": str(cert.serial_number),
        "serial_hex": format(cert.serial_number, "x"),
        "kind": kind,
        "issuer": issuer,
        "subject": cert.subject.rfc4514_string(),
        "key_ref": key_ref,
        "key_type": key_type,
        "not_before": _iso(cert.not_valid_before_utc),
        "not_after": _iso(cert.not_valid_after_utc),
        "issued_at": _iso(_now()),
        "status": "good",
    }


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    from asn1crypto import keys as asn1_keys

    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    h = hashes.Hash(algorithm)
    h.update(asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])
    return h.finalize()


def _name_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(cert.subject.public_bytes())
    return h.finalize()


def _ocsp_error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )

"""The platform CA facade: create or open the CA, issue certificates, hand out signers.

:class:`PlatformCA` ties together the CA state (:mod:`~chop.pki.storage`), the certificate
profiles (:mod:`~chop.pki.profiles`), key custody (:mod:`~chop.pki.custody`), revocation
(:mod:`~chop.pki.revocation`), PKCS#12 export (:mod:`~chop.pki.pkcs12`) and the TSA.

CA and TSA keys always live in the encrypted-file custody (cryptography's certificate, CRL and
OCSP builders need an in-memory key); end-entity keys live in whichever custody the CA was given
(encrypted files by default, or a PKCS#11 token).
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from chop.asyncrun import run_sync

from .custody import (
    KEY_TYPES,
    KeyCustody,
    PrivateKey,
    PublicKey,
    asn1_certificate,
    unknown_key_type,
)
from .envelope import derive_kek, kek_check_value
from .errors import (
    CertificateExpiredError,
    CertificateRevokedError,
    CustodyError,
    DuplicateSerialError,
    PkiError,
    WrongKEKError,
)
from .file_custody import EncryptedFileCustody
from .names import company_name, person_id_hash, person_name, service_name
from .pkcs12 import export_pkcs12
from .profiles import (
    END_ENTITY_DAYS,
    SIGNING_EKUS,
    TSA_DAYS,
    TSA_EKUS,
    end_entity_certificate,
    iso_utc,
    issuing_certificate,
    root_certificate,
    utc_now,
)
from .revocation import REVOCATION_REASONS, CertificateStatus, Revocation, reason_flag
from .storage import CAState, CAStore

__all__ = [
    "CertificateExpiredError",
    "CertificateRevokedError",
    "CertificateStatus",
    "Credential",
    "PlatformCA",
    "REVOCATION_REASONS",
]


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


class PlatformCA:
    """Facade over the CA state, the key custodies, CRL/OCSP and the TSA.

    Instances are safe to share between threads; build one per process and reuse it, because it
    caches unwrapped keys and signers (signing a thousand contracts unwraps a key once).
    """

    def __init__(
        self,
        store: CAState,
        kek: bytes | str,
        *,
        ee_custody: KeyCustody | None = None,
    ):
        self.store = store
        self.config = store.read_config()
        derived = derive_kek(kek)
        if kek_check_value(derived) != self.config["kek_check"]:
            raise WrongKEKError(
                f"the key-encryption key does not open the CA in {store.location} "
                "(check CHOP_KEK / --kek-file)",
                directory=store.location,
            )
        self.file_custody = EncryptedFileCustody(store.blob_store(), kek)
        self.ee_custody: KeyCustody = ee_custody or self.file_custody
        # A process killed mid-write (e.g. during issuance) leaves temp files that nothing refers
        # to, some of them encrypted key envelopes: clear them whenever a CA is opened.
        store.clean_temporary()
        self.file_custody.store.clean_temporary()
        self._signers: dict[int, Any] = {}
        self._lock = threading.RLock()
        self._timestamper: Any = None
        self._tsa: Any = None
        self._pepper: bytes | None = None
        self.root_certificate = store.get_certificate(int(self.config["root_serial"]))
        self.issuing_certificate = store.get_certificate(int(self.config["issuing_serial"]))
        self.tsa_certificate = store.get_certificate(int(self.config["tsa_serial"]))
        self.revocation = Revocation(
            store,
            {"issuing": self.issuing_certificate, "root": self.root_certificate},
            self._ca_key,
        )

    # ---------------------------------------------------------------- construction
    @classmethod
    def init(
        cls,
        directory: Path | str | CAState,
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
        """Create a new CA in ``directory`` or another :class:`CAState` (which must not already
        hold one)."""
        if key_type not in KEY_TYPES:
            raise unknown_key_type(key_type)
        store = _store(directory)
        if store.exists():
            raise FileExistsError(f"{store.location} already holds a CA")
        store.create()
        custody = EncryptedFileCustody(store.blob_store(), kek)
        site_url = site_url.rstrip("/")
        now = utc_now()

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
        root = root_certificate(ca_name(root_name), root_pub, root_key, now=now)
        issuing_ref, issuing_pub = custody.generate(key_type, "issuing")
        issuing = issuing_certificate(
            ca_name(issuing_name),
            issuing_pub,
            root=root,
            root_key=root_key,
            site_url=site_url,
            now=now,
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
        # The pepper that keys person ID hashes; secret, so it is encrypted like a private key.
        custody.encrypt_secret("id-pepper", secrets.token_bytes(32))
        for cert, kind, ref, issuer in (
            (root, "root", root_ref, "root"),
            (issuing, "issuing", issuing_ref, "root"),
        ):
            store.add_certificate(
                cert,
                _entry_fields(cert, kind=kind, key_ref=ref, key_type=key_type, issuer=issuer),
            )

        # The TSA certificate is issued like an end-entity certificate, by the issuing CA.
        tsa_ref, tsa_pub = custody.generate(key_type, "tsa")
        tsa = end_entity_certificate(
            ca_name(tsa_name),
            tsa_pub,
            issuing=issuing,
            issuing_key=custody.private_key(issuing_ref),
            site_url=site_url,
            valid_days=TSA_DAYS,
            eku=TSA_EKUS,
            eku_critical=True,
        )
        store.add_certificate(
            tsa,
            _entry_fields(tsa, kind="tsa", key_ref=tsa_ref, key_type=key_type, issuer="issuing"),
        )
        config["tsa_key_ref"] = tsa_ref
        config["tsa_serial"] = str(tsa.serial_number)
        # The configuration last (ca.json): until it exists the store holds no CA, so a crash
        # mid-way can be retried rather than leaving a half-made CA that loads.
        store.write_config(config)
        return cls(store, kek, ee_custody=ee_custody)

    @classmethod
    def load(
        cls,
        directory: Path | str | CAState,
        kek: bytes | str,
        *,
        ee_custody: KeyCustody | None = None,
    ) -> PlatformCA:
        """Open an existing CA; raises :class:`WrongKEKError` for the wrong KEK."""
        return cls(_store(directory), kek, ee_custody=ee_custody)

    @classmethod
    def open_or_init(
        cls, directory: Path | str | CAState, kek: bytes | str, **init_kwargs: Any
    ) -> PlatformCA:
        """Load the CA in ``directory`` (or a :class:`CAState`), creating it first if there is
        none (demo and dev setups)."""
        store = _store(directory)
        if store.exists():
            return cls.load(store, kek, ee_custody=init_kwargs.get("ee_custody"))
        return cls.init(store, kek, **init_kwargs)

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
    def directory(self) -> Path | str:
        """Where the CA's state is: its directory, or a description of another store."""
        return getattr(self.store, "directory", None) or self.store.location

    def set_site_url(self, site_url: str) -> None:
        """Record a new site address: certificates issued from now on carry CRL and OCSP URLs
        under it (those already issued keep theirs, they are signed)."""
        self.config = self.store.update_config(site_url=site_url.rstrip("/"))

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
            "(load the CA with ee_custody=Pkcs11Custody(...))",
            code="custody_not_given",
            key_ref=key_ref,
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
        # Serials are 159 random bits: a clash is all but impossible, but the store refuses one
        # (in the database by a unique key) rather than overwrite, and a fresh draw settles it.
        for attempt in range(3):
            cert = end_entity_certificate(
                subject,
                public_key,
                issuing=self.issuing_certificate,
                issuing_key=self._ca_key("issuing"),
                site_url=self.site_url,
                valid_days=valid_days,
                eku=eku,
                eku_critical=eku_critical,
            )
            fields = {
                **_entry_fields(
                    cert, kind=kind, key_ref=key_ref, key_type=key_type, issuer="issuing"
                ),
                **(extra or {}),
            }
            try:
                self.store.add_certificate(cert, fields)
            except DuplicateSerialError:
                if attempt == 2:
                    raise
                continue
            return Credential(cert.serial_number, cert, self.chain, key_ref)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _new_key(
        self, key_type: str | None, label: str, custody: KeyCustody | None, valid_days: int
    ) -> tuple[str, tuple[str, PublicKey]]:
        # Checked before generating: a rejected request must not leave an orphan key behind
        # (harmless as a file, clutter on an HSM).
        if valid_days <= 0:
            raise PkiError(
                "valid_days must be positive", code="validity_not_positive", valid_days=valid_days
            )
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
        code = str(subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value)
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
            self._pepper = self.file_custody.decrypt_secret("id-pepper")
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

    def issue_service(
        self,
        name: str,
        service: str,
        *,
        key_type: str | None = None,
        valid_days: int = END_ENTITY_DAYS,
        custody: KeyCustody | None = None,
    ) -> Credential:
        """Certify one of the platform's own services (``service`` names it, e.g. ``evidence``):
        a fresh key pair in the CA's custody, O = the CA's organisation, OU = service, CN = name.
        Its index entry has kind ``service`` and ``service``, so the caller can find it again."""
        subject = service_name(name, service, self.config.get("organization") or "Chop")
        key_type, (key_ref, pub) = self._new_key(
            key_type, f"service-{service}", custody, valid_days
        )
        return self._issue(
            subject,
            pub,
            key_ref=key_ref,
            key_type=key_type,
            kind="service",
            valid_days=valid_days,
            eku=SIGNING_EKUS,
            extra={"service": service},
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

    def issued(self, **match: str) -> list[dict[str, Any]]:
        """The index, oldest first: one dict per certificate (non-secret fields only); with
        ``match`` (e.g. ``kind="service"``) only the entries whose fields equal it."""
        entries = self.store.entries(**match) if match else self.store.read_index().values()
        return sorted(entries, key=lambda e: e["issued_at"])

    # ---------------------------------------------------------------- signing
    def signer(self, serial: int) -> Any:
        """A pyHanko ``Signer`` for the certificate, chain attached; cached per serial.

        Refused for revoked certificates, so a revoked seal cannot be used even by a process
        that signed with it before (the cache entry is dropped on revocation).
        """
        with self._lock:
            cached = self._signers.get(serial)
        # One read of the index entry per call (a query when the store is a database): it says
        # both whether the certificate is revoked and when it expires.
        entry = self._entry(serial)
        status = self.revocation.status_of(serial, entry)
        if status.is_revoked:
            with self._lock:
                self._signers.pop(serial, None)
            raise CertificateRevokedError(
                f"certificate {serial:x} is revoked ({status.reason})",
                serial=f"{serial:x}",
                reason=status.reason,
            )
        if datetime.fromisoformat(entry["not_after"]) < utc_now():
            with self._lock:
                self._signers.pop(serial, None)
            raise CertificateExpiredError(
                f"certificate {serial:x} expired on {entry['not_after']}; issue a new one",
                serial=f"{serial:x}",
                not_after=entry["not_after"],
            )
        if cached is not None:
            return cached
        if entry["kind"] in ("root", "issuing"):
            raise CustodyError(
                "CA keys sign certificates only, not documents", code="ca_key_not_for_documents"
            )
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
        """The key, certificate and chain as a password-protected PKCS#12 (see
        :func:`chop.pki.pkcs12.export_pkcs12`). Only software keys can be exported; HSM keys
        raise :class:`KeyNotExportable`, CA keys :class:`CustodyError`.
        """
        entry = self._entry(serial)
        if entry["kind"] in ("root", "issuing"):
            raise CustodyError("CA keys are not exportable", code="ca_key_not_exportable")
        key = self._custody_for(entry["key_ref"]).private_key(entry["key_ref"])
        cert = self.certificate(serial)
        label = friendly_name or cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        return export_pkcs12(
            key, cert, self.chain, password, friendly_name=str(label), legacy=legacy
        )

    # ---------------------------------------------------------------- revocation
    def status(self, serial: int) -> CertificateStatus:
        return self.revocation.status(serial)

    def revoke(self, serial: int, reason: str = "unspecified") -> CertificateStatus:
        """Mark a certificate revoked (idempotent: a second call keeps the first time/reason)."""
        flag = reason_flag(reason)
        entry = self._entry(serial)
        if entry["kind"] == "root":
            raise PkiError(
                "the root cannot revoke itself; distrust it instead", code="root_not_revocable"
            )
        status = self.revocation.mark_revoked(serial, flag)
        with self._lock:
            self._signers.pop(serial, None)
        return status

    def discard(self, serial: int) -> CertificateStatus:
        """Undo an issuance whose certificate was never handed out (the caller's transaction
        failed after issuing): revoke it, so relying parties and OCSP call it revoked, and
        delete its private key where the custody allows, so it can never sign."""
        status = self.revoke(serial, "cessation_of_operation")
        key_ref = self._entry(serial).get("key_ref")
        if key_ref:
            self._custody_for(key_ref).destroy(key_ref)
        return status

    def crl(self, issuer: str = "issuing") -> bytes:
        """The current DER CRL of ``issuer`` ("issuing" for end entities, "root" for the CA)."""
        return self.revocation.crl(issuer)

    def ocsp_respond(self, request_der: bytes) -> bytes:
        """Answer a DER OCSP request for any certificate this CA issued (RFC 6960)."""
        return self.revocation.ocsp_respond(request_der)

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

        certs = [asn1_certificate(c) for c in (self.issuing_certificate, self.tsa_certificate)]
        args: dict[str, Any] = {
            "trust_roots": [asn1_certificate(self.root_certificate)],
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
        validator = CertificateValidator(
            asn1_certificate(self.certificate(serial)), validation_context=ctx
        )
        return run_sync(validator.async_validate_path())


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
        "not_before": iso_utc(cert.not_valid_before_utc),
        "not_after": iso_utc(cert.not_valid_after_utc),
        "issued_at": iso_utc(utc_now()),
        "status": "good",
    }


def _store(where: Path | str | CAState) -> CAState:
    """A directory's :class:`CAStore`, or the store given."""
    return CAStore(where) if isinstance(where, Path | str) else where

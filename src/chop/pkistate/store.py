"""``chop.pki``'s ``CAState`` in the database, and opening the platform CA on it.

Every change is one statement or one transaction on the caller's connection, so it takes part in
the caller's transaction: a certificate issued inside a transaction that rolls back is gone with
it (no index entry, no key envelope: OCSP answers "unknown" for it), and concurrency is settled by
the database, not by checking first:

- a serial is the primary key of its row, so a second certificate with the same serial fails to
  insert (``DuplicateSerialError``, and the CA draws a new serial);
- a revocation is ``UPDATE … WHERE status = 'good'``: the first one wins, later ones change
  nothing and read the first one's time and reason;
- the next CRL number is one ``UPDATE`` of a counter column, which the database serialises, and
  never lower than the current time in microseconds, so a number handed out in a transaction that
  later rolled back is never handed out again for another list.

Parsed certificates are cached in the process (a certificate never changes once issued); index
entries are read per call, because a revocation in one process must stop signing in all of them.

pyHanko validates and signs inside an event loop it runs on the calling thread, and asks the CA
from there (CRLs and OCSP answers for B-LT and for validation). Inside a running loop Django
refuses queries (``SynchronousOnlyOperation``), and even where allowed it hands out another
connection, outside the caller's transaction (on SQLite it then waits for the caller's own write
lock). The loop only wraps synchronous work of this thread, so every method here sets it aside
for its own duration (:func:`_synchronously`) and runs on the caller's connection, as the file
store did.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from chop.pki import PlatformCA
from chop.pki.errors import CustodyError, DuplicateSerialError
from chop.pki.file_custody import BlobStore
from chop.pki.storage import CAStore, copy_state

from .models import CAConfig, IssuedCertificate, KeyBlob

log = logging.getLogger(__name__)

# Entry fields kept in columns of their own (the rest is in ``fields``).
_STATUS_FIELDS = ("status", "revoked_at", "reason")
_COLUMNS = {"serial_hex", "kind", "issuer", "service", *_STATUS_FIELDS}
_CERT_CACHE_SIZE = 4096


@contextlib.contextmanager
def _synchronously() -> Iterator[None]:
    """Run the block as the synchronous code it is, even when called from inside an event loop
    running on this thread (see the module docstring): the loop is set aside and put back.

    Only when the caller's connection is not already at hand in the loop's context: code that
    itself runs under a loop (a browser test's, where Django is told to allow it) keeps its
    connection there, and setting the loop aside would reach for another one."""
    loop = asyncio.events._get_running_loop()
    if loop is None or any(
        c.alias == DEFAULT_DB_ALIAS for c in connections.all(initialized_only=True)
    ):
        yield
        return
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(loop)


def _sync_methods(cls):
    """Wrap every public method of ``cls`` in :func:`_synchronously`."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(value) or name == "locked":
            continue

        def wrap(method):
            @functools.wraps(method)
            def inner(*args, **kwargs):
                with _synchronously():
                    return method(*args, **kwargs)

            return inner

        setattr(cls, name, wrap(value))
    return cls


@_sync_methods
class DatabaseBlobStore(BlobStore):
    """Encrypted key envelopes as ``KeyBlob`` rows."""

    def put(self, name: str, data: bytes) -> None:
        if KeyBlob.objects.filter(name=name).update(data=data) == 0:
            KeyBlob.objects.create(name=name, data=data)

    def get(self, name: str) -> bytes:
        row = KeyBlob.objects.filter(name=name).values_list("data", flat=True).first()
        if row is None:
            raise CustodyError(f"no key blob named {name!r}", code="key_missing", key=name)
        return bytes(row)

    def names(self) -> list[str]:
        return list(KeyBlob.objects.order_by("name").values_list("name", flat=True))

    def delete(self, name: str) -> bool:
        deleted, _ = KeyBlob.objects.filter(name=name).delete()
        return deleted > 0


@_sync_methods
class DatabaseCAStore:
    """The platform CA's state in the ``pkistate`` tables (one CA per database)."""

    location = "the database"

    def __init__(self) -> None:
        self._certs: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    # -- the store ------------------------------------------------------------------------
    def exists(self) -> bool:
        return CAConfig.objects.filter(pk=1).exists()

    def create(self) -> None:
        """Nothing to prepare: the tables are made by the migrations."""

    def clean_temporary(self) -> int:
        return 0  # a transaction leaves nothing half-written

    def blob_store(self) -> BlobStore:
        return DatabaseBlobStore()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One transaction holding the configuration row's lock (on SQLite, the write lock)."""
        with _synchronously(), transaction.atomic():
            list(CAConfig.objects.select_for_update().filter(pk=1).values_list("pk", flat=True))
            yield

    # -- configuration --------------------------------------------------------------------
    def read_config(self) -> dict[str, Any]:
        row = CAConfig.objects.filter(pk=1).first()
        if row is None:
            raise FileNotFoundError("no CA in the database")
        return {
            **row.config,
            "crl_numbers": {"issuing": row.crl_number_issuing, "root": row.crl_number_root},
        }

    def write_config(self, config: dict[str, Any]) -> None:
        """Replace the configuration; creating it (a new or imported CA) fails with
        ``IntegrityError`` when another process created one meanwhile."""
        numbers = config.get("crl_numbers") or {}
        fields = {
            "config": {k: v for k, v in config.items() if k != "crl_numbers"},
            "crl_number_issuing": int(numbers.get("issuing", 0)),
            "crl_number_root": int(numbers.get("root", 0)),
        }
        with transaction.atomic():
            if not CAConfig.objects.filter(pk=1).update(**fields):
                CAConfig.objects.create(pk=1, **fields)

    def update_config(self, **fields: Any) -> dict[str, Any]:
        fields.pop("crl_numbers", None)  # only next_crl_number moves them
        with self.locked():
            row = CAConfig.objects.get(pk=1)
            row.config = {**row.config, **fields}
            row.save(update_fields=["config"])
        return self.read_config()

    def next_crl_number(self, issuer: str) -> int:
        column = {"issuing": "crl_number_issuing", "root": "crl_number_root"}[issuer]
        floor = time.time_ns() // 1000
        with transaction.atomic():
            updated = CAConfig.objects.filter(pk=1).update(
                **{column: Greatest(F(column) + 1, Value(floor))}
            )
            if not updated:
                raise FileNotFoundError("no CA in the database")
            return int(CAConfig.objects.filter(pk=1).values_list(column, flat=True).get())

    # -- certificates and the index --------------------------------------------------------
    def add_certificate(self, cert: x509.Certificate, entry: dict[str, Any]) -> None:
        serial_hex = format(cert.serial_number, "x")
        entry = {**entry, "serial": str(cert.serial_number), "serial_hex": serial_hex}
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction stays usable
                IssuedCertificate.objects.create(
                    serial=serial_hex,
                    kind=entry.get("kind", ""),
                    issuer=entry.get("issuer", ""),
                    service=entry.get("service", ""),
                    status=entry.get("status", "good"),
                    revoked_at=entry.get("revoked_at", ""),
                    reason=entry.get("reason", "") if entry.get("status") == "revoked" else "",
                    fields={k: v for k, v in entry.items() if k not in _STATUS_FIELDS},
                    der=cert.public_bytes(serialization.Encoding.DER),
                )
        except IntegrityError:
            raise DuplicateSerialError(
                f"serial {serial_hex} is already in the index", serial=serial_hex
            ) from None

    def get_certificate(self, serial: int) -> x509.Certificate:
        key = format(serial, "x")
        with self._lock:
            cached = self._certs.get(key)
        if cached is not None:
            return cached
        der = IssuedCertificate.objects.filter(serial=key).values_list("der", flat=True).first()
        if der is None:
            raise KeyError(f"no certificate with serial {key} in the database")
        cert = x509.load_der_x509_certificate(bytes(der))
        with self._lock:
            if len(self._certs) >= _CERT_CACHE_SIZE:
                self._certs.clear()
            self._certs[key] = cert
        return cert

    @staticmethod
    def _entry(row: dict[str, Any]) -> dict[str, Any]:
        entry = dict(row["fields"])
        entry["status"] = row["status"]
        if row["status"] == IssuedCertificate.Status.REVOKED:
            entry["revoked_at"] = row["revoked_at"]
            entry["reason"] = row["reason"]
        return entry

    _VALUES = ("fields", *_STATUS_FIELDS)

    def entry(self, serial: int) -> dict[str, Any] | None:
        row = IssuedCertificate.objects.filter(serial=format(serial, "x")).values(*self._VALUES)
        found = row.first()
        return self._entry(found) if found is not None else None

    def read_index(self) -> dict[str, dict[str, Any]]:
        rows = IssuedCertificate.objects.values("serial", *self._VALUES)
        return {row["serial"]: self._entry(row) for row in rows}

    def entries(self, **match: str) -> list[dict[str, Any]]:
        columns = {k: v for k, v in match.items() if k in _COLUMNS and k != "serial_hex"}
        rows = IssuedCertificate.objects.filter(**columns).values(*self._VALUES)
        found = [self._entry(row) for row in rows]
        found = [e for e in found if all(e.get(k) == v for k, v in match.items())]
        return sorted(found, key=lambda e: int(e["serial"]))

    def revoke_entry(self, serial: int, revoked_at: str, reason: str) -> dict[str, Any]:
        key = format(serial, "x")
        IssuedCertificate.objects.filter(serial=key, status=IssuedCertificate.Status.GOOD).update(
            status=IssuedCertificate.Status.REVOKED, revoked_at=revoked_at, reason=reason
        )
        entry = self.entry(serial)
        if entry is None:
            raise KeyError(f"no certificate with serial {key}")
        return entry


# Root serials of CAs this process created inside a transaction that has not committed yet: such
# a CA is not kept loaded (its rows may still roll back).
_uncommitted: set[str] = set()


def import_file_ca(directory: Path | str) -> bool:
    """Copy the CA in the directory ``directory`` into the database when the database holds none
    (an installation from before the database held the CA); whether it did. The key envelopes are
    copied still encrypted; the directory is left as it was and is not used afterwards."""
    store = DatabaseCAStore()
    files = CAStore(directory)
    with transaction.atomic():
        if store.exists() or not files.exists():
            return False
        count = copy_state(files, store)
        _created(store.read_config()["root_serial"])
    log.warning(
        "imported the platform CA from %s into the database (%d certificates); "
        "the directory is no longer used",
        files.directory,
        count,
    )
    return True


def open_platform_ca(directory: Path | str, kek: bytes | str, *, site_url: str) -> PlatformCA:
    """The platform CA in the database, created on first use: imported from the CA directory
    ``directory`` when one is there (see :func:`import_file_ca`), otherwise made new. Safe when
    several processes open it for the first time at once: one creates it, the others load it
    (the configuration row is unique)."""
    store = DatabaseCAStore()
    for attempt in range(3):
        try:
            if import_file_ca(directory):
                break
            with transaction.atomic():
                if store.exists():
                    break
                ca = PlatformCA.init(store, kek, site_url=site_url)
                _created(ca.config["root_serial"])
                return ca
        except IntegrityError:  # another process created or imported it first
            if attempt == 2:
                raise
    return PlatformCA.load(store, kek)


def _created(root: str) -> None:
    """Note a CA made in the current transaction until that transaction (the outermost one)
    commits; if it rolls back, the CA is gone and is never loaded again anyway."""
    _uncommitted.add(root)
    transaction.on_commit(lambda: _uncommitted.discard(root))


def durable(ca: PlatformCA) -> bool:
    """Whether ``ca``'s rows are committed, so the process may keep it loaded."""
    return ca.config["root_serial"] not in _uncommitted

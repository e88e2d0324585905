"""The CA's state: configuration, certificates, the index of issued certificates, CRL numbers,
revocations and the blob store of encrypted keys.

:class:`CAState` is the interface :class:`~chop.pki.ca.PlatformCA` works through; every change it
makes is one call that the store performs atomically (a new certificate with its index entry, a
revocation that only the first caller wins, the next CRL number), so a store that is shared by
many processes (the web app keeps it in its database) stays consistent without the CA locking
anything itself. :class:`CAStore` is the directory implementation the command line and the tests
use; the one below keeps non-secret CA state on disk.

Everything written here is public or at least non-secret (certificates, serials, subjects, status);
private keys go through :mod:`chop.pki.custody` and only ever reach the disk encrypted. JSON files
are replaced atomically (temp file in the same directory + ``os.replace``) so a crash or a
concurrent reader never sees a half-written index, and writers take an ``flock`` so two processes
(the web app and ``python -m chop.pki``) do not lose each other's updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .errors import DuplicateSerialError
from .file_custody import BlobStore, DirectoryBlobStore, remove_stale_temporaries

__all__ = ["CAState", "CAStore", "copy_state"]


@runtime_checkable
class CAState(Protocol):
    """Where a CA keeps its state. Index entries are plain dicts of strings, keyed in
    :meth:`read_index` by the serial in lower-case hex; ``status`` is ``good`` or ``revoked``
    (then with ``revoked_at``, an ISO time, and ``reason``)."""

    @property
    def location(self) -> str:
        """Where the state is, for messages (a directory, "the database")."""

    def exists(self) -> bool:
        """Whether a CA was created here (its configuration is stored)."""

    def create(self) -> None:
        """Prepare an empty store for :meth:`PlatformCA.init`."""

    def clean_temporary(self) -> int:
        """Remove what interrupted writes left behind; how many."""

    def blob_store(self) -> BlobStore:
        """Where the encrypted key envelopes are."""

    def read_config(self) -> dict[str, Any]:
        """The configuration; raises ``FileNotFoundError`` when there is no CA."""

    def write_config(self, config: dict[str, Any]) -> None:
        """Store the whole configuration (creating the CA: called once by init)."""

    def update_config(self, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into the stored configuration atomically; the new configuration."""

    def next_crl_number(self, issuer: str) -> int:
        """A CRL number for ``issuer`` greater than every one handed out before, atomically."""

    def add_certificate(self, cert: x509.Certificate, entry: dict[str, Any]) -> None:
        """Store a new certificate with its index entry, in one step; raises
        :class:`DuplicateSerialError` when the serial is taken (never overwrites)."""

    def get_certificate(self, serial: int) -> x509.Certificate:
        """The certificate with this serial; ``KeyError`` when there is none."""

    def entry(self, serial: int) -> dict[str, Any] | None:
        """The index entry of ``serial``, or ``None``."""

    def read_index(self) -> dict[str, dict[str, Any]]:
        """Every index entry, keyed by hex serial (a copy)."""

    def entries(self, **match: str) -> list[dict[str, Any]]:
        """The entries whose fields equal ``match`` (e.g. ``issuer="issuing", status="revoked"``),
        in serial order."""

    def revoke_entry(self, serial: int, revoked_at: str, reason: str) -> dict[str, Any]:
        """Mark ``serial`` revoked unless it already is (the first revocation's time and reason
        are kept); the entry afterwards. ``KeyError`` for an unknown serial."""

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """An exclusive section against other writers of this store (KEK rotation)."""


def copy_state(source: CAState, target: CAState) -> int:
    """Copy a whole CA from ``source`` into the empty ``target``: key envelopes, certificates with
    their index entries, then the configuration (last, so an interrupted copy leaves a target
    that does not claim to hold a CA). The envelopes are copied as they are, still encrypted.
    Returns how many certificates were copied."""
    if target.exists():
        raise FileExistsError(f"{target.location} already holds a CA")
    target.create()
    blobs_in, blobs_out = source.blob_store(), target.blob_store()
    for name in blobs_in.names():
        blobs_out.put(name, blobs_in.get(name))
    index = source.read_index()
    for entry in sorted(index.values(), key=lambda e: int(e["serial"])):
        target.add_certificate(source.get_certificate(int(entry["serial"])), entry)
    target.write_config(source.read_config())
    return len(index)


class CAStore:
    """A CA directory::

    ca.json        configuration (names, key type, site URL, role serials, KEK check value)
    index.json     issued certificates: serial, subject, kind, status, revocation time/reason
    certs/<hex>.pem  every certificate the CA issued (and the root)
    keys/          encrypted key envelopes (written by EncryptedFileCustody)
    """

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self._lock = threading.RLock()
        self._index_cache: tuple[tuple[int, int, int], dict[str, dict[str, Any]]] | None = None

    def blob_store(self) -> BlobStore:
        """Where encrypted key envelopes go; override to keep them elsewhere (e.g. a DB table)."""
        return DirectoryBlobStore(self.keys_dir)

    # -- layout -------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.directory / "ca.json"

    @property
    def index_path(self) -> Path:
        return self.directory / "index.json"

    @property
    def keys_dir(self) -> Path:
        return self.directory / "keys"

    @property
    def location(self) -> str:
        return str(self.directory)

    def exists(self) -> bool:
        return self.config_path.exists()

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.directory / "certs").mkdir(exist_ok=True)
        self.keys_dir.mkdir(exist_ok=True, mode=0o700)

    def clean_temporary(self) -> int:
        """Delete temp files of JSON and certificate writes a killed process left; how many."""
        return sum(remove_stale_temporaries(d) for d in (self.directory, self.directory / "certs"))

    # -- atomic JSON ----------------------------------------------------------------------------
    def _write_json(self, path: Path, data: Any) -> None:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @staticmethod
    def _read_json(path: Path, default: Any) -> Any:
        try:
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return default

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive section across threads and processes (read-modify-write of the index)."""
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / ".lock", "a+") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # -- config ---------------------------------------------------------------------------------
    def read_config(self) -> dict[str, Any]:
        config = self._read_json(self.config_path, None)
        if config is None:
            raise FileNotFoundError(f"no CA in {self.directory} (run `python -m chop.pki init`)")
        return config

    def write_config(self, config: dict[str, Any]) -> None:
        self._write_json(self.config_path, config)

    def update_config(self, **fields: Any) -> dict[str, Any]:
        with self.locked():
            config = self.read_config()
            config.update(fields)
            self.write_config(config)
            return config

    def next_crl_number(self, issuer: str) -> int:
        with self.locked():
            config = self.read_config()
            numbers = config.setdefault("crl_numbers", {})
            number = int(numbers.get(issuer, 0)) + 1
            numbers[issuer] = number
            self.write_config(config)
            return number

    # -- index ----------------------------------------------------------------------------------
    def _cached_index(self) -> dict[str, dict[str, Any]]:
        """The parsed index, re-read only when the file changed.

        Status is checked on every signing and every OCSP request, so re-parsing the whole JSON
        each time would grow with the number of certificates issued.
        """
        try:
            st = self.index_path.stat()
        except FileNotFoundError:
            return {}
        # os.replace gives every write a new inode, so this changes on every write
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._index_cache is None or self._index_cache[0] != stamp:
                self._index_cache = (stamp, self._read_json(self.index_path, {}))
            return self._index_cache[1]

    def read_index(self) -> dict[str, dict[str, Any]]:
        """A copy of the index (entries hold only scalars, so copying each entry suffices)."""
        return {k: dict(v) for k, v in self._cached_index().items()}

    def write_index(self, index: dict[str, dict[str, Any]]) -> None:
        self._write_json(self.index_path, index)

    def update_entry(self, serial: int, /, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into the index entry for ``serial`` (creating it) and save."""
        return self.modify_entry(serial, lambda entry: entry.update(fields))

    def modify_entry(
        self, serial: int, change: Callable[[dict[str, Any]], None], *, create: bool = True
    ) -> dict[str, Any]:
        """Read-modify-write one entry under the lock, so check-then-set logic (e.g. "revoke
        unless already revoked") cannot race another process. Not re-entrant across ``locked``.
        """
        with self.locked():
            index = self.read_index()
            key = format(serial, "x")
            if key not in index and not create:
                raise KeyError(f"no certificate with serial {key}")
            entry = index.setdefault(key, {"serial": str(serial)})
            change(entry)
            self.write_index(index)
            return dict(entry)

    def entry(self, serial: int) -> dict[str, Any] | None:
        found = self._cached_index().get(format(serial, "x"))
        return dict(found) if found is not None else None

    def entries(self, **match: str) -> list[dict[str, Any]]:
        found = (
            dict(e)
            for e in self._cached_index().values()
            if all(e.get(k) == v for k, v in match.items())
        )
        return sorted(found, key=lambda e: int(e["serial"]))

    def revoke_entry(self, serial: int, revoked_at: str, reason: str) -> dict[str, Any]:
        def mark(e: dict[str, Any]) -> None:
            if e.get("status") != "revoked":
                e.update(status="revoked", revoked_at=revoked_at, reason=reason)

        return self.modify_entry(serial, mark, create=False)

    def add_certificate(self, cert: x509.Certificate, entry: dict[str, Any]) -> None:
        with self.locked():
            index = self.read_index()
            key = format(cert.serial_number, "x")
            if key in index:
                raise DuplicateSerialError(f"serial {key} is already in the index", serial=key)
            self.put_certificate(cert)
            index[key] = {**entry, "serial": str(cert.serial_number)}
            self.write_index(index)

    # -- certificates ---------------------------------------------------------------------------
    def cert_path(self, serial: int) -> Path:
        return self.directory / "certs" / f"{serial:x}.pem"

    def put_certificate(self, cert: x509.Certificate) -> None:
        path = self.cert_path(cert.serial_number)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        os.replace(tmp, path)

    def get_certificate(self, serial: int) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(self.cert_path(serial).read_bytes())
        except FileNotFoundError:
            raise KeyError(f"no certificate with serial {serial:x} in {self.directory}") from None

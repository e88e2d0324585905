"""One archive holding the whole platform, and bringing it back on a fresh machine.

``chop backup PATH`` writes a zip file:

- ``db/<app>.<model>.jsonl``: every row of every table, one JSON object per line, in the shape of
  Django's own serializer (field values by field, foreign keys as plain ids, binary values in
  base64). The platform CA's state (configuration, certificate index, CRL numbers, encrypted key
  envelopes) is in these tables (``chop.pkistate``), and so are the stamping records and the
  stamping log.
- ``files/<name>``: every file of Django's default storage (local disk or an S3 bucket), stored
  as is, under the name the database knows it by.
- ``pki/<path>``: a CA directory (``CHOP_PKI_DIR``) if one is on the machine (an installation
  from before the CA lived in the database; it is not used once imported).
- ``manifest.json``: format and version, time, database vendor, the applied migrations, and for
  every member its row count or name, its size and its SHA-256.

Not in it: the key-encryption key (``CHOP_KEK``, or ``var/kek`` on a local install) that wraps
the CA's keys and the personal data. The operator keeps it apart from the backups: a backup and
its KEK together are the platform's signing keys. Keys held in a PKCS#11 HSM stay there.

Why rows as JSON lines rather than ``pg_dump`` or ``dumpdata``: a restore must work on a fresh
machine whichever database it runs (SQLite on one machine, PostgreSQL on several), and
``pg_dump`` output loads only into PostgreSQL (and needs the same major version's tools);
``dumpdata`` with natural keys depends on every app's natural-key graph and loads row by row
through ``save()``. Rows by field value load into either vendor through the ORM, in batches,
without signals and without ``auto_now`` rewriting the times.

Consistency: the rows are read in one snapshot (PostgreSQL: one REPEATABLE READ, READ ONLY
transaction; SQLite: one read transaction, which WAL lets writers go on beside), then the files
are copied. Files are never rewritten in place (names are random, the storage never overwrites),
so every file a row of the snapshot names is there afterwards unless it was deleted meanwhile;
such files are listed as missing in the manifest and in the output. Files created after the
snapshot may be in the archive too; nothing in the restored database refers to them.

The archive is written under a temporary name beside ``PATH`` (mode 0600) and renamed to
``PATH`` only once complete: a failure leaves nothing but the old ``PATH``, if there was one.

``chop restore PATH`` checks the whole archive first (manifest, every member's size and SHA-256,
the migrations, the KEK against the CA's check value, an empty database and storage), then in one
database transaction loads the rows (in foreign-key order; sequences reset on PostgreSQL), puts
the files back through the storage API, and opens the CA and its keys with ``CHOP_KEK``. A
failure at any step rolls the database back and deletes the files it wrote.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Deserializer as PythonDeserializer
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "chop-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
BATCH = 1000
# Rows a freshly migrated database already holds (``migrate`` creates them): a restore replaces
# them with the archive's, whose ids the other rows refer to.
MIGRATE_MADE = ("contenttypes.contenttype", "auth.permission")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator (translated)."""


@dataclass
class BackupResult:
    path: Path
    rows: int
    tables: int
    files: int
    file_bytes: int
    missing: list[str] = field(default_factory=list)
    pki_files: int = 0


@dataclass
class RestoreResult:
    rows: int
    tables: int
    files: int
    pki_files: int
    ca: bool


# -- what to copy ----------------------------------------------------------------------------


def tables() -> list[type[models.Model]]:
    """Every model with a table of its own (many-to-many tables included), parents before the
    models whose foreign keys point at them (cycles, if any, are left to the database's deferred
    constraint checks)."""
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.managed and not opts.proxy and not opts.swapped:
            found.setdefault(opts.db_table, model)
    pending = {m: _parents(m) & set(found.values()) for m in found.values()}
    ordered: list[type[models.Model]] = []
    while pending:
        ready = sorted((m for m, deps in pending.items() if not deps), key=_label)
        if not ready:  # a cycle: take the rest in name order
            ready = sorted(pending, key=_label)
        for model in ready:
            ordered.append(model)
            del pending[model]
        for deps in pending.values():
            deps.difference_update(ready)
    return ordered


def _parents(model: type[models.Model]) -> set[type[models.Model]]:
    return {
        f.related_model
        for f in model._meta.local_fields
        if f.remote_field is not None and f.related_model is not model
    }


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _member_for(model: type[models.Model]) -> str:
    return f"db/{_label(model)}.jsonl"


def _field_names(model: type[models.Model]) -> list[str]:
    """The names the serializer selects: every local column, no many-to-many (their tables are
    copied as tables of their own)."""
    return [f.attname if f.remote_field is None else f.name for f in model._meta.local_fields]


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    by_app: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        by_app.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(by_app.items())}


# -- writing ---------------------------------------------------------------------------------


class _Counting:
    """A write-only stream that hashes and counts what passes through it."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)

    def entry(self, **extra: Any) -> dict[str, Any]:
        return {**extra, "bytes": self.size, "sha256": self.sha256.hexdigest()}


@contextlib.contextmanager
def snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Every read inside sees the database as of one instant."""
    connection = connections[using]
    if connection.in_atomic_block:  # the caller's transaction is the snapshot
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        # Django opens SQLite transactions IMMEDIATE (the write lock): a backup must not stop
        # every writer, so it opens a plain read transaction itself; in WAL mode it sees one
        # snapshot from its first read on while writers carry on.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                cursor.execute("COMMIT")
        return
    with transaction.atomic(using=using):  # pragma: no cover - other vendors: their default
        yield


def _export_table(
    archive: zipfile.ZipFile, model: type[models.Model], using: str, names: set[str]
) -> dict[str, Any]:
    file_fields = [f for f in model._meta.local_fields if isinstance(f, models.FileField)]
    selected = _field_names(model)
    rows = 0
    info = zipfile.ZipInfo(_member_for(model), _zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    with archive.open(info, "w", force_zip64=True) as raw:
        out = _Counting(raw)
        query = model._base_manager.using(using).order_by("pk")
        batch: list[models.Model] = []
        for obj in query.iterator(chunk_size=BATCH):
            batch.append(obj)
            if len(batch) == BATCH:
                rows += _write_rows(out, batch, selected, file_fields, names)
                batch = []
        rows += _write_rows(out, batch, selected, file_fields, names)
    return out.entry(model=_label(model), member=_member_for(model), rows=rows)


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times to the microsecond: it cuts them to milliseconds (as
    ECMAScript does), and a stamping record's time is part of the leaf the log hashes."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            if isinstance(o, dt.time) and timezone.is_aware(o):
                raise ValueError("JSON can't represent timezone-aware times.")
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def _write_rows(
    out: _Counting,
    batch: list[models.Model],
    selected: list[str],
    file_fields: list[models.FileField],
    names: set[str],
) -> int:
    if not batch:
        return 0
    for obj in batch:
        for f in file_fields:
            name = getattr(obj, f.attname)
            if name:
                names.add(str(name))
    dicts = PythonSerializer().serialize(batch, fields=selected)
    lines = "".join(
        json.dumps(d, cls=_Encoder, ensure_ascii=False, sort_keys=True) + "\n" for d in dicts
    )
    out.write(lines.encode("utf-8"))
    return len(batch)


def stored_names(folder: str = "") -> list[str]:
    """Every file name in the default storage under ``folder``, sorted."""
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{f}" if folder else f for f in files]
    for d in dirs:
        found += stored_names(f"{folder}/{d}" if folder else d)
    return sorted(found)


def _copy_stored_file(archive: zipfile.ZipFile, name: str) -> dict[str, Any] | None:
    """Stream one stored file into the archive; ``None`` when it is not (or no longer) there."""
    try:
        source = default_storage.open(name, "rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        if not default_storage.exists(name):
            return None
        raise BackupError(
            _("Cannot read the stored file %(name)s: %(error)s") % {"name": name, "error": exc}
        ) from exc
    info = zipfile.ZipInfo(f"files/{name}", _zip_time())
    info.compress_type = zipfile.ZIP_STORED  # PDFs and images are compressed already
    info.external_attr = 0o600 << 16
    with source, archive.open(info, "w", force_zip64=True) as raw:
        out = _Counting(raw)
        for chunk in source.chunks(CHUNK):
            out.write(chunk)
    return out.entry(name=name, member=info.filename)


def _pki_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and not p.is_symlink() and not p.name.startswith("kek")
    )


def _copy_path(archive: zipfile.ZipFile, path: Path, member: str) -> dict[str, Any]:
    info = zipfile.ZipInfo(member, _zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as raw:
        out = _Counting(raw)
        while chunk := source.read(CHUNK):
            out.write(chunk)
    return out.entry(member=member)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = dt.datetime.now(dt.UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def backup(path: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write the archive at ``path`` (see the module's docstring)."""
    target = Path(path).expanduser().absolute()
    if target.is_dir():
        raise BackupError(
            _("%(path)s is a directory: give the archive's file name.") % {"path": target}
        )
    if not target.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.") % {"path": target.parent})
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    temp = Path(temp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            result = _write_archive(fh, target, using)
            fh.flush()
            os.fsync(fh.fileno())
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return result


def _write_archive(fh: IO[bytes], target: Path, using: str) -> BackupResult:
    connection = connections[using]
    started = timezone.now()
    referenced: set[str] = set()
    with zipfile.ZipFile(fh, "w", allowZip64=True) as archive:
        with snapshot(using):
            migrations = applied_migrations(using)
            table_entries = [_export_table(archive, model, using, referenced) for model in tables()]
            kek_check = _kek_check_in_db(using)
        file_entries: list[dict[str, Any]] = []
        missing: list[str] = []
        for name in sorted(referenced | set(stored_names())):
            entry = _copy_stored_file(archive, name)
            if entry is not None:
                file_entries.append(entry)
            elif name in referenced:
                missing.append(name)
        pki_dir = Path(settings.CHOP_PKI_DIR)
        pki_entries = [
            _copy_path(archive, p, "pki/" + p.relative_to(pki_dir).as_posix())
            for p in _pki_files(pki_dir)
        ]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": started.isoformat(),
            "database": {"vendor": connection.vendor, "migrations": migrations},
            "storage": settings.STORAGES["default"]["BACKEND"],
            "kek": {
                "included": False,
                "note": "CHOP_KEK is not in this archive: keep it separately",
                "check": kek_check,
            },
            "tables": table_entries,
            "files": file_entries,
            "missing_files": missing,
            "pki": pki_entries,
        }
        info = zipfile.ZipInfo(MANIFEST, _zip_time())
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        archive.writestr(info, json.dumps(manifest, indent=1, ensure_ascii=False))
    return BackupResult(
        path=target,
        rows=sum(e["rows"] for e in table_entries),
        tables=len(table_entries),
        files=len(file_entries),
        file_bytes=sum(e["bytes"] for e in file_entries),
        missing=missing,
        pki_files=len(pki_entries),
    )


def _kek_check_in_db(using: str) -> str | None:
    from chop.pkistate.models import CAConfig

    config = CAConfig.objects.using(using).filter(pk=1).values_list("config", flat=True).first()
    return None if config is None else config.get("kek_check")


# -- reading ---------------------------------------------------------------------------------


def _damaged(reason: str) -> BackupError:
    return BackupError(
        _("The archive is damaged or not a Chop backup (%(reason)s). Nothing was changed.")
        % {"reason": reason}
    )


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(_("There is no file %(path)s.") % {"path": path}) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise _damaged(str(exc)) from None


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise _damaged(_("no manifest")) from None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError) as exc:
        raise _damaged(_("unreadable manifest: %(error)s") % {"error": exc}) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(_("no Chop backup manifest"))
    if manifest.get("version") != VERSION:
        raise BackupError(
            _("This archive has format version %(found)s; this Chop reads version %(wanted)s.")
            % {"found": manifest.get("version"), "wanted": VERSION}
        )
    return manifest


def _entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [*manifest["tables"], *manifest["files"], *manifest["pki"]]


def verify_archive(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Read every member and compare its size and SHA-256 with the manifest's."""
    listed = {e["member"] for e in _entries(manifest)}
    present = {i.filename for i in archive.infolist()} - {MANIFEST}
    if present - listed:
        raise _damaged(
            _("members not in the manifest: %(names)s")
            % {"names": ", ".join(sorted(present - listed)[:5])}
        )
    for entry in _entries(manifest):
        member = entry["member"]
        _safe_member(member)
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(member) as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except KeyError:
            raise _damaged(_("%(member)s is missing") % {"member": member}) from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise _damaged(f"{member}: {exc}") from None
        if size != entry["bytes"] or digest.hexdigest() != entry["sha256"]:
            raise _damaged(_("%(member)s does not match its checksum") % {"member": member})


def _safe_member(member: str) -> None:
    parts = PurePosixPath(member).parts
    if member.startswith("/") or ".." in parts or "\\" in member or len(parts) < 2:
        raise _damaged(_("unsafe member name %(member)s") % {"member": member})


def _rows(archive: zipfile.ZipFile, member: str) -> Iterator[dict[str, Any]]:
    with archive.open(member) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def _kek_opens(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> bool:
    """Whether ``CHOP_KEK`` is the archived platform's KEK: the CA's check value matches and the
    stored secrets (the personal-data look-up key) decrypt."""
    from chop.pki.envelope import decrypt, derive_kek, kek_check_value
    from chop.pki.errors import CustodyError

    kek = derive_kek(settings.CHOP_KEK)
    for entry in manifest["tables"]:
        if entry["model"] == "pkistate.caconfig":
            for row in _rows(archive, entry["member"]):
                if row["fields"]["config"].get("kek_check") != kek_check_value(kek):
                    return False
        elif entry["model"] == "verification.storedkey":
            for row in _rows(archive, entry["member"]):
                name, token = row["fields"]["name"], row["fields"]["encrypted"]
                try:
                    decrypt(kek, token.encode(), purpose=f"secret:{name}")
                except CustodyError:
                    return False
    return True


def _occupied(using: str) -> list[str]:
    """The tables with rows, but for those ``migrate`` fills."""
    return [
        _label(m)
        for m in tables()
        if _label(m) not in MIGRATE_MADE and m._base_manager.using(using).exists()
    ]


def _append_only_tables() -> set[str]:
    import importlib

    stamp = importlib.import_module("chop.contracts.migrations.0006_stamp_record")
    log = importlib.import_module("chop.evidence.migrations.0002_stamping_log")
    return {stamp.TABLE, *log.TABLES}


def restore(
    path: Path | str, *, force: bool = False, using: str = DEFAULT_DB_ALIAS
) -> RestoreResult:
    """Bring the archive at ``path`` back (see the module's docstring)."""
    source = Path(path).expanduser().absolute()
    with _open(source) as archive:
        manifest = read_manifest(archive)
        verify_archive(archive, manifest)

        here = applied_migrations(using)
        there = manifest["database"]["migrations"]
        if here != there:
            raise BackupError(
                _(
                    "The archive was made by a Chop whose database schema differs from this one "
                    "(%(detail)s). Restore with the same Chop version that made it, then upgrade "
                    "and migrate. Nothing was changed."
                )
                % {"detail": _schema_difference(here, there)}
            )

        if not _kek_opens(archive, manifest):
            raise BackupError(
                _(
                    "CHOP_KEK is not the key-encryption key of the archived platform: its CA keys "
                    "and personal data would not open. Set CHOP_KEK to the key kept with the "
                    "backup (it is never in the archive). Nothing was changed."
                )
            )

        occupied = _occupied(using)
        names = [e["name"] for e in manifest["files"]]
        taken = [n for n in names if default_storage.exists(n)]
        if (occupied or taken) and not force:
            raise BackupError(
                _(
                    "This installation is not empty (tables with rows: %(tables)s; files already "
                    "stored: %(files)s). A restore goes onto a fresh, migrated database and empty "
                    "storage. --force deletes every row and replaces those files first. Nothing "
                    "was changed."
                )
                % {
                    "tables": ", ".join(occupied[:8]) or "-",
                    "files": ", ".join(taken[:5]) or "-",
                }
            )
        guarded = sorted(
            _label(m)
            for m in tables()
            if m._meta.db_table in _append_only_tables() and _label(m) in occupied
        )
        if guarded:
            raise BackupError(
                _(
                    "This database already holds stamping records or a stamping log (%(tables)s), "
                    "which are append-only and never deleted, not even by --force. Restore into "
                    "a new empty database. Nothing was changed."
                )
                % {"tables": ", ".join(guarded)}
            )
        return _load(archive, manifest, using, force=force)


def _schema_difference(here: dict[str, list[str]], there: dict[str, list[str]]) -> str:
    for app in sorted(set(here) | set(there)):
        a, b = set(here.get(app, [])), set(there.get(app, []))
        if a != b:
            return _("%(app)s: archive %(there)s, here %(here)s") % {
                "app": app,
                "there": ", ".join(sorted(b - a)) or "-",
                "here": ", ".join(sorted(a - b)) or "-",
            }
    return ""


def _load(
    archive: zipfile.ZipFile, manifest: dict[str, Any], using: str, *, force: bool
) -> RestoreResult:
    written: list[str] = []
    by_label = {_label(m): m for m in tables()}
    order = {label: i for i, label in enumerate(by_label)}
    entries = sorted(manifest["tables"], key=lambda e: order.get(e["model"], len(order)))
    unknown = [e["model"] for e in entries if e["model"] not in by_label]
    if unknown:
        raise BackupError(
            _("The archive holds tables this Chop does not have: %(names)s.")
            % {"names": ", ".join(unknown)}
        )
    connection = connections[using]
    rows = 0
    try:
        with transaction.atomic(using=using):
            _empty_tables(
                using,
                [m for m in by_label.values()]
                if force
                else [by_label[label] for label in MIGRATE_MADE],
            )
            for entry in entries:
                model = by_label[entry["model"]]
                loaded = _load_table(archive, entry["member"], model, using)
                if loaded != entry["rows"]:
                    raise _damaged(f"{entry['member']}: {loaded} rows, manifest {entry['rows']}")
                rows += loaded
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(by_label.values())):
                    cursor.execute(sql)
            for entry in manifest["files"]:
                _put_file(archive, entry, written, replace=force)
            ca = _check_ca(using)
    except BaseException:
        for name in written:
            with contextlib.suppress(Exception):
                default_storage.delete(name)
        raise
    _forget_caches()
    pki = _put_pki_files(archive, manifest["pki"])
    return RestoreResult(rows=rows, tables=len(entries), files=len(written), pki_files=pki, ca=ca)


def _empty_tables(using: str, models_: Iterable[type[models.Model]]) -> None:
    """Delete every row of these tables (foreign keys are checked at commit, so in any order)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def _load_table(
    archive: zipfile.ZipFile, member: str, model: type[models.Model], using: str
) -> int:
    fields = model._meta.local_concrete_fields
    manager = model._base_manager.using(using)
    count = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        objs = [d.object for d in PythonDeserializer(batch, using=using)]
        # Raw inserts, as loaddata's save(raw=True): no signals, auto_now times kept as stored.
        manager._insert(objs, fields=fields, using=using, raw=True)  # type: ignore[attr-defined]

    for row in _rows(archive, member):
        batch.append(row)
        count += 1
        if len(batch) == BATCH:
            flush()
            batch = []
    if batch:
        flush()
    return count


def _put_file(
    archive: zipfile.ZipFile, entry: dict[str, Any], written: list[str], *, replace: bool
) -> None:
    name = entry["name"]
    if replace and default_storage.exists(name):
        default_storage.delete(name)
    with archive.open(entry["member"]) as fh:
        content = File(fh, name=PurePosixPath(name).name)
        content.size = entry["bytes"]
        saved = default_storage.save(name, content)
    written.append(saved)
    if saved != name:
        raise BackupError(
            _("The storage kept %(name)s under another name (%(saved)s); nothing was restored.")
            % {"name": name, "saved": saved}
        )


def _check_ca(using: str) -> bool:
    """Open the restored CA with ``CHOP_KEK`` and unwrap its keys and the stored secrets; whether
    there was a CA at all."""
    from chop.pki import PlatformCA
    from chop.pki.envelope import decrypt, derive_kek
    from chop.pki.errors import CustodyError
    from chop.pkistate.store import DatabaseCAStore
    from chop.verification.models import StoredKey

    store = DatabaseCAStore()
    try:
        kek = derive_kek(settings.CHOP_KEK)
        for name, token in StoredKey.objects.using(using).values_list("name", "encrypted"):
            decrypt(kek, token.encode(), purpose=f"secret:{name}")
        if not store.exists():
            return False
        ca = PlatformCA.load(store, settings.CHOP_KEK)
        for which, cert in (("root", ca.root_certificate), ("issuing", ca.issuing_certificate)):
            key = ca.file_custody.private_key(ca.config[f"{which}_key_ref"])
            if key.public_key().public_bytes(*_SPKI) != cert.public_key().public_bytes(*_SPKI):
                raise BackupError(
                    _("The restored CA's %(which)s key does not match its certificate.")
                    % {"which": which}
                )
    except CustodyError as exc:
        from chop.explain import explain

        raise BackupError(
            _("The restored platform does not open with CHOP_KEK (%(error)s). Nothing was changed.")
            % {"error": explain(exc)}
        ) from exc
    return True


def _spki() -> tuple[Any, Any]:
    from cryptography.hazmat.primitives import serialization

    return (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


_SPKI = _spki()


def _forget_caches() -> None:
    from django.contrib.contenttypes.models import ContentType

    from chop.seals.issuance import forget_platform_ca
    from chop.verification import pii

    ContentType.objects.clear_cache()
    forget_platform_ca()
    pii.clear_caches()


def _put_pki_files(archive: zipfile.ZipFile, entries: list[dict[str, Any]]) -> int:
    """The CA directory, when the archive has one and this machine has none (the database's CA
    is the one in use either way)."""
    directory = Path(settings.CHOP_PKI_DIR)
    if not entries or (directory.exists() and any(directory.iterdir())):
        return 0
    for entry in entries:
        target = directory / PurePosixPath(entry["member"]).relative_to("pki")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, archive.open(entry["member"]) as fh:
            while chunk := fh.read(CHUNK):
                out.write(chunk)
    return len(entries)

"""``chop backup PATH``: the database, every stored file and the CA's state in one archive.

See ``chop.platform.backup`` for what the archive holds and how it stays consistent. The
key-encryption key (``CHOP_KEK``) is never in it: keep it separately.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from chop.platform.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write one consistent archive of the database, the stored files and the CA's state."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the archive to write (a .zip file, replaced if present)")

    def handle(self, *args, path: str, **options) -> None:
        try:
            result = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for name in result.missing:
            self.stderr.write(
                _("Missing from the storage although the database names it: %(name)s")
                % {"name": name}
            )
        self.stdout.write(
            _(
                "Wrote %(path)s: %(rows)d rows in %(tables)d tables, %(files)d files "
                "(%(size)s), %(pki)d files of the CA directory."
            )
            % {
                "path": result.path,
                "rows": result.rows,
                "tables": result.tables,
                "files": result.files,
                "size": filesizeformat(result.file_bytes),
                "pki": result.pki_files,
            }
        )
        self.stdout.write(
            _(
                "The key-encryption key (CHOP_KEK) is not in the archive: without it the CA's "
                "keys and the personal data cannot be opened. Keep it separately from the backups."
            )
        )

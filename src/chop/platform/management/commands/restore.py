"""``chop restore PATH [--force]``: bring a ``chop backup`` archive back on a fresh machine.

The database must be migrated and empty and the storage must not hold the archive's files;
``--force`` first deletes every row (the append-only stamping log excepted: a database that holds
one is refused) and replaces those files. ``CHOP_KEK`` must be the archived platform's KEK. See
``chop.platform.backup``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chop.platform.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a chop backup archive onto a fresh, migrated installation."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the archive written by chop backup")
        parser.add_argument(
            "--force",
            action="store_true",
            help="delete every row and the archive's files already stored before restoring",
        )

    def handle(self, *args, path: str, force: bool, **options) -> None:
        try:
            result = restore(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "Restored %(rows)d rows in %(tables)d tables and %(files)d files "
                "(%(pki)d files of the CA directory)."
            )
            % {
                "rows": result.rows,
                "tables": result.tables,
                "files": result.files,
                "pki": result.pki_files,
            }
        )
        if result.ca:
            self.stdout.write(_("The platform CA opens with CHOP_KEK and its keys unwrap."))
        else:
            self.stdout.write(_("The archive holds no platform CA: one is made on first use."))

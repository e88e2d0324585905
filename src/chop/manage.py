"""The ``chop`` console command: the project's ``manage.py``.

Installed as a console script so ``chop migrate``, ``chop runserver`` and the project's own
commands work from anywhere inside the virtual environment.
"""

import os
import sys


def main() -> None:
    # Files this process creates (database, uploads, outbox, collected keys) are the platform
    # user's alone; the explicit modes in settings and the writers are a second line.
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

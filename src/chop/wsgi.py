"""WSGI entry point for production servers."""

import os

from django.core.wsgi import get_wsgi_application

# Files the server creates (database, uploads, outbox) are the platform user's alone.
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chop.settings")
application = get_wsgi_application()

"""Project-level pages that belong to no single app."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_noop
from django.views.static import serve

# Django's forms end every label with gettext(":"), and Django's own zh_Hans catalogue keeps the
# ASCII colon ("姓名:"). Naming the string here puts it in the project catalogue, which takes
# precedence, translated as the full-width "：".
LABEL_SUFFIX = gettext_noop(":")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def static_files(request: HttpRequest, path: str) -> HttpResponse:
    """Serve collected static files (``STATIC_ROOT``) when DEBUG is off.

    Chop runs on one machine with no CDN and, in ``make run``, no separate web server, so the app
    serves its own few static files. It serves the *collected* tree (what a front web server would
    serve in production, filled by ``collectstatic`` in ``run_platform``) rather than searching the
    app directories on every request as ``runserver --insecure`` would, and it works under any WSGI
    server, not only runserver. A deployment behind nginx can serve ``STATIC_ROOT`` itself.
    """
    response = serve(request, path, document_root=settings.STATIC_ROOT)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the styled 403 page, saying what most likely happened and what to do.

    Django's reason (e.g. "CSRF cookie not set.") is for developers; people see a plain sentence.
    """
    return render(request, "403_csrf.html", {"reason": reason}, status=403)

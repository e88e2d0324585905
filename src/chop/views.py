"""Project-level pages that belong to no single app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_noop

# Django's forms end every label with gettext(":"), and Django's own zh_Hans catalogue keeps the
# ASCII colon ("姓名:"). Naming the string here puts it in the project catalogue, which takes
# precedence, translated as the full-width "：".
LABEL_SUFFIX = gettext_noop(":")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the styled 403 page, saying what most likely happened and what to do.

    Django's reason (e.g. "CSRF cookie not set.") is for developers; people see a plain sentence.
    """
    return render(request, "403_csrf.html", {"reason": reason}, status=403)

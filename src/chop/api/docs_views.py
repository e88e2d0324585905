"""``/api/docs``: the API's interactive documentation (Swagger UI), public.

Served from django-ninja's own copy of Swagger UI (``ninja/static/ninja/``), never a CDN. It runs
under the site's Content-Security-Policy as it is: the page has no inline script (the settings
travel in a ``<script type="application/json">`` tag that ``swagger-ui-init.js`` reads), and
Swagger UI neither evaluates strings nor needs inline ``<style>``; the browser test checks that
the operations render with no CSP violation.
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET


@require_GET
def api_docs(request):
    settings = {
        "url": reverse("api:openapi-json"),
        "layout": "BaseLayout",
        "deepLinking": True,
        # "Try it out" sends the key typed into "Authorize" as a Bearer header; never cookies
        "withCredentials": False,
        "persistAuthorization": False,
        "tryItOutEnabled": False,
        "displayRequestDuration": True,
        "docExpansion": "list",
        "defaultModelsExpandDepth": 0,
    }
    response = render(request, "api/docs.html", {"swagger_settings": settings})
    response["Cache-Control"] = "public, max-age=300"
    return response

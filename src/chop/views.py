"""Project-level pages that belong to no single app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


def not_built(title: str, nav: str):
    """A page for a section that is planned but not built yet: it says so plainly."""

    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "placeholder.html", {"title": title, "nav": nav}, status=200)

    view.__name__ = f"not_built_{nav}"
    return view


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


PLACEHOLDERS = {
    "seals": _("Seals"),
    "contracts": _("Contracts"),
    "records": _("Stamping records"),
}

"""URL patterns of one part of the records and evidence pages: the public verification page."""

from django.urls import path

from . import verify_views

urlpatterns: list = [
    path("verify-pdf/", verify_views.verify_pdf, name="verify_pdf"),
]

"""Contract parties pages (one URL module per part of the contracts app)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

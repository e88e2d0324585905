"""URLs of the seal studio (PRODUCT.md §2): make a seal online with a live preview."""

from django.urls import path

from . import studio_views

urlpatterns = [
    path("seals/new/", studio_views.seal_new, name="seal_new"),
    path("seals/new/preview.svg", studio_views.seal_preview, name="seal_preview"),
]

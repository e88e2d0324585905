"""``/api/v1/`` (the API) and ``/api/docs`` (its interactive documentation)."""

from django.urls import path

from .v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
]

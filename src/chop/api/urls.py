"""``/api/v1/`` (the API) and ``/api/docs`` (its interactive documentation)."""

from django.urls import path

from .docs_views import api_docs
from .v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api_docs"),
]

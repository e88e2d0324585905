"""``/api/v1/`` (the API), and the company pages that manage it: ``/api-keys/`` and
``/webhooks/`` (owners and administrators)."""

from django.urls import path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import key_views, webhook_views
from .docs_views import api_docs
from .v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api_docs"),
    # API keys
    path("api-keys/", key_views.api_keys, name="api_keys"),
    path("api-keys/new/", key_views.api_key_new, name="api_key_new"),
    path("api-keys/<id:pk>/revoke/", key_views.api_key_revoke, name="api_key_revoke"),
    # webhook endpoints and their delivery log
    path("webhooks/", webhook_views.webhooks, name="webhooks"),
    path("webhooks/new/", webhook_views.webhook_new, name="webhook_new"),
    path("webhooks/<id:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("webhooks/<id:pk>/edit/", webhook_views.webhook_edit, name="webhook_edit"),
    path("webhooks/<id:pk>/enabled/", webhook_views.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<id:pk>/rotate/", webhook_views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<id:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path("webhooks/deliveries/<id:pk>/", webhook_views.webhook_delivery, name="webhook_delivery"),
    path(
        "webhooks/deliveries/<id:pk>/replay/",
        webhook_views.webhook_replay,
        name="webhook_replay",
    ),
]

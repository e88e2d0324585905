"""URL patterns of one part of the authorisation pages: a seal's grants and approvers."""

from django.urls import path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import grant_views

urlpatterns = [
    path("seals/<id:pk>/grants/", grant_views.seal_grants, name="seal_grants"),
    path("seals/<id:pk>/grants/new/", grant_views.seal_grant_new, name="seal_grant_new"),
    path("seals/grants/<id:pk>/revoke/", grant_views.seal_grant_revoke, name="seal_grant_revoke"),
    path("seals/<id:pk>/approvers/", grant_views.seal_approvers, name="seal_approvers"),
]

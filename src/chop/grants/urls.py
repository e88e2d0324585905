"""Authorisation pages, one URL module per part. Ids use the ``<id:...>`` converter."""

from django.urls import include, path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

urlpatterns = [
    path("", include("chop.grants.grant_urls")),  # a seal's grants and approvers
    path("", include("chop.grants.request_urls")),  # use requests and the approver's workbench
    path("", include("chop.grants.autosign_urls")),  # auto-sign authorisations
]

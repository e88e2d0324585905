"""Contract pages. Ids use the ``<id:...>`` converter (chop.converters): out of range is a 404."""

from django.urls import include, path

from . import invite, views

urlpatterns = [
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<id:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<id:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<id:pk>/previews/", views.contract_previews, name="contract_previews"),
    path("contracts/<id:pk>/pages/<id:page>/", views.contract_page, name="contract_page"),
    path(
        "contracts/<id:pk>/versions/<id:number>/pages/<id:page>/<slug:size>.png",
        views.contract_page_image,
        name="contract_page_image",
    ),
    path(
        "contracts/<id:pk>/versions/<id:number>/download/",
        views.contract_version_download,
        name="contract_version_download",
    ),
    path("contracts/invite/<str:token>/", invite.contract_invite, name="contract_invite"),
    path("", include("chop.contracts.parties_urls")),
    path("", include("chop.contracts.positions_urls")),
    path("", include("chop.contracts.signing_urls")),
]

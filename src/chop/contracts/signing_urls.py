"""Contract signing pages (one URL module per part of the contracts app)."""

from django.urls import path

from . import signing_views

urlpatterns = [
    path("account/signing-password/", signing_views.signing_password, name="signing_password"),
    path("contracts/<id:pk>/sign/", signing_views.contract_sign, name="contract_sign"),
    path(
        "contracts/<id:pk>/sign/seals/<id:seal>.png",
        signing_views.contract_sign_seal_image,
        name="contract_sign_seal_image",
    ),
]

"""Contract parties pages (one URL module per part of the contracts app): the parties of a
draft, sending, revoke, remind, decline, and the signed PDF (also for copy recipients)."""

from django.urls import path

from . import party_views as v

urlpatterns = [
    path(
        "contracts/<id:pk>/parties/initiator/", v.party_initiator, name="contract_party_initiator"
    ),
    path("contracts/<id:pk>/parties/company/", v.party_company, name="contract_party_company"),
    path("contracts/<id:pk>/parties/person/", v.party_person, name="contract_party_person"),
    path(
        "contracts/<id:pk>/parties/<id:party>/remove/",
        v.party_remove,
        name="contract_party_remove",
    ),
    path("contracts/<id:pk>/parties/<id:party>/move/", v.party_move, name="contract_party_move"),
    path("contracts/<id:pk>/send/", v.contract_send, name="contract_send"),
    path("contracts/<id:pk>/revoke/", v.contract_revoke, name="contract_revoke"),
    path("contracts/<id:pk>/remind/", v.contract_remind, name="contract_remind"),
    path("contracts/<id:pk>/decline/", v.contract_decline, name="contract_decline"),
    path("contracts/<id:pk>/signed/", v.contract_signed_download, name="contract_signed_download"),
    path("contracts/copy/<str:token>/", v.contract_copy, name="contract_copy"),
]

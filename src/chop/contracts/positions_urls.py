"""Contract positions pages (one URL module per part of the contracts app)."""

from django.urls import path

from . import position_views

urlpatterns: list = [
    path(
        "contracts/<id:pk>/positions/",
        position_views.contract_positions,
        name="contract_positions",
    ),
    path(
        "contracts/<id:pk>/positions/find/",
        position_views.contract_positions_find,
        name="contract_positions_find",
    ),
]

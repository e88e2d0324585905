"""The stamping log: a record's inclusion proof, the published tree heads, bundles."""

from django.urls import path

from . import ledger_views as views

urlpatterns = [
    path("records/stamps/<id:pk>/proof/", views.stamp_proof, name="stamp_proof"),
    path("records/log/", views.heads, name="ledger_heads"),
    path("records/log/publish/", views.publish, name="ledger_publish"),
    path("records/log/bundle.json", views.bundle, name="ledger_bundle"),
]

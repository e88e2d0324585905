"""Evidence reports of a contract, and the evidence summary opened by a verification code."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("contracts/<id:pk>/evidence/", report_views.contract_evidence, name="contract_evidence"),
    path(
        "contracts/<id:pk>/evidence/<id:report>/download/",
        report_views.contract_evidence_download,
        name="contract_evidence_download",
    ),
    path("evidence/<str:code>/", report_views.evidence_summary, name="evidence_summary"),
]

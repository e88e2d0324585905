"""Use requests and the approver's workbench (用印审批)."""

from django.urls import path

from . import request_views

urlpatterns = [
    path("approvals/", request_views.approvals, name="approvals"),
    path("approvals/<id:pk>/decide/", request_views.approval_decide, name="approval_decide"),
    path("approvals/<id:pk>/withdraw/", request_views.approval_withdraw, name="approval_withdraw"),
]

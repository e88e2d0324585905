"""Workbench, spaces, companies, members and invitations (mounted at the site root)."""

from django.urls import path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import views

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("spaces/switch/", views.switch_space, name="switch_space"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<id:company_id>/", views.company_detail, name="company_detail"),
    path("companies/<id:company_id>/verify/", views.company_verify, name="company_verify"),
    path("companies/<id:company_id>/members/", views.company_members, name="company_members"),
    path(
        "companies/<id:company_id>/members/<id:member_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "companies/<id:company_id>/members/<id:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "companies/<id:company_id>/members/<id:member_id>/transfer/",
        views.ownership_transfer,
        name="ownership_transfer",
    ),
    path(
        "companies/<id:company_id>/invitations/<id:invitation_id>/cancel/",
        views.invitation_cancel,
        name="invitation_cancel",
    ),
    path(
        "invitations/<id:invitation_id>/accept/", views.invitation_accept, name="invitation_accept"
    ),
    path(
        "invitations/<id:invitation_id>/decline/",
        views.invitation_decline,
        name="invitation_decline",
    ),
    path("invite/<str:token>/", views.invitation_token, name="invitation_token"),
]

"""URL patterns of the auto-sign pages (静默签): a seal's authorisations, the owner's form and
code step, revoking, retrying a failed letter, and the signed letter."""

from django.urls import path

from . import autosign_views as views

urlpatterns = [
    path("seals/<id:pk>/autosign/", views.seal_autosign, name="seal_autosign"),
    path("seals/<id:pk>/autosign/new/", views.seal_autosign_new, name="seal_autosign_new"),
    path("seals/autosign/<id:pk>/revoke/", views.seal_autosign_revoke, name="seal_autosign_revoke"),
    path("seals/autosign/<id:pk>/retry/", views.seal_autosign_retry, name="seal_autosign_retry"),
    path(
        "seals/autosign/<id:pk>/letter.pdf",
        views.seal_autosign_letter,
        name="seal_autosign_letter",
    ),
]

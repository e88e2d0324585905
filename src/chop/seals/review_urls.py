"""URLs of the operator console for uploaded seal impressions."""

from django.urls import path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import review_views

urlpatterns = [
    path("operator/seals/", review_views.queue, name="seal_review_queue"),
    path("operator/seals/<id:pk>/", review_views.seal_review, name="seal_review"),
    path(
        "operator/seals/<id:pk>/<str:which>.img",
        review_views.seal_review_file,
        name="seal_review_file",
    ),
]

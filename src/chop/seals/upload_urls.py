"""URLs of the local upload of a stamped impression (本地上传)."""

from django.urls import path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import upload_views

urlpatterns = [
    path("seals/upload/", upload_views.seal_upload, name="seal_upload"),
    path("seals/upload/<id:pk>/", upload_views.seal_upload_status, name="seal_upload_status"),
    path("seals/upload/<id:pk>/photo", upload_views.seal_upload_photo, name="seal_upload_photo"),
]

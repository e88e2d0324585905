from django.urls import include, path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import lifecycle_views, views

urlpatterns = [
    path("seals/", views.seal_list, name="seals"),
    path("seals/<id:pk>/", views.seal_detail, name="seal_detail"),
    path("seals/<id:pk>/image.png", views.seal_image, name="seal_image"),
    path("seals/<id:pk>/certificate.pem", views.certificate_pem, name="seal_certificate"),
    path("seals/<id:pk>/seal.svg", views.seal_svg, name="seal_svg"),
    path("seals/<id:pk>/state/", lifecycle_views.change_state, name="seal_change_state"),
    path(
        "seals/official/regenerate/",
        lifecycle_views.regenerate_official,
        name="seal_official_regenerate",
    ),
    path("pki/<path:rest>", views.pki_endpoint, name="pki"),
    # the seal studio's parts, each in its own module
    path("", include("chop.seals.studio_urls")),
    path("", include("chop.seals.upload_urls")),
    path("", include("chop.seals.signature_urls")),
    path("", include("chop.seals.review_urls")),
]

"""URLs of the handwritten signature (扫码签名): drawn on a phone by QR code, drawn on the desktop,
or rendered from the name."""

from django.urls import path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import signature_views as views

urlpatterns = [
    path("seals/signature/", views.signature_new, name="signature_new"),
    path("seals/signature/draw/", views.signature_draw, name="signature_draw"),
    path("seals/signature/typed.png", views.signature_typed_preview, name="signature_typed"),
    path("seals/signature/links/<id:pk>/qr.svg", views.signature_qr, name="signature_qr"),
    path("seals/signature/links/<id:pk>/status/", views.signature_status, name="signature_status"),
    path("seals/signature/<id:pk>/image.png", views.signature_image, name="signature_image"),
    # the phone: no login, the token is the credential
    path("s/<str:token>/", views.signature_phone, name="signature_phone"),
]

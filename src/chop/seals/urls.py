from django.urls import path

from . import views

urlpatterns = [
    path("seals/", views.seal_list, name="seals"),
    path("seals/<int:pk>/", views.seal_detail, name="seal_detail"),
    path("seals/<int:pk>/image.png", views.seal_image, name="seal_image"),
    path("seals/<int:pk>/certificate.pem", views.certificate_pem, name="seal_certificate"),
    path("pki/<path:rest>", views.pki_endpoint, name="pki"),
]

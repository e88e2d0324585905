from django.urls import path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

from . import views

app_name = "verification"

urlpatterns = [
    path("verify/", views.home, name="home"),
    path("verify/person/", views.person, name="person"),
    path("verify/person/code/", views.send_phone_code, name="send_phone_code"),
    path("verify/company/", views.company, name="company"),
    path("verify/company/letter.pdf", views.letter_pdf, name="letter"),
    path("verify/company/<id:case_id>/deposit/", views.deposit, name="deposit"),
    path("verify/company/legal-rep/", views.legal_rep, name="legal_rep"),
    path("operator/", views.queue, name="queue"),
    path("operator/<str:kind>/<id:pk>/", views.case_detail, name="case"),
    path("operator/<str:kind>/<id:pk>/retry/", views.retry, name="retry"),
    path("operator/<str:kind>/<id:pk>/file/<str:field>/", views.case_file, name="file"),
]

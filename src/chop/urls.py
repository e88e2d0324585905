"""Root URL configuration."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("chop.accounts.urls")),
    path("", include("chop.orgs.urls")),
    path(
        "seals/",
        login_required(views.not_built(views.PLACEHOLDERS["seals"], "seals")),
        name="seals",
    ),
    path(
        "contracts/",
        login_required(views.not_built(views.PLACEHOLDERS["contracts"], "contracts")),
        name="contracts",
    ),
    path(
        "records/",
        login_required(views.not_built(views.PLACEHOLDERS["records"], "records")),
        name="records",
    ),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

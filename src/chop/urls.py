"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import converters  # noqa: F401  (registers <id:...> before the includes below)
from .orgs import records as records_views
from .orgs import views as orgs_views
from .platform import probes

# The platform admin names Chop in the user's language instead of Django's English defaults.
admin.site.site_header = _("Chop platform administration")
admin.site.site_title = _("Chop platform administration")
admin.site.index_title = _("Platform administration home")

urlpatterns = [
    # answered by chop.platform.probes.ProbeMiddleware before the site's middleware
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", probes.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("chop.accounts.urls")),
    path("", include("chop.orgs.urls")),
    path("", include("chop.seals.urls")),
    path("", include("chop.verification.urls")),
    path("", include("chop.contracts.urls")),
    path("", include("chop.grants.urls")),
    path("", include("chop.evidence.urls")),
    path("", include("chop.api.urls")),
    path("members/", orgs_views.members, name="members"),
    path("records/", records_views.records, name="records"),
]

# MEDIA_ROOT is never served, not even with DEBUG on: uploads (ID photos, licences) and generated
# seal images go out only through views that check permission (chop.uploads.file_response).
# Static files are served by WhiteNoise's middleware from the collected STATIC_ROOT (settings).

"""The site's URLs plus one view that fails, to see the 500 page as a visitor would."""

from django.urls import path

from chop.urls import urlpatterns as site


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom), *site]

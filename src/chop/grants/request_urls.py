"""URL patterns of one part of the authorisation pages."""

urlpatterns: list = []

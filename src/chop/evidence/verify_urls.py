"""URL patterns of one part of the records and evidence pages."""

urlpatterns: list = []

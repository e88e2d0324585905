"""Stamping records (用印记录), monitoring (用印监控) and their exports."""

from django.urls import path

from . import monitor_views

urlpatterns: list = [
    path("records/stamps/", monitor_views.stamp_records, name="stamp_records"),
    path("records/stamps/export.csv", monitor_views.export_csv, name="stamp_records_csv"),
    path("records/stamps/export.xlsx", monitor_views.export_xlsx, name="stamp_records_xlsx"),
]

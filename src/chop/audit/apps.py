from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "chop.audit"
    label = "audit"

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "chop.evidence"
    label = "evidence"

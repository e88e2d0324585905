from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "chop.evidence"
    label = "evidence"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (each new stamping record goes into the log)

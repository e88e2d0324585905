from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "chop.grants"
    label = "grants"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (the default grant of a newly active seal)

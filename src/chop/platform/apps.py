from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The top layer: commands that run the whole platform (``run_platform``) and fill it with
    demo data across every app (``seed_demo``). Nothing imports it, so it may import any app."""

    name = "chop.platform"
    label = "platform"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the configuration checks)

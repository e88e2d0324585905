from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "chop.api"
    label = "api"

    def ready(self) -> None:
        from .webhooks import sources

        sources.connect()

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chop.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the lockout receivers)

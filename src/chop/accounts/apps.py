from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chop.accounts"
    label = "accounts"

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "chop.contracts"
    label = "contracts"

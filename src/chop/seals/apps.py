from django.apps import AppConfig


class SealsConfig(AppConfig):
    name = "chop.seals"
    label = "seals"

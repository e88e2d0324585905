from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "chop.api"
    label = "api"

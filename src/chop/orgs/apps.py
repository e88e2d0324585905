from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "chop.orgs"
    label = "orgs"

from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "chop.verification"
    label = "verification"

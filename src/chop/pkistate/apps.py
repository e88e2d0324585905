from django.apps import AppConfig


class PkiStateConfig(AppConfig):
    """The platform CA's state in the database (``chop.pki``'s ``CAState``): its configuration,
    every certificate it issued with its status, the CRL numbers and the encrypted key envelopes,
    shared by every process of the platform. A bottom app: it imports no other app."""

    name = "chop.pkistate"
    label = "pkistate"
    verbose_name = "PKI state"

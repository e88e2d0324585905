from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "chop.verification"
    label = "verification"

    def ready(self) -> None:
        # The seals app may not import verification (layers): it asks through this hook who a
        # person really is, to issue the certificate a signature signs with (seals/signatures.py).
        from chop.seals import signatures

        signatures.register_identity_lookup(_approved_identity)


def _approved_identity(user):
    """The person's approved verification case (``.name``, ``.id_number``), or ``None``."""
    from .services.person import approved_person_case

    return approved_person_case(user)

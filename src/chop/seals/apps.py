from django.apps import AppConfig


class SealsConfig(AppConfig):
    name = "chop.seals"
    label = "seals"

    def ready(self) -> None:
        # The app stamps and verifies PDFs through chop.pdfsign: switch pyHanko to the engine's
        # faster hex-string reader once, here, rather than as a side effect of importing it.
        from chop.pdfsign import install_fast_reader

        install_fast_reader()

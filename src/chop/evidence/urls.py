"""Records and evidence pages, one URL module per part. Ids use the ``<id:...>`` converter."""

from django.urls import include, path

import chop.converters  # noqa: F401  (registers <id:...> for ids)

urlpatterns = [
    path("", include("chop.evidence.ledger_urls")),  # the log: proofs, tree heads, bundles
    path("", include("chop.evidence.monitor_urls")),  # stamping records, monitoring, export
    path("", include("chop.evidence.report_urls")),  # evidence reports, evidence summary
    path("", include("chop.evidence.verify_urls")),  # the public verification page
]

import pytest
from pathlib import Path

from tests.contracts.conftest import _commit_work_per_request  # noqa: F401
from tests.contracts.signing_support import signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401
from .report_support import completed  # noqa: F401

pytestmark = pytest.mark.django_db


def test_look(completed, tmp_path):
    from chop.evidence import report_data, report_pdf
    w, contract = completed
    d = report_data.collect(contract, report_id=1)
    out = report_pdf.build(d, tmp_path)
    Path("/tmp/report_look.pdf").write_bytes(out.read_bytes())
    Path("/tmp/report_look.html").write_text(report_pdf.render_html(d))

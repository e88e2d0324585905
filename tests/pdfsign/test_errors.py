"""pdfsign refusals carry a stable code and its facts, and every code has zh/en text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chop import pdfsign as ps
from chop.errors import ChopError
from chop.pdfsign import errors

PDFSIGN = Path(ps.__file__).parent


def _raised_codes() -> set[str]:
    """Every ``code=`` passed where the engine raises, plus each error class's default."""
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.PdfSignError)
    }
    for path in PDFSIGN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", "")
                if name in errors.__all__:
                    code = [k.value.value for k in node.exc.keywords if k.arg == "code"]
                    assert code, f"{path.name}:{node.lineno} raises {name} without a code"
                    codes.add(code[0])
    return codes


def test_every_code_raised_has_a_message():
    from chop.explain.pdfsign import MESSAGES

    codes = _raised_codes()
    assert len(codes) > 40
    assert codes <= set(MESSAGES), sorted(codes - set(MESSAGES))


def test_errors_are_chop_errors_with_code_params_and_english_text(tmp_path, signer_a):
    with pytest.raises(ps.PdfSignError) as info:
        ps.sign(tmp_path / "missing.pdf", tmp_path / "out.pdf", signer=signer_a)
    err = info.value
    assert isinstance(err, ChopError) and isinstance(err, ValueError)
    assert (err.namespace, err.code) == ("pdfsign", "cannot_open")
    assert err.params["path"].endswith("missing.pdf")
    assert str(err).startswith("cannot open ")


def test_explain_renders_pdfsign_codes_in_chinese_and_english():
    from django.utils import translation

    from chop.explain import explain

    err = ps.MarkError("page 9 does not exist", code="page_out_of_range", page=9, page_count=4)
    with translation.override("en"):
        assert explain(err) == "Page 9 does not exist: the document has 4 pages."
    with translation.override("zh-hans"):
        assert "9" in explain(err) and "4" in explain(err) and "Page" not in explain(err)

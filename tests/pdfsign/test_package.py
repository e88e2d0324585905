"""The engine behaves like a library: what ships, and the shape of its main call."""

from __future__ import annotations

import importlib.util
import inspect
import typing

from chop import pdfsign as ps


def test_test_helpers_and_benchmarks_do_not_ship_in_the_package():
    """The wheel packs src/chop: test PKI, make_pdf and the bench live outside it."""
    assert importlib.util.find_spec("chop.pdfsign.testing") is None
    assert importlib.util.find_spec("chop.bench") is None


def test_sign_takes_a_signer_protocol_and_one_options_object():
    params = inspect.signature(ps.sign).parameters
    assert list(params) == ["src", "dst", "signer", "marks", "options"]
    hints = typing.get_type_hints(ps.sign)
    assert hints["signer"] is ps.Signer
    assert hints["options"] == ps.SignOptions | None
    assert {f for f in ps.SignOptions.__dataclass_fields__} == {
        "level",
        "timestamper",
        "validation_context",
        "field_name",
        "reason",
        "location",
        "contact",
        "when",
        "provenance",
    }

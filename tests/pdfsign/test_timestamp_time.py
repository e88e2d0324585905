"""The signing result reports the timestamp token's genTime, for the stamping record's TSA time."""

from __future__ import annotations

import datetime as dt

import chop.pdfsign as ps
from chop.pdfsign.cms import token_gen_time


def test_b_t_result_carries_the_tokens_gen_time(contract, tmp_path, signer_a, seal, tsa):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    out = tmp_path / "out.pdf"
    res = ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(timestamper=tsa),
    )
    assert res.timestamp_time is not None and res.timestamp_time.tzinfo is not None
    assert res.timestamp_time >= before
    # the same instant an independent reader finds in the embedded token
    embedded = ps.verify(out).signatures[0].timestamp
    assert embedded is not None and embedded.time is not None
    assert abs((embedded.time - res.timestamp_time).total_seconds()) < 1


def test_b_b_has_no_timestamp_time(contract, tmp_path, signer_a, seal):
    res = ps.sign(
        contract,
        tmp_path / "out.pdf",
        signer=signer_a,
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(level="B-B"),
    )
    assert res.level == "B-B" and res.timestamp_time is None


def test_token_gen_time_reads_der_and_refuses_garbage(tsa):
    import hashlib

    from chop.asyncrun import run_sync

    token = run_sync(tsa.async_timestamp(hashlib.sha256(b"x").digest(), "sha256"))
    parsed = token_gen_time(token)
    assert parsed is not None
    assert token_gen_time(token.dump()) == parsed
    assert token_gen_time(None) is None
    assert token_gen_time(b"not a token") is None

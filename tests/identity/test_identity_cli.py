"""``python -m chop.identity``: exit codes and bilingual messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chop.identity.__main__ import main


@pytest.mark.parametrize(
    ("argv", "code", "expected"),
    [
        (["uscc", "9144030071526726XG"], 0, ["有效 valid", "工商", "71526726-X"]),
        (
            ["uscc", "9144030071526726XH"],
            1,
            ["无效 invalid", "应为 G", "should be G", "bad_check_digit"],
        ),
        (["uscc", "9144030071526726XI"], 1, ["字母 I", "letter I", "illegal_character"]),
        (["uscc", "914403007152672"], 1, ["18 位", "18 characters", "wrong_length"]),
        (["id", "11010519491231002x"], 0, ["有效 valid", "1949-12-31", "女 female"]),
        (["id", "110105194912310021"], 1, ["校验码", "should be X", "bad_check_digit"]),
        (["id", "110105190002290021"], 1, ["出生日期", "date of birth", "bad_birth_date"]),
        (["phone", "+86 138-0013-8000"], 0, ["13800138000", "+8613800138000"]),
        (["phone", "12800138000"], 1, ["13-19", "bad_prefix"]),
        (["uscc", "9144030071526726XG", "91110000802100433B"], 0, ["91110000802100433B"]),
        (["uscc", "9144030071526726XG", "bad"], 1, ["无效 invalid"]),
    ],
)
def test_main(capsys, argv: list[str], code: int, expected: list[str]) -> None:
    assert main(argv) == code
    out = capsys.readouterr().out
    for fragment in expected:
        assert fragment in out, (fragment, out)


def test_chinese_comes_before_english(capsys) -> None:
    main(["uscc", "9144030071526726XH"])
    out = capsys.readouterr().out
    assert out.index("校验码错误") < out.index("Check character mismatch")


def test_id_numbers_are_printed_masked(capsys) -> None:
    main(["id", "11010519491231002X"])
    main(["id", "110105194912310021"])
    out = capsys.readouterr().out
    assert "11010519491231002X" not in out and "110105194912310021" not in out
    assert "110***********002X" in out


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["passport", "E1234567"])
    assert info.value.code == 2


def test_runs_as_a_module() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "chop.identity", "uscc", "9144030071526726XG"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "有效 valid" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "chop.identity", "id", "110105194912310021"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert bad.returncode == 1 and "bad_check_digit" in bad.stdout

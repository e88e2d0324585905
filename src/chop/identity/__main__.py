"""``python -m chop.identity id|uscc|phone VALUE``: check one value, exit 0 when valid, 1 when not.

Output is one line per value, Chinese first then English. For ID numbers the number itself is
printed masked, because command lines end up in shell history and terminal logs.
Exit status 2 means the command line itself was wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .phone import validate_mobile
from .resident_id import mask_id_number, validate_resident_id
from .uscc import AUTHORITIES, validate_uscc
from .validation import ValidationResult


def _describe(kind: str, value: str, result: ValidationResult) -> list[str]:
    shown = mask_id_number(value) if kind == "id" else (result.normalized or value.strip())
    status = "有效 valid" if result.valid else "无效 invalid"
    lines = [f"{shown}: {status}", f"  {result.message_zh}", f"  {result.message_en}"]
    if result.valid and kind == "id":
        d = result.details
        sex_zh = "男" if d["sex"] == "male" else "女"
        lines.append(f"  出生日期 birth date: {d['birth_date']}  性别 sex: {sex_zh} {d['sex']}")
        lines.append(f"  省份 province: {d['province']}")
    elif result.valid and kind == "uscc":
        code = result.normalized or ""
        zh, en, categories = AUTHORITIES[code[0]]
        czh, cen = categories[code[1]]
        lines.append(f"  登记管理部门 authority: {zh} / {en}; 类别 category: {czh} / {cen}")
        lines.append(f"  组织机构代码 organisation code: {code[8:16]}-{code[16]}")
    elif result.valid and kind == "phone":
        lines.append(f"  E.164: +86{result.normalized}")
    elif not result.valid:
        lines.append(f"  原因代码 reason: {result.reason_code}")
    return lines


VALIDATORS = {"id": validate_resident_id, "uscc": validate_uscc, "phone": validate_mobile}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chop.identity",
        description="校验身份证号码、统一社会信用代码、手机号码 / "
        "Check resident ID numbers, unified social credit codes and mobile numbers.",
    )
    parser.add_argument("kind", choices=sorted(VALIDATORS), help="id | uscc | phone")
    parser.add_argument("values", nargs="+", metavar="VALUE", help="one or more values to check")
    args = parser.parse_args(argv)
    all_valid = True
    for value in args.values:
        result = VALIDATORS[args.kind](value)
        all_valid &= result.valid
        print("\n".join(_describe(args.kind, value, result)))
    return 0 if all_valid else 1


if __name__ == "__main__":
    sys.exit(main())

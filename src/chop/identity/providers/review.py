"""The defaults that need no contract with anyone: operator review, and a console "bank".

Nothing here claims success. The review providers answer NEEDS_REVIEW with the checklist an
operator works through in the console; the operator's decision, not this code, marks a person or
company verified. The console payment provider pretends to send money so the demo works end to
end, and says so in every result (``simulated=True``), so evidence can never pass a simulated
transfer off as a real one.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from pathlib import Path
from typing import TextIO

from .base import (
    CompanyClaim,
    IdentityProvider,
    Outcome,
    PaymentProvider,
    PersonClaim,
    RegistryProvider,
    ReviewItem,
    TransferRequest,
    TransferResult,
    TransferStatus,
    VerificationResult,
)

__all__ = [
    "COMPANY_REVIEW",
    "ConsolePaymentProvider",
    "ManualPaymentProvider",
    "PERSON_REVIEW",
    "ReviewIdentityProvider",
    "ReviewRegistryProvider",
]

PERSON_REVIEW: tuple[ReviewItem, ...] = (
    ReviewItem("id_photos_clear", "身份证人像面与国徽面照片齐全、清晰、四角完整",
               "Both sides of the ID card are uploaded, sharp, with all four corners visible"),
    ReviewItem("name_matches", "证件上的姓名与填写的姓名完全一致",
               "The name on the card is exactly the name entered"),
    ReviewItem("number_matches", "证件上的号码与填写的身份证号码完全一致",
               "The number on the card is exactly the number entered"),
    ReviewItem("card_not_expired", "国徽面的有效期限未过期", "The validity period on the back has not ended"),
    ReviewItem("not_altered", "照片不是翻拍、复印件或经过修改",
               "The photos are not of a screen or a photocopy, and show no signs of editing"),
)  # fmt: skip

COMPANY_REVIEW: tuple[ReviewItem, ...] = (
    ReviewItem("licence_clear", "营业执照照片清晰完整，含国徽与二维码",
               "The business licence photo is sharp and complete, with emblem and QR code"),
    ReviewItem("name_matches", "执照上的名称与填写的企业名称完全一致",
               "The name on the licence is exactly the company name entered"),
    ReviewItem("code_matches", "执照上的统一社会信用代码与填写的一致",
               "The credit code on the licence is the one entered"),
    ReviewItem("registry_active", "在国家企业信用信息公示系统（gsxt.gov.cn）查询：名称、代码一致，登记状态为存续（在营、开业、在册）",
               "On gsxt.gov.cn the name and code match and the status is active (not cancelled or revoked)"),
    ReviewItem("not_altered", "照片不是翻拍或经过修改", "The photo is not of a screen and shows no signs of editing"),
)  # fmt: skip

LEGAL_REP_REVIEW = ReviewItem(
    "legal_representative_matches",
    "执照及公示系统上的法定代表人与填写的一致",
    "The legal representative on the licence and on gsxt.gov.cn is the one entered",
)


class ReviewIdentityProvider(IdentityProvider):
    """Default identity provider: an operator compares the uploaded ID photos with the claim."""

    backend = "review"

    def _verify_person(self, claim: PersonClaim) -> VerificationResult:
        return VerificationResult(
            Outcome.NEEDS_REVIEW,
            self.backend,
            "operator_review",
            "已提交，等待平台审核人员核对身份证照片",
            "Submitted; a platform operator will check the ID card photos",
            review=PERSON_REVIEW,
        )


class ReviewRegistryProvider(RegistryProvider):
    """Default registry provider: an operator compares the licence and the public registry."""

    backend = "review"

    def _verify_company(self, claim: CompanyClaim) -> VerificationResult:
        items = COMPANY_REVIEW + ((LEGAL_REP_REVIEW,) if claim.legal_representative else ())
        return VerificationResult(
            Outcome.NEEDS_REVIEW,
            self.backend,
            "operator_review",
            "已提交，等待平台审核人员核对营业执照及公示信息",
            "Submitted; a platform operator will check the business licence and the public registry",
            review=items,
        )


class ConsolePaymentProvider(PaymentProvider):
    """Development "bank": prints the transfer and appends it to the outbox; sends nothing.

    ``outbox`` is the JSON-lines file the console SMS/e-mail senders use (``CHOP_OUTBOX``), so the
    demo user finds the amount where they find their one-time codes.
    """

    backend = "console"

    def __init__(self, outbox: str | Path | None = None, stream: TextIO | None = None) -> None:
        self.outbox = Path(outbox) if outbox else None
        self.stream = stream

    def send_micro_deposit(self, request: TransferRequest) -> TransferResult:
        reference = "SIM-" + secrets.token_hex(8).upper()
        amount = f"0.{request.amount_fen:02d}"
        text = (
            f"【模拟打款，未实际转账 SIMULATED, no money moved】向 {request.account_name} "
            f"（账号 {request.masked_account}）打款 ¥{amount}，附言 {request.memo}，参考号 {reference}"
        )
        print(f"[chop micro-deposit] {text}", file=self.stream or sys.stdout, flush=True)
        if self.outbox:
            record = {
                "at": dt.datetime.now(dt.UTC).isoformat(),
                "channel": "micro_deposit",
                "simulated": True,
                "to": f"{request.account_name} {request.masked_account}",
                "amount_fen": request.amount_fen,
                "amount_yuan": amount,
                "reference": reference,
                "request_id": request.request_id,
                "text": text,
            }
            self.outbox.parent.mkdir(parents=True, exist_ok=True)
            with self.outbox.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return TransferResult(
            TransferStatus.SENT,
            self.backend,
            reference,
            "simulated",
            "模拟打款：未实际转账，金额见控制台或 outbox",
            "Simulated transfer: no money moved; the amount is on the console and in the outbox",
            simulated=True,
        )


class ManualPaymentProvider(PaymentProvider):
    """An operator makes the transfer by hand from the platform's bank account.

    For deployments without a bank API: the result is NEEDS_REVIEW; the operator console shows
    the amount and the account, the operator transfers and records the bank's reference.
    """

    backend = "manual"

    def send_micro_deposit(self, request: TransferRequest) -> TransferResult:
        return TransferResult(
            TransferStatus.NEEDS_REVIEW,
            self.backend,
            None,
            "operator_transfer",
            "等待平台人员手工打款",
            "Waiting for a platform operator to make the transfer",
            review=(
                ReviewItem(
                    "make_transfer",
                    "从平台对公账户向申请企业的账户转账页面所示金额，户名须与企业名称一致",
                    "Transfer the amount shown from the platform account; the payee name must be the company name",
                ),
                ReviewItem(
                    "record_reference",
                    "记录银行回单上的交易流水号",
                    "Record the transaction reference from the bank receipt",
                ),
            ),
        )

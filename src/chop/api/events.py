"""The webhook event types an endpoint can subscribe to (PRODUCT.md §6, dotted names)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

EVENT_TYPES: dict[str, object] = {
    "contract.created": pgettext_lazy("webhook event", "Contract created"),
    "contract.sent": pgettext_lazy("webhook event", "Contract sent"),
    "contract.viewed": pgettext_lazy("webhook event", "Contract viewed by a party"),
    "contract.signed": pgettext_lazy("webhook event", "A party signed"),
    "contract.declined": pgettext_lazy("webhook event", "A party declined"),
    "contract.revoked": pgettext_lazy("webhook event", "Contract revoked"),
    "contract.expired": pgettext_lazy("webhook event", "Contract expired"),
    "contract.completed": pgettext_lazy("webhook event", "Contract completed"),
    "seal.created": pgettext_lazy("webhook event", "Seal created"),
    "seal.reviewed": pgettext_lazy("webhook event", "Seal reviewed"),
    "seal.disabled": pgettext_lazy("webhook event", "Seal disabled"),
    "seal.revoked": pgettext_lazy("webhook event", "Seal revoked"),
    "grant.created": pgettext_lazy("webhook event", "Grant created"),
    "grant.revoked": pgettext_lazy("webhook event", "Grant revoked"),
    "grant.expired": pgettext_lazy("webhook event", "Grant expired"),
    "stamp.applied": pgettext_lazy("webhook event", "Seal stamped"),
    "evidence.ready": pgettext_lazy("webhook event", "Evidence report ready"),
}

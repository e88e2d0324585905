"""Human names for audit actions shown on the Records page.

Actions without a name here show their dotted name, so a new event is never hidden; add its name
here (with a translation) when it starts appearing in company records.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import Role

ACTION_LABELS = {
    "company.created": _("Company created"),
    "company.ownership_transferred": _("Ownership transferred"),
    "member.invited": _("Member invited"),
    "invitation.accepted": _("Invitation accepted"),
    "invitation.declined": _("Invitation declined"),
    "invitation.cancelled": _("Invitation cancelled"),
    "member.removed": _("Member removed"),
    "member.role_changed": _("Role changed"),
    "space.switched": _("Space switched"),  # recorded, but kept out of the lists (NOISE)
    # written by the verification and seals apps
    "verification.company_submitted": _("Verification submitted"),
    "verification.company_reviewed": _("Verification approved by an operator"),
    "verification.company_rejected": _("Verification rejected"),
    "verification.deposit_entered": _("Deposit amount entered"),
    "verification.company_expired": _("Verification expired"),
    "verification.retried": _("Verification retried by an operator"),
    "verification.personal_data_viewed": _("Personal data viewed by an operator"),
    "verification.file_viewed": _("Document viewed by an operator"),
    "company.verified": _("Company verified"),
    "certificate.issued": _("Certificate issued"),
    "seal.created": _("Seal created"),
    "seal.uploaded": _("Seal impression uploaded"),
    "seal.approved": _("Seal approved by an operator"),
    "seal.rejected": _("Seal rejected by an operator"),
    "seal.disabled": _("Seal disabled"),
    "seal.enabled": _("Seal enabled again"),
    "seal.revoked": _("Seal revoked"),
    "seal.extracted": _("Seal cut out of the uploaded photo"),
    "seal.extraction_failed": _("No seal could be cut out of the uploaded photo"),
    "seal.certificate_bound": _("Signature bound to the person certificate"),
    "contract.created": _("Contract uploaded"),
    "contract.updated": _("Contract draft changed"),
    "contract.party_added": _("Contract party added"),
    "contract.party_removed": _("Contract party removed"),
    "contract.parties_reordered": _("Contract signing order changed"),
    "contract.position_added": _("Seal position placed on a contract"),
    "contract.position_changed": _("Seal position on a contract changed"),
    "contract.position_removed": _("Seal position removed from a contract"),
    "contract.sent": _("Contract sent for signing"),
    "contract.party_signed": _("Contract signed by a party"),
    "contract.completed": _("Contract completed"),
    "contract.copy_downloaded": _("Signed copy downloaded by a copy recipient"),
    "contract.declined": _("Contract declined"),
    "contract.revoked": _("Contract revoked"),
    "contract.expired": _("Contract expired"),
    "contract.reminded": _("Contract parties reminded"),
    # the signing page (contracts signing part)
    "contract.intent_confirmed": _("Intent to sign confirmed"),
    "contract.signed": _("Contract signed (seal stamped)"),
    # seal grants and approvers (grants app)
    "grant.created": _("Seal granted"),
    "grant.revoked": _("Seal grant revoked"),
    "seal.approvers_changed": _("Seal approvers changed"),
    "account.signing_password_set": _("Signing password set"),
    "account.signing_password_changed": _("Signing password changed"),
    # use requests and approvals (grants app)
    "seal_use.requested": _("Seal use requested"),
    "seal_use.approved": _("Seal use approved"),
    "seal_use.rejected": _("Seal use rejected"),
    "seal_use.withdrawn": _("Seal use request withdrawn"),
    # auto-sign authorisations (grants app)
    "autosign.authorised": _("Auto-sign authorised"),
    "autosign.revoked": _("Auto-sign revoked"),
    "autosign.letter_signed": _("Auto-sign authorisation letter signed"),
    "autosign.letter_failed": _("Auto-sign authorisation letter failed"),
    "autosign.letter_retried": _("Auto-sign authorisation letter made again"),
    # evidence reports (evidence app)
    "evidence.report_requested": _("Evidence report requested"),
    "evidence.report_ready": _("Evidence report signed and ready"),
    # the stamping log (evidence app)
    "ledger.head_published": _("Stamping log head published"),
    "ledger.bundle_exported": _("Stamping log bundle exported"),
    # written by the evidence app (stamping records)
    "stamp_records.exported": _("Stamping records exported"),
    # the open API's keys and webhook endpoints (api app)
    "api_key.created": _("API key made"),
    "api_key.revoked": _("API key revoked"),
    "webhook.created": _("Webhook endpoint added"),
    "webhook.changed": _("Webhook endpoint changed"),
    "webhook.rotated": _("Webhook signing secret rotated"),
    "webhook.deleted": _("Webhook endpoint deleted"),
    "webhook.replayed": _("Webhook event sent again"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


# Recorded for the security trail but not listed on the account-events page or counted on the
# workbench: opening a company (switching space, or following a link into it) happens on every
# visit and drowned the events people look for. Still in the database and the admin.
NOISE = frozenset({"space.switched"})


def event_details(action: str, data: dict) -> str:
    """A short, readable line for the data an event carries (roles shown by their names)."""

    def role(value) -> str:
        try:
            return str(Role(value).label)
        except ValueError:
            return str(value)

    if action == "member.invited":
        return str(_("by SMS") if data.get("channel") == "sms" else _("by e-mail"))
    if action == "member.role_changed":
        return f"{role(data.get('old'))} → {role(data.get('new'))}"
    if action == "member.removed":
        who = data.get("member", "")
        return str(_("%(member)s left") % {"member": who}) if data.get("left") else who
    if action == "company.ownership_transferred":
        return str(_("New owner: %(name)s") % {"name": data.get("new_owner", "")})
    if action.startswith("seal."):
        return seal_details(data)
    if action.startswith("grant."):
        return grant_details(data, role)
    if action == "stamp_records.exported":
        return f"{str(data.get('format', '')).upper()} · " + str(
            _("%(count)s records") % {"count": data.get("count", 0)}
        )
    if action.startswith("api_key."):
        # the key's name and public prefix, never the key
        return f"{data.get('name', '')} · chop_{data.get('prefix', '')}_…"
    if action.startswith("webhook."):
        return str(data.get("url", ""))
    if action in ("invitation.accepted", "invitation.declined"):
        return str(_("via the link") if data.get("via") == "token" else _("from the workbench"))
    return ""


def seal_details(data: dict) -> str:
    """Seal events: the seal code and, when the change had one, its reason."""
    parts = []
    if data.get("code"):
        parts.append(str(_("seal code %(code)s") % {"code": data["code"]}))
    if data.get("origin") == "regenerated":
        parts.append(str(_("generated again after the old one was revoked")))
    if data.get("replaces"):
        parts.append(str(_("replaces seal %(code)s") % {"code": data["replaces"]}))
    if data.get("reason"):
        parts.append(str(_("reason: %(reason)s") % {"reason": data["reason"]}))
    return " · ".join(parts)


def grant_details(data: dict, role) -> str:
    """Grant events: the seal code and whom the grant names (members, role names)."""
    parts = []
    if data.get("seal"):
        parts.append(str(_("seal code %(code)s") % {"code": data["seal"]}))
    names = [n for n in (data.get("members") or "").split(", ") if n]
    names += [role(r) for r in (data.get("roles") or "").split(", ") if r]
    if names:
        parts.append("、".join(names))
    return " · ".join(parts)

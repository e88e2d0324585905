"""Where webhooks may go: public http(s) addresses only.

A target is refused when its scheme is not http(s), when it carries credentials, or when any
address its host resolves to is private, loopback, link-local, multicast, reserved or unspecified
(the cloud metadata address 169.254.169.254 is link-local). ``CHOP_WEBHOOK_ALLOW_PRIVATE`` lifts the
address rule for development and tests. The sender checks again at send time and connects to the
address it checked (``resolve``), so a DNS answer that changes in between cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class Refused(Exception):
    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve(url: str) -> list[str]:
    """The addresses ``url`` may be sent to, or :class:`Refused` with a reason for the user."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Use an http:// or https:// address."))
    if parts.username or parts.password:
        raise Refused(_("Leave user names and passwords out of the address."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(_("The port in this address is not valid.")) from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(_("This host name cannot be resolved.")) from exc
    addresses = sorted({info[4][0] for info in infos})
    if not settings.CHOP_WEBHOOK_ALLOW_PRIVATE and not all(_public(a) for a in addresses):
        raise Refused(
            _("Webhooks go to public addresses only; this one is private, loopback or reserved.")
        )
    return addresses


def refusal(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or ``None`` when it can (for forms)."""
    try:
        resolve(url)
    except Refused as refused:
        return str(refused.message)
    return None

"""The site's base URL when ``SITE_URL`` is not set: the address ``make run`` serves on.

SMS links, invitation links and the CRL/OCSP URLs written into certificates are built from
``SITE_URL``. With a fixed default of port 8000, ``make run PORT=8100`` printed and issued links to
the wrong port, so the default follows the host and port the server binds (``CHOP_HOST`` /
``CHOP_PORT``, which the Makefile and ``chop run_platform`` set). Kept free of Django so settings
can import it.
"""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "8000"


def site_url_for(host: str, port: str | int) -> str:
    """``http://host:port`` for a bind address; the any-address binds map to loopback, because
    a link to 0.0.0.0 opens nowhere (set ``SITE_URL`` for the public name)."""
    host = (host or DEFAULT_HOST).strip("[]")
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{int(port)}"

"""What the DEBUG error page (and the e-mailed error report) may show.

Django's default filter hides settings whose name contains KEY, TOKEN, SECRET, PASS, ... but not
``CHOP_KEK`` (KEK is not KEY), not ``DATABASE_URL``/``EMAIL_URL`` in the environment (runserver
copies ``os.environ`` into ``request.META``, and those URLs carry passwords), and not local
variables of the frame that crashed (``kek`` inside chop.pki.envelope). A DEBUG page that leaks the
key-encryption key gives away every private key and every ID number, so this filter hides:

* settings, ``META`` entries and frame variables whose *name* looks secret (:data:`HIDDEN`);
* the password part of any ``scheme://user:password@host`` URL, whatever its name.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

HIDDEN = re.compile(
    r"KEK|KEY|TOKEN|SECRET|PASS|PWD|SIGNATURE|CREDENTIAL|API|AUTH|COOKIE|PRIVATE|PEPPER|"
    r"SESSION|CSRF|DSN|DATABASE_URL|EMAIL_URL|(^|_)PIN($|_)|OTP|CODE",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/@:\s]*:)[^/@\s]*(?P<tail>@)", re.I)


class ChopExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = HIDDEN

    def _mask_urls(self, value):
        if isinstance(value, str):
            return _URL_PASSWORD.sub(rf"\g<head>{self.cleansed_substitute}\g<tail>", value)
        return value

    def cleanse_setting(self, key, value):
        return self._mask_urls(super().cleanse_setting(key, value))

    def get_traceback_frame_variables(self, request, tb_frame):
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if isinstance(name, str) and HIDDEN.search(name):
                value = self.cleansed_substitute
            cleansed.append((name, self._mask_urls(value)))
        return cleansed

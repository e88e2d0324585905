"""Password rules with messages that reach the user in their language.

Django 5.2 words the minimum-length error with a ``%d`` msgid, but its zh_Hans catalogue only
translates the earlier ``%(min_length)d`` wording, so the Chinese reset and register pages said
"This password is too short" in English. The rule is Django's; only the message's msgid changes
back to the one that is translated (and that the accounts catalogue carries too).
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

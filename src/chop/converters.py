"""``<id:...>`` in URL patterns: a database id, 1 to 2**63-1.

Django's ``<int:...>`` accepts any number of digits; an id beyond the 64-bit range then fails in
the database (OverflowError on SQLite, DataError on PostgreSQL) and the page answers 500. Here
such a path simply does not match, so it is a 404 like any other missing object. Every urls.py
uses ``<id:...>`` for ids (importing this module registers it).
"""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"id out of range: {value}")  # the URL does not match: 404
        return number

    def to_url(self, value) -> str:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"id out of range: {value}")
        return str(number)


register_converter(IdConverter, "id")
